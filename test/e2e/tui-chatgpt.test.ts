/**
 * The interactive Codex on a ChatGPT login, through ficta, in a private tmux server, on every
 * Codex of the matrix: the TUI starts (the housekeeping calls are answered as the real backend
 * does), the model reads `.env` with a command the user approves, the answer on screen shows the
 * real value while the wire only ever carried a surrogate, ficta prints nothing over the TUI,
 * Ctrl-C is Codex's key (not ficta's end), `/quit` leaves with exit 0 and the terminal as it was.
 */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { shQuote } from "../../src/install/shim.ts";
import {
  baseEnv,
  type FakeSecret,
  fictaCommand,
  forEachCodex,
  leaks,
  needles,
  removeTempDirs,
  tempDirs,
  writeLogin,
} from "./harness.ts";
import { type Item, type Received, startMockUpstream, toolOutputs } from "./mock-upstream.ts";
import { startPane, TMUX, until } from "./tmux.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

afterAll(removeTempDirs);

/** Codex, ficta and a model turn on a loaded 2-core machine: generous, never a speed claim. */
const STEP_MS = 60_000;

/** Reads `.env` and leaves a mark, so the test sees the command ran only once approved. */
const READ_COMMAND = "cat .env && touch approved-by-user";
const JUSTIFICATION = "Do you want me to read .env for the password?";

const isTitleRequest = (request: Received) =>
  (request.headers["x-codex-turn-metadata"] ?? "").includes("thread_title");

function wire(request: Received): string {
  return [
    `${request.method} ${request.url}`,
    ...Object.entries(request.headers).map(([k, v]) => `${k}: ${v}`),
    "",
    request.body,
  ].join("\n");
}

/** Lines of ficta's (`ficta...`) shown after Codex's banner: ficta talking over the TUI. */
function fictaOverTui(screen: string): string[] {
  const lines = screen.split("\n");
  const banner = lines.findIndex((line) => line.includes(">_ OpenAI Codex"));
  if (banner < 0) throw new Error(`no Codex banner on screen:\n${screen}`);
  return lines.slice(banner).filter((line) => /^\s*ficta\b/.test(line));
}

