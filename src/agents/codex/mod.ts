/**
 * The OpenAI Codex CLI as an agent ficta launches (verified against codex-cli 0.169.0 and
 * 0.171.0). What each part means lives in the file named for it:
 *
 * - `about.ts`: name, title and the `ficta --help` line (the catalog reads only this).
 * - `auth.ts`: how Codex is logged in (auth.json's shape, the key variables).
 * - `command-line.ts`: Codex's subcommands and options; which commands make no model call.
 * - `overrides.ts`: the `-c` overrides that route one launch through the proxy.
 * - `refusals.ts`: launches ficta refuses (background servers, managed configuration).
 * - `executable.ts`: the real Codex on disk, and the shim's names.
 * - `auth-file.ts`: auth.json as a credential source the registry always protects.
 * - `doctor.ts`, `doctor-around.ts`, `versions.ts`: its part of `ficta doctor`.
 * - `resume-hint.ts`, `help.ts`: what is said after a session, and `ficta help codex`.
 * - `proxy.ts`, `routes.ts`, `binding.ts`: what the proxy serves and forwards for Codex.
 * - `wire.ts`: the Responses API as core reads it (restore's events and tools, redaction's
 *   truncation markers); `self-test.ts`: doctor's live turn in that API.
 *
 * ```ts
 * import { codex } from "./agents/codex/mod.ts";
 * const found = codex.find(codex.configuredPathFromEnv(process.env), process.env, process.execPath);
 * ```
 */
import type { Env } from "../../config/paths.ts";
import type { Agent } from "../agent.ts";
import { codexAbout } from "./about.ts";
import { codexAuthFile } from "./auth-file.ts";
import { describeAuthMode, detectAuthMode } from "./auth.ts";
import { isExec, isPassthrough } from "./command-line.ts";
import { EXECUTABLES, findRealCodex, INSTALL_HINT, PATH_VARIABLES } from "./executable.ts";
import { bypassingOptions, overrides, PROXY_TOKEN_ENV } from "./overrides.ts";
import { managedConfigRefusal, refusal } from "./refusals.ts";
import { codexProxy } from "./proxy.ts";
import { codexSelfTest } from "./self-test.ts";
import { responsesDialect } from "./wire.ts";

export const codex: Agent = {
  ...codexAbout,
  executables: EXECUTABLES,

  installHint: INSTALL_HINT,
  pathVariable: "FICTA_REAL_CODEX",
  configuredPath: (settings) => settings.codex.path,
  configuredPathFromEnv: (env: Env) => PATH_VARIABLES.map((name) => env[name]).find(Boolean) ?? "",
  find: findRealCodex,

  isPassthrough,
  refusal: async ({ args, env }) => refusal(args, env) ?? await managedConfigRefusal(),
  warnings({ args }) {
    const bypass = bypassingOptions(args);
    return bypass.length
      ? [
        `warning: ${bypass.join(", ")} in your arguments may route Codex around ficta; ` +
        "those requests would not be redacted",
      ]
      : [];
  },

  tokenVariable: PROXY_TOKEN_ENV,
  child: ({ executable, args, env, settings, origin, token, tokenHeader }) => ({
    command: [
      executable,
      ...overrides(origin, detectAuthMode(env), tokenHeader, settings.proxy.transport !== "http"),
      ...args,
    ],
    env: { [PROXY_TOKEN_ENV]: token },
  }),
  routeLine: ({ env, args, settings, origin }) => {
    // CODEX_API_KEY counts for `codex exec` only (the TUI ignores it), and an `exec` without any
    // login sends none rather than asking.
    const exec = isExec(args);
    let mode = detectAuthMode(env);
    let note = "";
    if (mode === "codex-api-key" && !exec) {
      mode = detectAuthMode({ ...env, CODEX_API_KEY: undefined });
      note = " (the TUI ignores CODEX_API_KEY; it counts for `codex exec` only)";
    }
    const upstream = mode === "chatgpt" ? settings.upstream.chatgpt : settings.upstream.openai;
    const login = mode !== "none"
      ? describeAuthMode(mode)
      : exec
      ? "not logged in: Codex sends its requests without credentials " +
        "(log in with `codex login`, or set CODEX_API_KEY)"
      : "not logged in, Codex will ask you to log in";
    const transport = settings.proxy.transport === "http"
      ? "HTTP"
      : settings.proxy.transport === "websocket"
      ? "WebSocket"
      : "WebSocket, HTTP fallback";
    // ficta's routing needs -c overrides, which Codex serves only in embedded mode
    // (docs/codex-websocket.md): the TUI would otherwise use its shared background server.
    const daemon = exec ? "" : "; Codex's shared background server is off for this launch " +
      "(ficta's routing needs embedded mode)";
    return `codex: ${login}${note}; model requests -> ${origin} -> ${upstream} ` +
      `(${transport})${daemon}`;
  },
  afterExit: async ({ env, args, launchedAt }) =>
    isExec(args) ? undefined : (await import("./resume-hint.ts")).resumeHint(env, launchedAt),

  credentialFiles: [codexAuthFile],

  help: async () => (await import("./help.ts")).codexHelp(),
  doctor: async (context) => (await import("./doctor.ts")).codexChecks(context),

  proxy: codexProxy,
  dialect: responsesDialect,
  selfTest: codexSelfTest,
};
