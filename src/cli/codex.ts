/**
 * `ficta codex [codex args...]`: runs the real Codex with its model traffic routed through an
 * ephemeral redacting proxy for this one process. Commands that make no model call, and a
 * disabled ficta, run the real Codex untouched and load nothing else.
 */
import { accessSync, constants, existsSync, fstatSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  bypassingOptions,
  codexHome,
  describeAuthMode,
  detectAuthMode,
  findRealCodex,
  firstCommand,
  isPassthrough,
  managedConfigRefusal,
  overrides,
  PROXY_TOKEN_ENV,
  refusal,
} from "../agents/codex/codex.ts";
import { disabledBy } from "../config/disabled.ts";
import { type Env, paths } from "../config/paths.ts";
import { ensurePrivateDir } from "../config/private-files.ts";
import type { Settings } from "../config/schema.ts";
import {
  childEnv,
  loopbackNoProxy,
  NOT_FOUND_EXIT,
  runChild,
  SpawnError,
} from "../session/child.ts";
import { BLOCKED_EXIT, FICTA_FAILED_EXIT, REFUSED_EXIT } from "../session/exit-codes.ts";
import { launchRefusals, refusalLine, requireOn } from "../registry/verdict.ts";
import { addMasks, annotate, type Outcome, writeStepSummary } from "../report/ci.ts";
import type { Session } from "../report/session.ts";
import { say } from "./say.ts";

export async function run(args: string[]): Promise<number> {
  const env = process.env;
  try {
    return await codex(args, env);
  } catch (error) {
    // Nothing of a stack trace reaches the output: one line, a documented code, the summary.
    return finish(env, {
      kind: "failed",
      exitCode: FICTA_FAILED_EXIT,
      message: `internal error (${describeError(error)})`,
    });
  }
}

async function codex(args: string[], env: Env): Promise<number> {
  const disabled = disabledBy(env);
  if (disabled !== undefined || isPassthrough(args)) return await untouched(args, env, disabled);

  const settings = await loadSettings(env);
  if (typeof settings === "number") return settings;
  const codex = realCodex(settings.codex.path, env);
  if (codex === null) return NOT_FOUND_EXIT;
  const bypass = bypassingOptions(args);
  if (bypass.length) {
    say(
      `warning: ${bypass.join(", ")} in your arguments may route Codex around ficta; ` +
        "those requests would not be redacted",
    );
  }
  const refused = refusal(args, env) ?? await managedConfigRefusal();
  if (refused) {
    return finish(env, {
      kind: "refused",
      exitCode: REFUSED_EXIT,
      message: `refusing to start this through the airlock: ${refused}. ` +
        "To run it unprotected: FICTA_DISABLE=1 codex ...",
    });
  }
  return await airlocked(codex, args, settings, env);
}

/** The real Codex with exactly the user's arguments: no proxy, no overrides, no token. */
async function untouched(args: string[], env: Env, disabled: string | undefined) {
  // Only codex.path matters here. Without a config file it comes straight from the environment
  // (the variables the schema reads it from): loading the schema would cost more than the rest
  // of this path together, and `codex --version` through ficta should feel like plain Codex.
  // Disabled, the settings are needed anyway: fail-closed (registry.require) beats disable.
  let configured = env.FICTA_CODEX_PATH || env.FICTA_REAL_CODEX || "";
  const protectedRun = disabled !== undefined && !isPassthrough(args);
  if (protectedRun || existsSync(paths(env).config)) {
    const settings = await loadSettings(env);
    if (typeof settings === "number") return settings;
    configured = settings.codex.path;
    if (protectedRun && requireOn(settings)) {
      return finish(env, {
        kind: "refused",
        exitCode: REFUSED_EXIT,
        message: `refusing to run Codex without the airlock: ficta is disabled (${disabled}) ` +
          "but registry.require / FICTA_REQUIRE_REGISTRY is on; unset FICTA_DISABLE or run " +
          "`ficta enable`",
      });
    }
  }
  const codex = realCodex(configured, env);
  if (codex === null) return NOT_FOUND_EXIT;
  if (disabled) {
    say(`disabled (${disabled}): running Codex without the airlock, requests are not redacted`);
  }
  return await launch([codex, ...args], childEnv(env));
}

/** The real Codex's path, or null after saying where ficta looked. */
function realCodex(configured: string, env: Env): string | null {
  const found = findRealCodex(configured, env, process.execPath);
  if (found.path === null) {
    say(
      `codex: cannot find the real Codex CLI (looked in ${found.looked}). ` +
        "Install it (npm install -g @openai/codex) or set FICTA_REAL_CODEX to its path.",
    );
  }
  return found.path;
}

/**
 * Loaded on demand: the schema costs more than the rest of a passthrough launch together. A
 * configuration error refuses the launch.
 */
