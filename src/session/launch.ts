/**
 * One launch of an agent through the airlock: `ficta <agent> [args...]` runs the real agent with
 * its model traffic routed through an ephemeral redacting proxy for this one process. Commands
 * that make no model call, and a disabled ficta, run the real agent untouched and load nothing
 * else. What differs between agents is the `Agent` (src/agents/); everything here is the same.
 *
 * ```ts
 * import { findAgent } from "../agents/mod.ts";
 * process.exit(await runAgent(findAgent(name)!, args));
 * ```
 */
import { accessSync, constants, existsSync, fstatSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Agent, ChildLaunch } from "../agents/agent.ts";
import { disabledBy } from "../config/disabled.ts";
import { type Env, paths } from "../config/paths.ts";
import { ensurePrivateDir } from "../config/private-files.ts";
import type { Settings } from "../config/schema.ts";
import { engineOptions } from "../config/engine-options.ts";
import { addMasks, annotate, type Outcome, writeStepSummary } from "../report/ci.ts";
import { say } from "../report/say.ts";
import type { Session } from "../report/session.ts";
import { childEnv, loopbackNoProxy, NOT_FOUND_EXIT, runChild, SpawnError } from "./child.ts";
import { BLOCKED_EXIT, FICTA_FAILED_EXIT, REFUSED_EXIT } from "./exit-codes.ts";
import { disabledRefusal, launchRefusals, refusalLine, requireOn } from "./verdict.ts";
import type { Registry } from "../registry/index.ts";
import { reportLines as registryReportLines } from "../registry/report.ts";

/** `ficta <agent> [args...]`: resolves to the exit code (the agent's own, or ficta's). */
export async function runAgent(agent: Agent, args: string[]): Promise<number> {
  const env = process.env;
  try {
    return await launchAgent(agent, args, env);
  } catch (error) {
    // Nothing of a stack trace reaches the output: one line, a documented code, the summary.
    return finish(agent, env, {
      kind: "failed",
      exitCode: FICTA_FAILED_EXIT,
      message: `internal error (${describeError(error)})`,
    });
  }
}

async function launchAgent(agent: Agent, args: string[], env: Env): Promise<number> {
  const disabled = disabledBy(env);
  if (disabled !== undefined || agent.isPassthrough(args)) {
    return await untouched(agent, args, env, disabled);
  }

  const settings = await loadSettings(agent, env);
  if (typeof settings === "number") return settings;
  const executable = realExecutable(agent, agent.configuredPath(settings), env);
  if (executable === null) return NOT_FOUND_EXIT;
  const context = { args, env, cwd: process.cwd() };
  for (const line of agent.warnings(context)) say(line);
  const refused = await agent.refusal(context);
  if (refused) {
    return finish(agent, env, {
      kind: "refused",
      exitCode: REFUSED_EXIT,
      message: `refusing to start this through the airlock: ${refused}. ` +
        `To run it unprotected: FICTA_DISABLE=1 ${agent.name} ...`,
    });
  }
  return await airlocked(agent, executable, args, settings, env);
}

/** The real agent with exactly the user's arguments: no proxy, no overrides, no token. */
async function untouched(agent: Agent, args: string[], env: Env, disabled: string | undefined) {
  // Only the agent's path matters here. Without a config file it comes straight from the
  // environment (the variables the schema reads it from): loading the schema would cost more
  // than the rest of this path together, and `<agent> --version` through ficta should feel like
  // the plain agent. Disabled, the settings are needed anyway: fail-closed (registry.require) beats
  // disable.
  let configured = agent.configuredPathFromEnv(env);
  const protectedRun = disabled !== undefined && !agent.isPassthrough(args);
  if (protectedRun || existsSync(paths(env).config)) {
    const settings = await loadSettings(agent, env);
    if (typeof settings === "number") return settings;
    configured = agent.configuredPath(settings);
    const refused = protectedRun ? disabledRefusal(agent, settings, disabled) : undefined;
    if (refused) {
      return finish(agent, env, { kind: "refused", exitCode: REFUSED_EXIT, message: refused });
    }
  }
  const executable = realExecutable(agent, configured, env);
  if (executable === null) return NOT_FOUND_EXIT;
  if (disabled) {
    say(
      `disabled (${disabled}): running ${agent.title} without the airlock, requests are not ` +
        "redacted",
    );
  }
  return await launch([executable, ...args], childEnv(env));
}

