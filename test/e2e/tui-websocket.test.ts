/**
 * The interactive Codex (TUI) through ficta over the Responses WebSocket (proxy.transport auto),
 * driven in a private tmux server: the turn rides the socket, the answer on screen shows the real
 * value, ficta prints nothing while Codex owns the terminal, and Ctrl-C ends the launch with 0.
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
import { startMockWsUpstream } from "./mock-ws-upstream.ts";
import { TMUX, until } from "./tmux.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

afterAll(removeTempDirs);

forEachCodex(() => {
  test.skipIf(!TMUX)(
    "interactive Codex over WebSocket: real values on screen, silent proxy",
    async () => {
      const dirs = tempDirs("tui-ws");
      writeLogin(dirs.codexHome, "chatgpt");
      writeFileSync(
        join(dirs.codexHome, "config.toml"),
        `[projects.${JSON.stringify(dirs.project)}]\ntrust_level = "trusted"\n`,
      );
      const secret = {
        name: "E2E_TUI_SECRET",
        value: `tui-${crypto.randomUUID()}`,
        spelling: null,
      };
      writeFileSync(join(dirs.project, ".env"), `${secret.name}=${secret.value}\n`);
      const upstream = startMockWsUpstream((body) => {
        const surrogate = JSON.stringify(body.input).match(/ficta_[A-Za-z0-9]{22}/)?.[0];
        return [{ type: "message", text: `echo: ${surrogate ?? "no surrogate"}` }];
      });
      const env = {
        ...baseEnv(dirs),
        FICTA_PROXY_TRANSPORT: "auto",
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
          "trap 'true' INT",
          `cd ${shQuote(dirs.project)}`,
          ...Object.entries(env).map(([k, v]) => `export ${k}=${shQuote(v)}`),
          `${fictaCommand().map(shQuote).join(" ")} codex ${codexArgs}`,
          `echo "ficta-exit=$?" > ${shQuote(exitFile)}`,
          "sleep 30",
        ].join("\n"),
        { mode: 0o755 },
      );
      const socket = join(dirs.root, "tmux.sock");
      const tmux = (...args: string[]) =>
        Bun.spawnSync([TMUX!, "-S", socket, ...args], { env: { ...env, TMUX: "" } });
      const screen = () => tmux("capture-pane", "-p", "-S", "-200", "-t", "e2e").stdout.toString();
      const modelFrames = () =>
        upstream.frames().filter((f) => f.type === "response.create" && f.generate !== false);
      try {
        tmux("new-session", "-d", "-s", "e2e", "-x", "140", "-y", "45", script);
        await until(
          "Codex's composer",
          () => (screen().includes("for shortcuts") ? true : undefined),
        );
        tmux("send-keys", "-t", "e2e", "-l", `repeat ${secret.value}`);
        await until("the prompt typed", () => (screen().includes(secret.value) ? true : undefined));
        let enters = 0;
        await until("the model frame", () => {
          const sent = modelFrames().some((f) => JSON.stringify(f).includes("repeat "));
          if (!sent && enters++ % 30 === 0) tmux("send-keys", "-t", "e2e", "Enter");
          return sent || undefined;
        });
        await until(
          "the answer",
          () => (screen().includes(`echo: ${secret.value}`) ? true : undefined),
        );
        expect(screen()).not.toMatch(/ficta: ->/);

        let presses = 0;
        const exit = await until("ficta to exit", () => {
          if (existsSync(exitFile)) return readFileSync(exitFile, "utf8").trim();
          if ((presses++ % 30) === 0) tmux("send-keys", "-t", "e2e", "C-c");
          return undefined;
        });
        expect(exit).toBe("ficta-exit=0");
        // The launch line (wrapped at the pane's width) names the transport and what is off.
        expect(screen().replace(/\s+/g, "")).toContain(
          "(WebSocket,HTTPfallback);Codex'ssharedbackgroundserverisoffforthislaunch",
        );

        // The turn rode the socket; nothing of the value left in any frame or request.
        const found = needles([secret]);
        for (const frame of upstream.connections.flatMap((c) => c.frames)) {
          expect(leaks(frame, found)).toEqual([]);
        }
        for (const request of upstream.http.received) {
          expect(leaks(request.body, found)).toEqual([]);
        }
        expect(upstream.http.received.filter((r) => r.url.endsWith("/responses"))).toEqual([]);
      } finally {
        tmux("kill-server");
        await upstream.stop();
      }
    },
    180_000,
  );
});