forEachCodex((codex) => {
  test.skipIf(!TMUX)(
    "ChatGPT login: approved tool call reads .env, real value on screen, /quit restores all",
    async () => {
      const dirs = tempDirs("tui-chatgpt");
      const login = writeLogin(dirs.codexHome, "chatgpt");
      writeFileSync(
        join(dirs.codexHome, "config.toml"),
        `[projects.${JSON.stringify(dirs.project)}]\ntrust_level = "trusted"\n`,
      );
      const secret: FakeSecret = {
        name: "E2E_TUI_DB_PASSWORD",
        value: `db-${crypto.randomUUID()}`,
        spelling: null,
      };
      writeFileSync(join(dirs.project, ".env"), `${secret.name}=${secret.value}\n`);

      const upstream = startMockUpstream((body, request): Item[] => {
        if (isTitleRequest(request)) return [{ type: "message", text: "Reading settings" }];
        const outputs = toolOutputs(body);
        if (outputs.length === 0) {
          return [{
            type: "function_call",
            name: "exec_command",
            // How a model asks the user (on-request policy): run outside the sandbox, once approved.
            arguments: JSON.stringify({
              cmd: READ_COMMAND,
              sandbox_permissions: "require_escalated",
              justification: JUSTIFICATION,
            }),
          }];
        }
        const surrogate = outputs.at(-1)!.match(/ficta_[A-Za-z0-9]{22}/)?.[0];
        return [{ type: "message", text: `The password is ${surrogate ?? "not there"}.` }];
      });
      const env = {
        ...baseEnv(dirs),
        FICTA_OPENAI_UPSTREAM: upstream.origin,
        FICTA_CHATGPT_UPSTREAM: upstream.origin,
        TERM: "xterm-256color",
      };
      const file = (name: string) => join(dirs.root, name);
      const codexArgs = [
        "-c otel.metrics_exporter=none -c analytics.enabled=false",
        "--disable plugins --disable apps",
        // The model decides when to ask; unasked commands run in the workspace sandbox.
        "-c approval_policy=on-request -c sandbox_mode=workspace-write",
      ].join(" ");
      const script = file("run.sh");
      writeFileSync(
        script,
        [
          "#!/bin/sh",
          // A handler, not an ignore: the shell survives Ctrl-C and its children get the default.
          "trap 'true' INT",
          `cd ${shQuote(dirs.project)}`,
          ...Object.entries(env).map(([k, v]) => `export ${k}=${shQuote(v)}`),
          `stty -a > ${shQuote(file("stty-before"))}`,
          `${fictaCommand().map(shQuote).join(" ")} codex ${codexArgs}`,
          "code=$?",
          `stty -a > ${shQuote(file("stty-after"))}`,
          // Written whole, then renamed: the test never reads a half-written file.
          `echo "ficta-exit=$code" > ${shQuote(file("exit.tmp"))}`,
          `mv ${shQuote(file("exit.tmp"))} ${shQuote(file("exit"))}`,
          "sleep 60",
        ].join("\n"),
        { mode: 0o755 },
      );
      const pane = startPane(dirs.root, script, env);
      const screenOnTimeout = () => `--- screen\n${pane.screen()}`;
      const seen = (text: string) => () => (pane.screen().includes(text) ? true : undefined);
      try {
        await until("Codex's composer", seen("for shortcuts"), STEP_MS, screenOnTimeout);
        expect(pane.screen()).not.toContain("account/read failed");
        pane.type("Tell me the database password from the env file");
        await until("the prompt typed", seen("from the env file"), STEP_MS, screenOnTimeout);
        // The composer shows before Codex's session is ready, and an Enter then is dropped; an
        // Enter on an empty composer does nothing, so pressing again until the turn starts is safe.
        let presses = 0;
        await until(
          "the first model request",
          () => {
            const sent = upstream.received.some((r) => r.url.endsWith("/responses"));
            if (!sent && presses++ % 30 === 0) pane.keys("Enter");
            return sent || undefined;
          },
          STEP_MS,
          screenOnTimeout,
        );

        // The approval: Codex shows the command it was asked to run; the user says yes.
        await until("the approval prompt", seen("approved-by-user"), STEP_MS, screenOnTimeout);
        await until(
          "the approval choices",
          () => (/Yes, proceed|\(y\)/.test(pane.screen()) ? true : undefined),
          STEP_MS,
          screenOnTimeout,
        );
        expect(existsSync(join(dirs.project, "approved-by-user"))).toBe(false);
        pane.keys("y");

        await until(
          "the answer with the real value",
          seen(`The password is ${secret.value}.`),
          STEP_MS,
          screenOnTimeout,
        );
        expect(existsSync(join(dirs.project, "approved-by-user"))).toBe(true);
        expect(fictaOverTui(pane.screen())).toEqual([]);

        // Ctrl-C on a composer holding a draft clears it: a key for Codex, not the end of ficta.
        pane.type("draft to discard");
        await until("the draft", seen("draft to discard"), STEP_MS, screenOnTimeout);
        pane.keys("C-c");
        await until(
          "the draft cleared",
          () => (pane.screen(0).includes("draft to discard") ? undefined : true),
          STEP_MS,
          screenOnTimeout,
        );
        expect(existsSync(file("exit"))).toBe(false);

        pane.type("/quit");
        await Bun.sleep(300);
        pane.keys("Enter");
        const exit = await until(
          "ficta to exit",
          () => (existsSync(file("exit")) ? readFileSync(file("exit"), "utf8").trim() : undefined),
          STEP_MS,
          screenOnTimeout,
        );
        expect(exit).toBe("ficta-exit=0");

        // The terminal is as Codex found it: same line discipline, main screen, cursor shown,
        // no mouse or keypad modes left on.
        expect(readFileSync(file("stty-after"), "utf8")).toBe(
          readFileSync(file("stty-before"), "utf8"),
        );
        expect(pane.format("#{alternate_on}#{cursor_flag}#{mouse_any_flag}#{keypad_flag}"))
          .toBe("0100");
        // ficta's summary comes after Codex has gone, and counts the protected value.
        expect(pane.screen()).toMatch(/ficta: 1 value protected; \d+ requests?; /);

        // On the wire: the TUI's housekeeping and model turns, never the value in any form.
        const found = needles([secret]);
        for (const request of upstream.received) {
          expect(leaks(wire(request), found), `${request.method} ${request.url}`).toEqual([]);
        }
        const urls = upstream.received.map((r) => r.url.split("?")[0]);
        expect(urls).toContain("/backend-api/wham/accounts/check");
        const turns = upstream.received.filter((r) =>
          r.url === "/backend-api/codex/responses" && !isTitleRequest(r)
        );
        expect(turns.length).toBe(2);
        for (const turn of turns) {
          expect(turn.headers["chatgpt-account-id"]).toBe(login.accountId!);
          expect(turn.headers.originator).toBe("codex-tui");
        }
        // The model saw the value only as a surrogate, in the tool output of turn 2.
        expect(toolOutputs(JSON.parse(turns[1].body)).at(-1)).toMatch(
          new RegExp(`^${secret.name}=ficta_[A-Za-z0-9]{22}$`, "m"),
        );
        expect(codex.version).toMatch(/^\d+\.\d+\.\d+$/);
      } finally {
        pane.kill();
        await upstream.stop();
      }
    },
    6 * STEP_MS,
  );
});
