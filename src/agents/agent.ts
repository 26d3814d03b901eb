/**
 * Everything one coding agent means for a launch through ficta: its name and executables, how the
 * real one is found, which of its commands run untouched, what it refuses, how its child process
 * is pointed at the proxy, its doctor checks, its own credentials, and what it says after a run.
 * The session (`src/session/`) runs any `Agent` the same way; `src/agents/mod.ts` lists them.
 *
 * ```ts
 * import { codex } from "./codex/mod.ts";
 * if (codex.isPassthrough(["--version"])) {
 *   // run the real Codex untouched: no proxy, no registry
 * }
 * ```
 *
 * Adding an agent is one folder `src/agents/<name>/` whose `mod.ts` exports a value of this type,
 * and one line in `src/agents/mod.ts` (docs/adding-an-agent.md walks through it).
 */
import type { Env } from "../config/paths.ts";
import type { Settings } from "../config/schema.ts";
import type { CredentialFile } from "../registry/found.ts";
import type { Check } from "../report/check.ts";
import type { Dialect } from "../core/mod.ts";
import type { ProxyAgent } from "../proxy/mod.ts";
import type { Found } from "./find.ts";

export type { Found } from "./find.ts";

/** One launch as the user asked for it. */
export interface LaunchContext {
  /** The user's arguments, untouched. */
  args: string[];
  env: Env;
  /** Where the agent runs (its project settings live there). */
  cwd: string;
}

/** What the session knows when it builds the child's command line and environment. */
export interface ChildOptions {
  /** The real executable (`Agent.find`). */
  executable: string;
  /** The user's arguments, untouched. */
  args: string[];
  /** The environment ficta was started with (the child's base). */
  env: Env;
  settings: Settings;
  /** Where the agent runs. */
  cwd: string;
  /** Where the proxy listens: `http://127.0.0.1:PORT`. */
  origin: string;
  /** The per-launch token the proxy requires, and the request header it is read from. */
  token: string;
  tokenHeader: string;
}

/** The child process as the agent wants it started: argv and environment (the key removed). */
export interface ChildLaunch {
  command: string[];
  /** Variables added to (or replacing) the user's environment for the child only. */
  env: Env;
  /** Undoes what `child` made for this launch only (a per-launch file), after the child exits. */
  cleanup?(): void | Promise<void>;
}

/** What an agent's doctor checks may read. */
export interface DoctorContext {
  env: Env;
  cwd: string;
  settings: Settings;
  /** This ficta's executable, which the lookup must skip (the launch passes the same). */
  self: string;
  /** A slow agent or upstream must not push doctor past its budget. */
  timeoutMs: number;
}

/**
 * An agent's own doctor checks, by the place they take in the report (between `registry` and
 * `shim`, `upstreams` after `disabled`, `around` and `reach` before the self-test).
 */
export interface AgentChecks {
  /** The real executable: found, answers `--version`, a verified version? (id: the agent's name) */
  executable: Check;
  /** How it will authenticate, and where its model requests go. */
  auth: Check;
  /** The upstreams it is routed to. */
  upstreams: Check;
  /** What on this machine could send its session data around ficta. */
  around: Check;
  /** Whether its model upstream answers at all. */
  reach: Check;
}

export interface Agent {
  /** `ficta <name>`, `ficta doctor <name>`, the kind of its credential-file source: `codex`. */
  readonly name: string;
  /** The agent in messages: `Codex`. */
  readonly title: string;
  /** The `ficta --help` line and `ficta help <name>` usage. */
  readonly summary: string;
  readonly usage: string;
  /**
   * The command on PATH, which is also the shim `ficta install` writes (`codex`, `codex.cmd`);
   * install/, the shim templates and doctor take it from here.
   */
  readonly executables: { readonly posix: string; readonly windows: string };