/** The real agent's path, or null after saying where ficta looked. */
function realExecutable(agent: Agent, configured: string, env: Env): string | null {
  const found = agent.find(configured, env, process.execPath);
  if (found.path === null) {
    say(
      `${agent.name}: cannot find the real ${agent.title} CLI (looked in ${found.looked}). ` +
        `Install it (${agent.installHint}) or set ${agent.pathVariable} to its path.`,
    );
  }
  return found.path;
}

/**
 * Loaded on demand, from the settings cache when nothing changed since an earlier launch (see
 * launch-settings.ts): the schema costs more than the rest of a launch before the spawn together.
 * A configuration error refuses the launch.
 */
async function loadSettings(agent: Agent, env: Env): Promise<Settings | number> {
  const loaded = await (await import("./launch-settings.ts")).launchSettings(env);
  if (!("problem" in loaded)) return loaded;
  return finish(agent, env, { kind: "refused", exitCode: REFUSED_EXIT, message: loaded.problem });
}

/** Says the outcome's line, annotates it in GitHub Actions, writes the step summary. */
function finish(agent: Agent, env: Env, outcome: Outcome): number {
  outcome = { agent: agent.title, ...outcome };
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
  agent: Agent,
  create: typeof import("../report/index.ts").createSession,
  settings: Settings,
  env: Env,
): Session | string {
  if (!settings.log.enabled) return create(settings, env, new Date(), null);
  // The directory is checked before the session is made, so a session that creates its files
  // late (with its first request) still fails over here, before the agent starts.
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
    `writable directory, or FICTA_LOG_ENABLED=0 to run without a log; ${agent.title} was not started`;
}

/**
 * The protected launch: key, proxy, the agent, then the registry, summary. Only what decides
 * whether the launch may run comes before the spawn: the settings and the agent's refusals (in
 * launchAgent), the surrogate key, the session log's directory, and, when `registry.require` is on
 * (or a GitHub Actions job fetches values from secret managers, which the runner must mask before
 * the agent can print them), the whole registry. Otherwise the registry (the dotenv files and the
 * monorepo walk, the environment, the agents' credential files), the store and the compile run
 * while the agent starts (see protection.ts): the proxy holds every request until the engine has
 * all of them compiled in, so nothing reaches the model before that. A registry or compile
 * failure stops the agent, whose requests were all refused.
 */
