/**
 * `ficta codex [codex args...]`: runs the real Codex with its model traffic routed through an
 * ephemeral redacting proxy for this one process. Commands that make no model call, and a
 * disabled ficta, run the real Codex untouched and load nothing else.
 */
import { existsSync, fstatSync } from "node:fs";
import {
  type AuthMode,
  bypassingOptions,
  describeAuthMode,
  detectAuthMode,
  findRealCodex,
  isPassthrough,
  managedConfigRefusal,
  overrides,
  PROXY_TOKEN_ENV,
  refusal,
} from "../agents/codex.ts";
import { disabledBy } from "../config/disabled.ts";
import { type Env, paths } from "../config/paths.ts";
import type { Settings } from "../config/schema.ts";
import {
  childEnv,
  loopbackNoProxy,
  NOT_FOUND_EXIT,
  runChild,
  SpawnError,
} from "../launch/child.ts";
import type { Registry } from "../registry/index.ts";
import { USAGE_EXIT } from "./flags.ts";
import { say } from "./say.ts";

export async function run(args: string[]): Promise<number> {
  const env = process.env;
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
    say(
      `refusing to start this through the airlock: ${refused}. ` +
        "To run it unprotected: FICTA_DISABLE=1 codex ...",
    );
    return USAGE_EXIT;
  }
  return await airlocked(codex, args, settings, env);
}

/** The real Codex with exactly the user's arguments: no proxy, no overrides, no token. */
async function untouched(args: string[], env: Env, disabled: string | undefined) {
  // Only codex.path matters here. Without a config file it comes straight from the environment
  // (the variables the schema reads it from): loading the schema would cost more than the rest
  // of this path together, and `codex --version` through ficta should feel like plain Codex.
  let configured = env.FICTA_CODEX_PATH || env.FICTA_REAL_CODEX || "";
  if (existsSync(paths(env).config)) {
    const settings = await loadSettings(env);
    if (typeof settings === "number") return settings;
    configured = settings.codex.path;
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

/** Loaded on demand: the schema costs more than the rest of a passthrough launch together. */
async function loadSettings(env: Env): Promise<Settings | number> {
  return (await import("./settings.ts")).loadSettings(env);
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
    import("../engine/index.ts"),
    import("../proxy/index.ts"),
    import("../report/index.ts"),
    import("../launch/protection.ts"),
  ]);
  // The key first: on the first launch this creates the key file, which the registry protects.
  let key: CryptoKey;
  try {
    key = await loadSurrogateKey(env);
  } catch (error) {
    if (!(error instanceof SurrogateKeyError)) throw error;
    say(error.message);
    return USAGE_EXIT;
  }
  const registry = await loadRegistry(settings, { cwd: process.cwd(), env });
  for (const line of reportLines(registry)) say(line);
  if (settings.registry.require) {
    const problem = requireProblem(registry);
    if (problem) {
      say(`refusing to launch: ${problem} (registry.require / FICTA_REQUIRE_REGISTRY is on)`);
      return USAGE_EXIT;
    }
  }

  const token = crypto.getRandomValues(new Uint8Array(32)).toHex();
  let session: ReturnType<typeof report.createSession>;
  try {
    session = report.createSession(settings, env);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).name;
    say(`cannot create the session log under ${paths(env).logs} (${code}); Codex was not started`);
    return 1;
  }
  const cwd = process.cwd();
  const protection = startProtection({
    settings,
    env,
    cwd,
    registry,
    extra: [{ name: PROXY_TOKEN_ENV, source: "ficta", value: token }],
    key,
    requestsLog: session.requestsLog,
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
  const proxy = proxyModule.startProxy({
    engine: protection.engine,
    settings,
    token,
    session,
    stderrIsTTY: stderrIsTerminal(),
  });
  const stopCodex = new AbortController();
  let compileError: unknown;
  try {
    const mode = detectAuthMode(env);
    say(routeLine(mode, settings, proxy.origin));
    const command = [
      codex,
      ...overrides(proxy.origin, mode, proxyModule.PROXY_TOKEN_HEADER),
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
    if (compileError) {
      say(
        `could not prepare the redaction engine (${
          (compileError as Error).name
        }); Codex was stopped`,
      );
      return 1;
    }
    say(session.summaryLine());
    session.writeStepSummary(env);
    return code;
  } finally {
    for (const line of await protection.stop()) say(line);
    await proxy.stop();
    session.close();
  }
}

/** Why a fail-closed launch must not go ahead, or undefined when it may. */
function requireProblem(registry: Registry): string | undefined {
  const failed = registry.sources.filter((source) => source.status === "error");
  if (failed.length) {
    return `source(s) failed: ${failed.map((source) => source.name).join(", ")}`;
  }
  // The surrogate key is always protected; it counts in no source. Codex's own auth.json tokens
  // are protected in every launch: they say nothing about whether the project's secrets loaded.
  if (registry.sources.every((source) => source.values === 0 || source.kind === "codex")) {
    return "no protected value was loaded from any source";
  }
  return undefined;
}

function routeLine(mode: AuthMode, settings: Settings, origin: string): string {
  const upstream = mode === "chatgpt" ? settings.upstream.chatgpt : settings.upstream.openai;
  const login = mode === "none"
    ? "not logged in, Codex will ask you to log in"
    : describeAuthMode(mode);
  return `codex: ${login}; model requests -> ${origin} -> ${upstream}`;
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
