/**
 * The interactive Codex (TUI) through ficta, driven in a private tmux server: Codex owns the
 * terminal, ficta prints nothing while it runs, the answer on screen shows the real value,
 * Ctrl-C quits Codex, and ficta's summary comes after Codex has gone, with Codex's exit code.
 */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { shQuote } from "../../src/install/shim.ts";
import {
  baseEnv,
  fictaCommand,
  forEachCodex,
  leaks,
  needles,
  removeTempDirs,
  tempDirs,
  writeLogin,
} from "./harness.ts";
import { startMockUpstream } from "./mock-upstream.ts";
import { TMUX, until } from "./tmux.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

afterAll(removeTempDirs);

forEachCodex(() => {
  test.skipIf(!TMUX)("interactive Codex: silent proxy, real values on screen, Ctrl-C", async () => {
    const dirs = tempDirs("tui");
    writeLogin(dirs.codexHome, "apikey");
    // Codex asks whether to trust an unknown folder; this one is trusted up front.
    writeFileSync(
      join(dirs.codexHome, "config.toml"),
      `[projects.${JSON.stringify(dirs.project)}]\ntrust_level = "trusted"\n`,
    );
    const secret = { name: "E2E_TUI_SECRET", value: `tui-${crypto.randomUUID()}`, spelling: null };
    writeFileSync(join(dirs.project, ".env"), `${secret.name}=${secret.value}\n`);
    const upstream = startMockUpstream((body) => {
      const surrogate = JSON.stringify(body.input).match(/ficta_[A-Za-z0-9]{22}/)?.[0];
      return [{ type: "message", text: `echo: ${surrogate ?? "no surrogate"}` }];
    });
    const env = {
      ...baseEnv(dirs),
      FICTA_OPENAI_UPSTREAM: upstream.origin,
      FICTA_CHATGPT_UPSTREAM: upstream.origin,
      TERM: "xterm-256color",
    };
    const exitFile = join(dirs.root, "exit");
    const script = join(dirs.root, "run.sh");
    const codexArgs = "-c otel.metrics_exporter=none -c analytics.enabled=false " +
      "--disable plugins --disable apps";
    writeFileSync(
      script,
      [
        "#!/bin/sh",
        // A handler, not an ignore: the shell survives Ctrl-C and its children get the default.
        "trap 'true' INT",
        `cd ${shQuote(dirs.project)}`,
        ...Object.entries(env).map(([k, v]) => `export ${k}=${shQuote(v)}`),
        `${fictaCommand().map(shQuote).join(" ")} codex ${codexArgs}`,
        `echo "ficta-exit=$?" > ${shQuote(exitFile)}`,
        "sleep 30",
      ].join("\n"),
      { mode: 0o755 },
    );
    // A private server on a socket inside the temp directory: nothing shared, nothing left over.
    const socket = join(dirs.root, "tmux.sock");
    const tmux = (...args: string[]) =>
      Bun.spawnSync([TMUX!, "-S", socket, ...args], { env: { ...env, TMUX: "" } });
    const screen = () => tmux("capture-pane", "-p", "-S", "-200", "-t", "e2e").stdout.toString();
    try {
      tmux("new-session", "-d", "-s", "e2e", "-x", "140", "-y", "45", script);
      await until(
        "Codex's composer",
        () => (screen().includes("for shortcuts") ? true : undefined),
      );
      tmux("send-keys", "-t", "e2e", "-l", `repeat ${secret.value}`);
      await until("the prompt typed", () => (screen().includes(secret.value) ? true : undefined));
      // The composer shows before Codex's session is ready, and an Enter then is dropped; an Enter
      // on an empty composer does nothing, so pressing again until the turn starts is safe.
      let enters = 0;
      await until("the model request", () => {
        const sent = upstream.received.some((r) => r.url.endsWith("/responses"));
        if (!sent && enters++ % 30 === 0) tmux("send-keys", "-t", "e2e", "Enter");
        return sent || undefined;
      });
      await until(
        "the answer",
        () => (screen().includes(`echo: ${secret.value}`) ? true : undefined),
      );
      // While Codex owns the terminal, ficta writes nothing to it: no per-request line.
      expect(screen()).not.toMatch(/ficta: ->/);

      // Codex reads Ctrl-C as a key (raw mode) and now and then lets the first one pass while it
      // settles after a turn: press it again until Codex quits.
      let presses = 0;
      const exit = await until("ficta to exit", () => {
        if (existsSync(exitFile)) return readFileSync(exitFile, "utf8").trim();
        if ((presses++ % 30) === 0) tmux("send-keys", "-t", "e2e", "C-c");
        return undefined;
      });
      expect(exit).toBe("ficta-exit=0");
      const after = screen();
      expect(after).toMatch(/ficta: 1 value protected; \d+ requests?; /);
      // Codex's own hint runs Codex without ficta when no shim is installed: ficta names its own.
      const id = /codex resume ([0-9a-f-]{36})/.exec(after)?.[1];
      expect(id).toBeDefined();
      expect(after.replace(/\s+/g, " ")).toContain(
        `ficta: to resume this session through ficta: ficta codex resume ${id}`,
      );

      const found = needles([secret]);
      for (const request of upstream.received) expect(leaks(request.body, found)).toEqual([]);
      expect(upstream.received.some((r) => r.url === "/v1/responses")).toBe(true);
    } finally {
      tmux("kill-server");
      await upstream.stop();
    }
  }, 180_000);
});