async function loadSettings(env: Env): Promise<Settings | number> {
  const loaded = (await import("./settings.ts")).loadSettingsOrProblem(env);
  if (!("problem" in loaded)) return loaded;
  return finish(env, { kind: "refused", exitCode: REFUSED_EXIT, message: loaded.problem });
}

/** Says the outcome's line, annotates it in GitHub Actions, writes the step summary. */
function finish(env: Env, outcome: Outcome): number {
  if (outcome.message) {
    say(outcome.message);
    annotate(env, outcome.kind === "blocked" ? "warning" : "error", outcome.message);
  }
  writeStepSummary(env, outcome);
  return outcome.exitCode;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error).split("\n")[0];
  const code = (error as NodeJS.ErrnoException).code;
  return `${error.name}${code ? ` ${code}` : ""}: ${error.message.split("\n")[0]}`;
}

/**
 * The session's log, under `~/.ficta/logs`; when that cannot be written, under the CI temp
 * directory; with `log.enabled = false`, no file at all. A string when there is nowhere to log.
 */
function openSession(
  create: typeof import("../report/index.ts").createSession,
  settings: Settings,
  env: Env,
): Session | string {
  if (!settings.log.enabled) return create(settings, env, new Date(), null);
  // The directory is checked before the session is made, so a session that creates its files
  // late (with its first request) still fails over here, before Codex starts.
  const attempt = (logs: string): Session | { code: string } => {
    try {
      ensurePrivateDir(logs);
      accessSync(logs, constants.W_OK);
      return create(settings, env, new Date(), logs);
    } catch (error) {
      return { code: (error as NodeJS.ErrnoException).code ?? (error as Error).name };
    }
  };
  const logs = paths(env).logs;
  const first = attempt(logs);
  if (!("code" in first)) return first;
  const fallback = env.RUNNER_TEMP
    ? join(env.RUNNER_TEMP, "ficta-logs")
    : /^(1|true)$/i.test(env.CI ?? "")
    ? join(tmpdir(), "ficta-logs")
    : null;
  const second = fallback ? attempt(fallback) : null;
  if (second && !("code" in second)) {
    const line = `warning: cannot write logs under ${logs} (${first.code}); logging to ${fallback}`;
    say(line);
    annotate(env, "warning", line);
    return second;
  }
  return `cannot create the session log under ${logs} (${first.code}): set FICTA_HOME to a ` +
    "writable directory, or FICTA_LOG_ENABLED=0 to run without a log; Codex was not started";
}

/**
 * The protected launch: registry, proxy, Codex, summary. The engine compiles while Codex starts
 * (see deferred-engine.ts); a compile failure stops Codex, whose requests were all refused.
 */