  // How the real agent is found.
  /** How to install it, for the "cannot find" line: `npm install -g @openai/codex`. */
  readonly installHint: string;
  /** The variable a user sets to point at the real one: `FICTA_REAL_CODEX`. */
  readonly pathVariable: string;
  /** The configured executable (its section of the settings); empty: look on PATH. */
  configuredPath(settings: Settings): string;
  /**
   * The same, from the environment only (the variables the schema reads it from): the
   * passthrough path skips loading the schema when there is no config file.
   */
  configuredPathFromEnv(env: Env): string;
  /** The real executable, never ficta's shim or ficta itself; or where ficta looked. */
  find(configured: string, env: Env, self: string): Found;

  // Before launch.
  /**
   * True when these arguments make no model call (`--version`, `login`, `mcp`, ...): the real
   * agent runs untouched, without proxy, registry or token.
   */
  isPassthrough(args: string[]): boolean;
  /**
   * Why this launch cannot run through the airlock (arguments, environment, a configuration
   * file that outranks ficta's routing), or undefined when it can.
   */
  refusal(launch: LaunchContext): Promise<string | undefined>;
  /** Launch-time warnings: the user's own options that route around ficta (launch anyway). */
  warnings(launch: LaunchContext): string[];

  // The launch.
  /** The variable, in the child's environment only, that carries the per-launch token. */
  readonly tokenVariable: string;
  /** The child's argv and extra environment that route its model traffic through the proxy. */
  child(options: ChildOptions): ChildLaunch;
  /** One line before the child starts: how it authenticates and where its requests go. */
  routeLine(options: { env: Env; args: string[]; settings: Settings; origin: string }): string;
  /** Said after the child exits (Codex: how to resume the session through ficta). */
  afterExit(options: { env: Env; args: string[]; launchedAt: number }): Promise<string | undefined>;

  // Its secrets.
  /** Credential files the registry always protects, stores and watches (Codex's auth.json). */
  readonly credentialFiles: readonly CredentialFile[];
  /** The agent's own credential variables: registered, but they never satisfy registry.require. */
  readonly credentialNames: ReadonlySet<string>;

  // Around the launch.
  /** `ficta help <name>`: what ficta adds to a launch of this agent, and its variables. */
  help(): Promise<string>;
  /** Its part of `ficta doctor`. */
  doctor(context: DoctorContext): Promise<AgentChecks>;

  // Its wire.
  /** What the proxy needs: routes, upstreams, identity headers, local answers, refusal rendering. */
  readonly proxy: ProxyAgent;
  /**
   * Its wire API as core reads it: which events and tool fields restore touches, which request
   * fields hold JSON text and how it cuts long tool outputs (redaction).
   */
  readonly dialect: Dialect;
  /** One model turn for doctor's live self-test; absent: doctor says the self-test is not run. */
  readonly selfTest?: SelfTestTurn;
}

/** A synthetic value of doctor's self-test: its name and its value (or surrogate). */
export interface SelfTestValue {
  name: string;
  value: string;
}

/**
 * One model turn as doctor's live self-test plays it through the real proxy, in the agent's own
 * wire API: a request holding two values (`plain`, and `quoted` with a quote and a backslash) as a
 * tool's output and inside an echoed tool call, and the streamed answer a model would give with
 * their surrogates, each cut across two deltas (Codex: agents/codex/self-test.ts).
 *
 * ```ts
 * const body = agent.selfTest.request({ plain, quoted });
 * const { sse, text, command } = agent.selfTest.answer({ plain: plainSurrogate, quoted: quotedSurrogate });
 * const got = agent.selfTest.read(restoredSse); // got.text === text with the values back
 * ```
 */
export interface SelfTestTurn {
  /** The model call's path on the proxy (`/v1/responses`). */
  readonly path: string;
  /** The request body as the client would send it. */
  request(values: { plain: SelfTestValue; quoted: SelfTestValue }): string;
  /**
   * The model's streamed answer (SSE): `text` holds both surrogates; `command` is the tool
   * command it asks to run, holding `quoted`'s surrogate.
   */
  answer(surrogates: { plain: string; quoted: string }): {
    sse: string;
    text: string;
    command: string;
  };
  /** What the client takes from an answer: its text, the command as streamed and as completed. */
  read(sse: string): { text: string; commands: (string | undefined)[] };
}
