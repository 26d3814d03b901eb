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
import { disabledRefusal, launchRefusals, refusalLine } from "./verdict.ts";

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
 * Loaded on demand: the schema costs more than the rest of a passthrough launch together. A
 * configuration error refuses the launch.
 */
async function loadSettings(agent: Agent, env: Env): Promise<Settings | number> {
  const loaded = (await import("./settings.ts")).loadSettingsOrProblem(env);
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
 * The protected launch: registry, proxy, the agent, summary. The engine compiles while the agent
 * starts (see deferred-engine.ts); a compile failure stops the agent, whose requests were all
 * refused.
 */
async function airlocked(
  agent: Agent,
  executable: string,
  args: string[],
  settings: Settings,
  env: Env,
) {
  const [
    { loadRegistry, reportLines },
    { loadSurrogateKey, SurrogateKeyError },
    { compileEngine },
    proxyModule,
    report,
    { startProtection },
    { allCredentialFiles },
  ] = await Promise.all([
    import("../registry/index.ts"),
    import("../config/key.ts"),
    import("../core/mod.ts"),
    import("../proxy/mod.ts"),
    import("../report/index.ts"),
    import("./protection.ts"),
    import("../agents/mod.ts"),
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
  // Every agent's credential files: an agent can read another's (reads its credential file).
  const registry = await loadRegistry(settings, {
    cwd: process.cwd(),
    env,
    credentialFiles: allCredentialFiles(),
  });
  for (const line of reportLines(registry)) say(line);
  const refusals = launchRefusals(registry, settings);
  if (refusals.length) {
    return finish(agent, env, {
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
  const session = openSession(agent, report.createSession, settings, env);
  if (typeof session === "string") {
    return finish(agent, env, { kind: "failed", exitCode: FICTA_FAILED_EXIT, message: session });
  }
  const cwd = process.cwd();
  const protection = startProtection({
    settings,
    env,
    cwd,
    registry,
    extra: [{ name: agent.tokenVariable, source: "ficta", value: token }],
    key,
    log: (entry) => session.note(entry),
    compile: (secrets) =>
      compileEngine(secrets, key, engineOptions(settings, { dialect: agent.dialect })),
  });
  for (const line of protection.reportLines) say(line);
  // ficta's own fetch to a loopback upstream must not go through a system proxy either.
  Object.assign(process.env, loopbackNoProxy(process.env));
  const stderrIsTTY = stderrIsTerminal();
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
    protection.begin((error) => {
      compileError = error;
      stopAgent.abort();
    });
    const code = await exited;
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