async function airlocked(
  agent: Agent,
  executable: string,
  args: string[],
  settings: Settings,
  env: Env,
) {
  const [
    { loadSurrogateKey, SurrogateKeyError },
    proxyModule,
    report,
    { startProtection },
  ] = await Promise.all([
    import("../config/key.ts"),
    import("../proxy/mod.ts"),
    import("../report/index.ts"),
    import("./protection.ts"),
  ]);
  // The key first: on the first launch this creates the key file, which the registry protects.
  let key: CryptoKey;
  try {
    key = await loadSurrogateKey(env);
  } catch (error) {
    if (!(error instanceof SurrogateKeyError)) throw error;
    return finish(agent, env, {
      kind: "failed",
      exitCode: FICTA_FAILED_EXIT,
      message: error.message,
    });
  }
  const cwd = process.cwd();
  const stderrIsTTY = stderrIsTerminal();
  let early: Registry | undefined;
  if (registryDecides(settings, env)) {
    early = await loadRegistryFor(settings, env, cwd);
    const refusals = launchRefusals(early, settings);
    if (refusals.length) {
      for (const line of registryReportLines(early)) say(line);
      return finish(agent, env, {
        kind: "refused",
        exitCode: REFUSED_EXIT,
        message: refusalLine(refusals),
      });
    }
    reportRegistry(early, env, say);
  }

  const token = crypto.getRandomValues(new Uint8Array(32)).toHex();
  const launchedAt = Date.now();
  const session = openSession(agent, report.createSession, settings, env);
  if (typeof session === "string") {
    return finish(agent, env, { kind: "failed", exitCode: FICTA_FAILED_EXIT, message: session });
  }
  const protection = startProtection({
    settings,
    env,
    cwd,
    extra: [{ name: agent.tokenVariable, source: "ficta", value: token }],
    key,
    log: (entry) => session.note(entry),
    compile: async (secrets) =>
      (await import("../core/mod.ts")).compileEngine(
        secrets,
        key,
        engineOptions(settings, { dialect: agent.dialect }),
      ),
  });
  // ficta's own fetch to a loopback upstream must not go through a system proxy either.
  Object.assign(process.env, loopbackNoProxy(process.env));
  guardTerminal(stderrIsTTY);
  const proxy = proxyModule.serve({
    agent: agent.proxy,
    engine: protection.engine,
    dialect: agent.dialect,
    settings,
    token,
    session,
    // While the agent's TUI owns the terminal ficta prints nothing; otherwise one line per request.
    requestLines: stderrIsTTY ? undefined : say,
    binding: agent.proxy.binding?.(env) ?? null,
  });
  // Launch-report lines that are ready only after the spawn: said as they come when stderr is not
  // a terminal; while the agent's TUI owns the terminal, said after it exits.
  const later: string[] = [];
  const sayLater = (line: string) => stderrIsTTY ? later.push(line) : say(line);
  const stopAgent = new AbortController();
  let compileError: unknown;
  let child: ChildLaunch | undefined;
  try {
    say(agent.routeLine({ env, args, settings, origin: proxy.origin }));
    child = agent.child({
      executable,
      args,
      env,
      cwd,
      settings,
      origin: proxy.origin,
      token,
      tokenHeader: proxyModule.PROXY_TOKEN_HEADER,
    });
    // Spawned synchronously by this call; the engine compiles while the agent starts up.
    const exited = launch(
      child.command,
      childEnv(env, { ...child.env, ...loopbackNoProxy(env) }),
      stopAgent.signal,
    );
    const registry = early
      ? Promise.resolve(early)
      : loadRegistryFor(settings, env, cwd).then((registry) => {
        reportRegistry(registry, env, sayLater);
        return registry;
      });
    const reported = protection.begin(registry, (error) => {
      compileError = error;
      stopAgent.abort();
    }).then((lines) => lines.forEach(sayLater), () => {});
    const code = await exited;
    await reported;
    for (const line of later.splice(0)) say(line);
    const facts = {
      agentExit: code,
      sessionId: session.id,
      totals: session.totals(),
      refused: session.refusedRequests(),
    };
    if (compileError) {
      return finish(agent, env, {
        kind: "failed",
        exitCode: FICTA_FAILED_EXIT,
        message: `could not prepare the redaction engine (${
          (compileError as Error).name
        }); ${agent.title} was stopped`,
        ...facts,
      });
    }
    say(session.summaryLine());
    const after = await agent.afterExit({ env, args, launchedAt });
    if (after) say(after);
    const blocked = facts.totals.blocked;
    if (blocked) {
      return finish(agent, env, {
        kind: "blocked",
        exitCode: BLOCKED_EXIT,
        message: `${blocked} request(s) blocked: they would have sent a protected value to ` +
          `the model (${agent.title} exited ${code})`,
        ...facts,
      });
    }
    return finish(agent, env, { kind: "ok", exitCode: code, ...facts });
  } finally {
    try {
      await child?.cleanup?.();
    } catch {
      // what the agent made for this launch is its to report; the launch's outcome stands
    }
    for (const line of await protection.stop()) say(line);
    await proxy.stop();
    session.close();
  }
}

/**
 * Whether the registry decides if this launch may run, and so must be loaded before the spawn:
 * under `registry.require` (fail-closed: a source that fails, a missing name or an empty registry
 * refuses the launch), and in a GitHub Actions job with secret-manager sources, whose values the
 * runner must be told to mask before the agent can print one into the job log.
 */
function registryDecides(settings: Settings, env: Env): boolean {
  if (requireOn(settings)) return true;
  const config = settings.registry;
  return /^true$/i.test(env.GITHUB_ACTIONS ?? "") &&
    (config.presets.length > 0 || config.command.length > 0);
}

/** The registry from the launch directory, every agent's credential files included. */
async function loadRegistryFor(settings: Settings, env: Env, cwd: string): Promise<Registry> {
  const [{ loadRegistry }, { allCredentialFiles }] = await Promise.all([
    import("../registry/index.ts"),
    import("../agents/mod.ts"),
  ]);
  // Every agent's credential files: an agent can read another's (reads its credential file).
  return await loadRegistry(settings, { cwd, env, credentialFiles: allCredentialFiles() });
}

/** The registry's report lines, its warnings as CI annotations, masks for fetched values. */
function reportRegistry(registry: Registry, env: Env, line: (text: string) => void): void {
  for (const text of registryReportLines(registry)) line(text);
  for (const source of registry.sources) {
    if (source.status === "error" || source.empty?.length) {
      annotate(env, "warning", registryReportLines({ ...registry, sources: [source] })[0]);
    }
  }
  // The runner masks its own secrets in the job log, not those ficta fetched itself.
  const fetched = new Set(
    registry.sources.filter((source) => source.kind === "command").map((source) => source.name),
  );
  addMasks(env, registry.secrets.filter((s) => fetched.has(s.source)).map((s) => s.value));
}

/**
 * The last line of defence while the agent owns the terminal: a fault nobody caught inside ficta
 * would otherwise print a stack trace over the TUI and end the proxy under a running agent. One
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
