/**
 * The interactive Claude Code (TUI) through `ficta claude`, driven in a private tmux server with
 * the mock Anthropic server: prompt, a Bash tool call, the answer with the real value on screen,
 * nothing of ficta's printed over the TUI while it runs, `/exit` and ficta's summary after it,
 * with Claude Code's exit code.
 */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { shQuote } from "../../src/install/shim.ts";
import { fictaCommand, leaks, needles, removeTempDirs, ROOT, tempDirs } from "./harness.ts";
import { startMockAnthropic, toolResults } from "./mock-anthropic.ts";
import { startPane, TMUX, until } from "./tmux.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);
afterAll(removeTempDirs);

const REAL_CLAUDE = join(ROOT, "node_modules", ".bin", "claude");

test.skipIf(!TMUX)(
  "interactive Claude Code: prompt, tool call, answer, silent proxy, /exit",
  async () => {
    const dirs = tempDirs("tui-claude");
    const secret = { name: "E2E_TUI_SECRET", value: `tui-${crypto.randomUUID()}`, spelling: null };
    writeFileSync(join(dirs.project, ".env"), `${secret.name}=${secret.value}\n`);
    const key = `sk-ant-api03-${crypto.randomUUID().replaceAll("-", "")}-FAKEAA`;
    // A finished onboarding, the key approved (else a "Detected a custom API key" dialog), the
    // folder trusted: measured with 2.1.332, a fresh HOME otherwise checks api.anthropic.com first.
    writeFileSync(
      join(dirs.home, ".claude.json"),
      JSON.stringify({
        hasCompletedOnboarding: true,
        theme: "dark",
        bypassPermissionsModeAccepted: true,
        customApiKeyResponses: { approved: [key.slice(-20)], rejected: [] },
        projects: {
          [dirs.project]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true },
        },
      }),
    );
    const mock = startMockAnthropic((body) => {
      const results = toolResults(body);
      if (results.length === 0) {
        return [{
          type: "tool_use",
          name: "Bash",
          input: { command: "cat .env", description: "Read the settings" },
        }];
      }
      const surrogate = results[0].match(/ficta_[A-Za-z0-9]{22}/)?.[0];
      return [{ type: "text", text: `echo: ${surrogate ?? "no surrogate"}` }];
    });
    const tmp = join(dirs.root, "tmp");
    mkdirSync(tmp);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dirs.home,
      FICTA_HOME: dirs.fictaHome,
      FICTA_REAL_CLAUDE: REAL_CLAUDE,
      FICTA_ANTHROPIC_UPSTREAM: mock.origin,
      ANTHROPIC_API_KEY: key,
      TMPDIR: tmp,
      TERM: "xterm-256color",
      LANG: "C.UTF-8",
      ...(process.getuid?.() === 0 ? { IS_SANDBOX: "1" } : {}),
    };
    const exitFile = join(dirs.root, "exit");
    const script = join(dirs.root, "run.sh");
    writeFileSync(
      script,
      [
        "#!/bin/sh",
        "trap 'true' INT",
        `cd ${shQuote(dirs.project)}`,
        ...Object.entries(env).map(([k, v]) => `export ${k}=${shQuote(v)}`),
        `${fictaCommand().map(shQuote).join(" ")} claude --dangerously-skip-permissions`,
        `echo "ficta-exit=$?" > ${shQuote(exitFile)}`,
        "sleep 30",
      ].join("\n"),
      { mode: 0o755 },
    );
    const pane = startPane(dirs.root, script, env);
    try {
      await until(
        "Claude Code's prompt",
        () => pane.screen().includes("bypass permissions") || undefined,
      );
      pane.type("show me the settings");
      await until(
        "the prompt typed",
        () => pane.screen().includes("show me the settings") || undefined,
      );
      let enters = 0;
      await until("the model request", () => {
        const sent = mock.messages().length > 0;
        if (!sent && enters++ % 30 === 0) {
          pane.keys("Enter");
        }
        return sent || undefined;
      });
      await until("the answer", () => pane.screen().includes(`echo: ${secret.value}`) || undefined);
      // While Claude Code owns the terminal, ficta writes nothing to it.
      expect(pane.screen()).not.toMatch(/^ficta/m);

      pane.type("/exit");
      await Bun.sleep(300);
      let presses = 0;
      const exit = await until("ficta to exit", () => {
        if (existsSync(exitFile)) return readFileSync(exitFile, "utf8").trim();
        if (presses++ % 30 === 0) pane.keys("Enter");
        return undefined;
      });
      expect(exit).toBe("ficta-exit=0");
      expect(pane.screen()).toMatch(/ficta: 1 value protected; \d+ requests?; /);

      const found = needles([secret]);
      for (const request of mock.received) expect(leaks(request.body, found)).toEqual([]);
      expect(mock.messages().length).toBe(2);
      expect(mock.received.every((r) => r.url.startsWith("/v1/messages"))).toBe(true);
    } finally {
      pane.kill();
      await mock.stop();
    }
  },
  180_000,
);