async function airlocked(codex: string, args: string[], settings: Settings, env: Env) {
  const [
    { loadRegistry, reportLines },
    { loadSurrogateKey, SurrogateKeyError },
    { compileEngine },
    proxyModule,
    report,
    { startProtection },
  ] = await Promise.all([
    import("../registry/index.ts"),
    import("../config/key.ts"),
    import("../core/mod.ts"),
    import("../proxy/index.ts"),
    import("../report/index.ts"),
    import("../session/protection.ts"),
  ]);
  // The key first: on the first launch this creates the key file, which the registry protects.
  let key: CryptoKey;
  try {
    key = await loadSurrogateKey(env);
  } catch (error) {
    if (!(error instanceof SurrogateKeyError)) throw error;
    return finish(env, { kind: "failed", exitCode: FICTA_FAILED_EXIT, message: error.message });
  }
  const registry = await loadRegistry(settings, { cwd: process.cwd(), env });
  for (const line of reportLines(registry)) say(line);
  const refusals = launchRefusals(registry, settings);
  if (refusals.length) {
    return finish(env, {
      kind: "refused",
      exitCode: REFUSED_EXIT,
      message: refusalLine(refusals),
    });
  }
  for (const source of registry.sources) {
    if (source.status === "error" || source.empty?.length) {
      annotate(env, "warning", reportLines({ ...registry, sources: [source] })[0]);
    }
  }
  // The runner masks its own secrets in the job log, not those ficta fetched itself.
  const fetched = new Set(
    registry.sources.filter((source) => source.kind === "command").map((source) => source.name),
  );
  addMasks(env, registry.secrets.filter((s) => fetched.has(s.source)).map((s) => s.value));

  const token = crypto.getRandomValues(new Uint8Array(32)).toHex();
  const launchedAt = Date.now();
  const session = openSession(report.createSession, settings, env);
  if (typeof session === "string") {
    return finish(env, { kind: "failed", exitCode: FICTA_FAILED_EXIT, message: session });
  }
  const cwd = process.cwd();
  const protection = startProtection({
    settings,
    env,
    cwd,
    registry,
    extra: [{ name: PROXY_TOKEN_ENV, source: "ficta", value: token }],
    key,
    log: (entry) => session.note(entry),
    compile: (secrets) =>
      compileEngine(secrets, key, {
        encoded: settings.detect.encoded,
        shapes: settings.detect.shapes,
        disabledFormats: settings.detect.disabled_formats,
        restoreIntoTools: settings.proxy.restore_into_tools,
      }),
  });
  for (const line of protection.reportLines) say(line);
  // ficta's own fetch to a loopback upstream must not go through a system proxy either.
  Object.assign(process.env, loopbackNoProxy(process.env));
  const stderrIsTTY = stderrIsTerminal();
  guardTerminal(stderrIsTTY);
  const proxy = proxyModule.startProxy({
    engine: protection.engine,
    settings,
    token,
    session,
    stderrIsTTY,
    binding: proxyModule.authorizationBinding(join(codexHome(env), "auth.json"), [
      env.CODEX_API_KEY,
      env.OPENAI_API_KEY,
    ]),
  });
  const stopCodex = new AbortController();
  let compileError: unknown;
  try {
    const mode = detectAuthMode(env);
    say(routeLine(env, args, settings, proxy.origin));
    const command = [
      codex,
      ...overrides(
        proxy.origin,
        mode,
        proxyModule.PROXY_TOKEN_HEADER,
        settings.proxy.transport !== "http",
      ),
      ...args,
    ];
    // Spawned synchronously by this call; the engine compiles while Codex starts up.
    const exited = launch(
      command,
      childEnv(env, { [PROXY_TOKEN_ENV]: token, ...loopbackNoProxy(env) }),
      stopCodex.signal,
    );
    protection.begin((error) => {
      compileError = error;
      stopCodex.abort();
    });
    const code = await exited;
    const facts = {
      codexExit: code,
      sessionId: session.id,
      totals: session.totals(),
      refused: session.refusedRequests(),
    };
    if (compileError) {
      return finish(env, {
        kind: "failed",
        exitCode: FICTA_FAILED_EXIT,
        message: `could not prepare the redaction engine (${
          (compileError as Error).name
        }); Codex was stopped`,
        ...facts,
      });
    }
    say(session.summaryLine());
    if (!isExec(args)) {
      const hint = (await import("../agents/codex/resume-hint.ts")).resumeHint(env, launchedAt);
      if (hint) say(hint);
    }
    const blocked = facts.totals.blocked;
    if (blocked) {
      return finish(env, {
        kind: "blocked",
        exitCode: BLOCKED_EXIT,
        message: `${blocked} request(s) blocked: they would have sent a protected value to ` +
          `the model (Codex exited ${code})`,
        ...facts,
      });
    }
    return finish(env, { kind: "ok", exitCode: code, ...facts });
  } finally {
    for (const line of await protection.stop()) say(line);
    await proxy.stop();
    session.close();
  }
}

/**
 * What Codex will really do for credentials, in one line: CODEX_API_KEY counts for `codex exec`
 * only (the TUI ignores it), and an `exec` without any login sends none rather than asking.
 */
export function routeLine(
  env: Env,
  args: string[],
  settings: Settings,
  origin: string,
): string {
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
}

/** `codex exec ...` / `codex e ...`, after any global options. */
function isExec(args: string[]): boolean {
  const first = firstCommand(args);
  return first === "exec" || first === "e";
}

/**
 * The last line of defence while Codex owns the terminal: a fault nobody caught inside ficta
 * would otherwise print a stack trace over the TUI and end the proxy under a running Codex. One
 * `ficta:` line when stderr is not a terminal; nothing on one.
 */
function guardTerminal(stderrIsTTY: boolean): void {
  const quietly = (error: unknown) => {
    if (!stderrIsTTY) say(`internal error (${(error as Error)?.name ?? "Error"}); still running`);
  };
  process.on("unhandledRejection", quietly);
  process.on("uncaughtException", quietly);
}

/** Runs the child; a command that cannot start is explained, with a shell's exit status. */
async function launch(command: string[], env: Env, stop?: AbortSignal): Promise<number> {
  try {
    return await runChild(command, env, stop);
  } catch (error) {
    if (!(error instanceof SpawnError)) throw error;
    say(error.message);
    return error.exitCode;
  }
}

/**
 * Whether stderr is a terminal, without process.stderr or node:tty: initialising either costs
 * ~10 ms of launch in a compiled binary, and fstat costs nothing. /dev/null counts as a
 * terminal too, which only silences lines nobody would read.
 */
function stderrIsTerminal(): boolean {
  try {
    return fstatSync(2).isCharacterDevice();
  } catch {
    return false;
  }
}
