/**
 * What ficta knows about the OpenAI Codex CLI (verified against codex-cli 0.169.0): how it is
 * logged in, the `-c` overrides that route one launch through the proxy, which commands make no
 * model calls, and where the real executable is.
 */
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { type Env, paths, userHome } from "../../config/paths.ts";
import { SHIM_MARKER } from "../../install/shim.ts";

/** How Codex will authenticate its model requests in this launch. */
export type AuthMode =
  | "chatgpt" // auth.json from `codex login` with a ChatGPT account
  | "apikey-login" // auth.json from `codex login --with-api-key`
  | "codex-api-key" // CODEX_API_KEY in the environment (beats a ChatGPT auth.json)
  | "openai-api-key" // only OPENAI_API_KEY in the environment
  | "none"; // not logged in: Codex itself asks for a login

/** The variable, set in Codex's environment only, that Codex reads the per-launch token from. */
export const PROXY_TOKEN_ENV = "FICTA_PROXY_TOKEN";
/** The model provider id ficta injects; Codex's banner shows `provider: ficta`. */
export const PROVIDER_ID = "ficta";

export function codexHome(env: Env): string {
  return env.CODEX_HOME || join(userHome(env), ".codex");
}

/** Reads only the shape of auth.json (never a token) and the presence of the key variables. */
export function detectAuthMode(env: Env): AuthMode {
  const login = loginKind(join(codexHome(env), "auth.json"));
  if (env.CODEX_API_KEY) return "codex-api-key";
  if (login) return login;
  if (env.OPENAI_API_KEY) return "openai-api-key";
  return "none";
}

function loginKind(file: string): "chatgpt" | "apikey-login" | undefined {
  let auth: { auth_mode?: unknown; tokens?: unknown; OPENAI_API_KEY?: unknown };
  try {
    auth = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
  if (typeof auth !== "object" || auth === null) return undefined;
  if (auth.auth_mode === "apikey") return "apikey-login";
  if (auth.auth_mode === "chatgpt" || (auth.tokens && typeof auth.tokens === "object")) {
    return "chatgpt";
  }
  if (typeof auth.OPENAI_API_KEY === "string" && auth.OPENAI_API_KEY) return "apikey-login";
  return undefined;
}

export function describeAuthMode(mode: AuthMode): string {
  switch (mode) {
    case "chatgpt":
      return "ChatGPT login";
    case "apikey-login":
      return "API-key login";
    case "codex-api-key":
      return "CODEX_API_KEY";
    case "openai-api-key":
      return "OPENAI_API_KEY";
    case "none":
      return "not logged in";
  }
}

/**
 * The `-c` overrides for one launch, placed before the user's arguments. The token travels in
 * Codex's environment only (`env_http_headers` names the variable): argv is readable by every
 * local user, the environment only by the same user.
 */
export function overrides(
  origin: string,
  mode: AuthMode,
  tokenHeader: string,
  /** Declare the Responses WebSocket (proxy.transport auto or websocket): Codex tries it first. */
  websockets = false,
): string[] {
  const auth = mode === "openai-api-key"
    ? `model_providers.${PROVIDER_ID}.env_key=OPENAI_API_KEY`
    : `model_providers.${PROVIDER_ID}.requires_openai_auth=true`;
  return [
    `model_provider=${PROVIDER_ID}`,
    `model_providers.${PROVIDER_ID}.name=${PROVIDER_ID}`,
    `model_providers.${PROVIDER_ID}.base_url=${origin}/v1`,
    `model_providers.${PROVIDER_ID}.wire_api=responses`,
    auth,
    ...(websockets ? [`model_providers.${PROVIDER_ID}.supports_websockets=true`] : []),
    `model_providers.${PROVIDER_ID}.env_http_headers={"${tokenHeader}"="${PROXY_TOKEN_ENV}"}`,
    // Codex passes its environment to the commands it runs: they get the token emptied. Only this
    // key of the user's `set` table is written; the rest of their policy stays as it is.
    `shell_environment_policy.set.${PROXY_TOKEN_ENV}=""`,
    `chatgpt_base_url=${origin}/backend-api/`,
    ...SWITCHED_OFF,
  ].flatMap((o) => ["-c", o]).concat(NO_DAEMON);
}

/**
 * Codex features that send session data somewhere other than the model provider or
 * chatgpt_base_url, switched off for the launch (measured with codex-cli 0.169.0 and 0.171.0;
 * docs/threat-model.md has the whole table).
 */
const SWITCHED_OFF = [
  // OpenTelemetry metrics, by default to https://ab.chatgpt.com/otlp/v1/metrics.
  "otel.metrics_exporter=none",
  // OpenTelemetry log events and traces to a configured collector: prompts, tool calls, output.
  "otel.exporter=none",
  "otel.trace_exporter=none",
  // With no proxy variable set, Codex falls back to the operating system's proxy settings
  // (macOS, Windows), which ficta's NO_PROXY does not reach: a request for the loopback proxy
  // could go to that proxy in clear text. ficta's own upstream calls read the variables only,
  // so a machine that needs the system proxy cannot reach the upstream through ficta anyway.
  "features.system_proxy_fallback=false",
  // /feedback uploads Codex's logs and the session transcript to Sentry.
  "feedback.enabled=false",
];
const SWITCHED_OFF_KEYS = new Set(SWITCHED_OFF.map((o) => o.split("=")[0]));

/**
 * The interactive Codex hands its session to a shared background app server when one runs (one
 * started without ficta would send the model requests straight to OpenAI), and such a server
 * outlives the launch. `--no-daemon` keeps the session in this process, on ficta's routing.
 * It is a top-level option: valid before every subcommand.
 */
const NO_DAEMON = ["--no-daemon"];

/**
 * Subcommands that make no model call, verified with codex-cli 0.169.0 against a recording
 * upstream. They run without the proxy; `features` and `mcp` also write config.toml, which
 * must never see ficta's overrides. `doctor` probes the provider (HEAD /responses, GET /models)
 * without the provider's extra headers, so through ficta it would diagnose ficta's refusal
 * instead of the user's setup.
 */
const PASSTHROUGH_COMMANDS = new Set([
  "help",
  // Installs the new version with npm, brew or the installer: downloads, no model call.
  "update",
  "login",
  "logout",
  "completion",
  "features",
  "mcp",
  "sandbox",
  "doctor",
]);
const INFO_FLAGS = new Set(["-h", "--help", "-V", "--version"]);
/** Codex options whose value is the next argument (`--opt value`); `--opt=value` needs no entry. */
const OPTIONS_WITH_VALUE = new Set([
  "-c",
  "--config",
  "--enable",
  "--disable",
  "--remote",
  "--remote-auth-token-env",
  "-i",
  "--image",
  "-m",
  "--model",
  "--local-provider",
  "-p",
  "--profile",
  "-s",
  "--sandbox",
  "-C",
  "--cd",
  "--add-dir",
  "-a",
  "--ask-for-approval",
  "-o",
  "--output-last-message",
  "--output-schema",
  "--color",
]);
/** Subcommands whose next positional argument is a prompt, not another subcommand. */
const PROMPT_COMMANDS = new Set(["exec", "e", "review", "resume", "fork"]);

/**
 * True when these arguments run a Codex command that makes no model call: a passthrough
 * subcommand, or a help/version flag before any prompt (`codex exec --help`, not
 * `codex exec -- -h`).
 */
export function isPassthrough(args: string[]): boolean {
  let subcommand: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return false;
    if (INFO_FLAGS.has(arg)) return true;
    if (arg.startsWith("-")) {
      if (OPTIONS_WITH_VALUE.has(arg)) i++;
      continue;
    }
    if (subcommand !== undefined) return false;
    if (PASSTHROUGH_COMMANDS.has(arg)) return true;
    if (!PROMPT_COMMANDS.has(arg)) return false;
    subcommand = arg;
  }
  return false;
}

/** The first subcommand in Codex's arguments (after global options), if any. */
export function firstCommand(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return undefined;
    if (arg.startsWith("-")) {
      if (OPTIONS_WITH_VALUE.has(arg)) i++;
      continue;
    }
    return arg;
  }
  return undefined;
}

/**
 * Why ficta will not run these arguments through the airlock, or undefined when it will. These
 * start something that outlives the launch or talks to a host of its own, so ficta cannot keep
 * its promise for them; saying so beats a launch line that claims protection.
 */
export function refusal(args: string[], env: Env): string | undefined {
  const { subcommand, next, options } = commandLine(args);
  if (options.some((o) => o === "--remote" || o.startsWith("--remote="))) {
    return "--remote connects to an app server elsewhere, which sends the model requests " +
      "itself: they would not pass through ficta";
  }
  if (env.CODEX_EXEC_SERVER_URL) {
    return "CODEX_EXEC_SERVER_URL is set: Codex would run its commands, with real values " +
      "restored into them, on that exec-server, outside ficta's airlock";
  }
  switch (subcommand) {
    case "remote-control":
      return "remote-control starts a background app server that outlives this launch and takes " +
        "its work from chatgpt.com: its model requests would not pass through ficta";
    case "app-server":
      if (next === "daemon") {
        return "app-server daemon manages a background app server that outlives this launch: " +
          "its model requests would not pass through ficta";
      }
      if (next === "proxy") {
        return "app-server proxy attaches to a running background app server, which was not " +
          "started through ficta";
      }
      return undefined;
    case "queue":
      return "queue hands the message to Codex's shared background app server (it cannot run " +
        "with --no-daemon), which was not started through ficta";
    case "debug":
      if (next === "app-server") {
        return "debug app-server starts an app server without ficta's routing: its model " +
          "requests go straight to OpenAI";
      }
      return undefined;
    case "exec-server":
      return "exec-server is a long-lived service that runs commands for Codex sessions " +
        "elsewhere; ficta sees none of their traffic";
    case "cloud":
    case "apply":
    case "a":
      return `${subcommand} talks to Codex Cloud (chatgpt.com) directly, not through a base URL ` +
        "ficta can take over";
  }
  return undefined;
}

/**
 * Codex's legacy managed configuration file (Unix). Unlike every other layer it outranks `-c`:
 * measured with 0.171.0, `model_provider` set there won over ficta's, and Codex sent its model
 * requests to that provider while ficta reported them routed. (macOS MDM profiles deliver the
 * same layer; ficta cannot read those.)
 */
export const MANAGED_CONFIG = "/etc/codex/managed_config.toml";

/**
 * The keys of `config` (a parsed managed configuration) that would override ficta's routing or
 * switch back on what ficta switches off, as dotted names. Tables merge key by key, so only the
 * keys ficta itself sets conflict.
 */
export function managedConflicts(config: Record<string, unknown>): string[] {
  const ours = [
    "model_provider",
    "chatgpt_base_url",
    `model_providers.${PROVIDER_ID}`,
    ...SWITCHED_OFF.map((o) => o.split("=")[0]),
  ];
  const found: string[] = [];
  const visit = (table: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(table)) {
      const name = prefix + key;
      if (ours.includes(name)) {
        // The same value as ficta's override is no conflict (`otel.exporter = "none"`).
        const same = (typeof value === "string" || typeof value === "boolean") &&
          SWITCHED_OFF.includes(`${name}=${value}`);
        if (!same) found.push(name);
      } else if (ours.some((o) => o.startsWith(`${name}.`)) && isTable(value)) {
        visit(value, `${name}.`);
      }
    }
  };
  visit(config, "");
  return found;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Why the managed configuration at `file` stops a protected launch, or undefined. */
export async function managedConfigRefusal(file = MANAGED_CONFIG): Promise<string | undefined> {
  if (process.platform === "win32" || !existsSync(file)) return undefined;
  let config: Record<string, unknown>;
  try {
    config = (await import("smol-toml")).parse(readFileSync(file, "utf8"));
  } catch (error) {
    return `${file} cannot be read (${(error as Error).name}); Codex would apply it over ` +
      "ficta's routing";
  }
  const keys = managedConflicts(config);
  if (!keys.length) return undefined;
  return `${file} sets ${keys.join(", ")}, which outrank ficta's overrides: Codex would not ` +
    "route as ficta says";
}

/** The subcommand and the positional argument after it; every option before `--`. */
function commandLine(args: string[]): { subcommand?: string; next?: string; options: string[] } {
  const options: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") break;
    if (arg.startsWith("-")) {
      options.push(arg);
      if (OPTIONS_WITH_VALUE.has(arg)) i++;
    } else positionals.push(arg);
  }
  // A prompt for the interactive Codex is not a subcommand.
  if (!SUBCOMMANDS.has(positionals[0])) return { options };
  return { subcommand: positionals[0], next: positionals[1], options };
}

/** Codex's subcommands (identical in 0.169.0 and 0.171.0). */
const SUBCOMMANDS = new Set([
  "agents",
  "exec",
  "e",
  "review",
  "login",
  "logout",
  "mcp",
  "plugin",
  "app-server",
  "remote-control",
  "completion",
  "update",
  "doctor",
  "sandbox",
  "debug",
  "apply",
  "a",
  "resume",
  "queue",
  "archive",
  "delete",
  "migrate-rollouts",
  "migrate-nfs-db",
  "unarchive",
  "fork",
  "cloud",
  "exec-server",
  "features",
  "help",
]);

/**
 * Options a user can pass that take Codex's model traffic away from ficta's provider. ficta
 * still launches (the user asked for it) but says so.
 */
export function bypassingOptions(args: string[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") break;
    if (arg === "--oss") found.push(arg);
    if (arg === "--enable" && SWITCHED_OFF_KEYS.has(`features.${args[i + 1]}`)) {
      found.push(`--enable ${args[i + 1]}`);
    }
    const value = arg === "-c" || arg === "--config"
      ? args[i + 1]
      : arg.startsWith("--config=")
      ? arg.slice("--config=".length)
      : undefined;
    if (value === undefined) continue;
    const name = value.split("=")[0].trim();
    if (
      name === "model_provider" || name === "openai_base_url" || name === "chatgpt_base_url" ||
      name.startsWith(`model_providers.${PROVIDER_ID}.`) ||
      // Given after ficta's own overrides, these switch back on what ficta switched off.
      SWITCHED_OFF_KEYS.has(name) || name === "otel" || name === "feedback"
    ) found.push(`-c ${name}=...`);
  }
  return found;
}

/** Where the real Codex is, or where ficta looked when it found none. */
export type RealCodex = { path: string } | { path: null; looked: string };

/**
 * `configured` (settings.codex.path / FICTA_REAL_CODEX) wins. Otherwise the first `codex` on
 * PATH that is neither ficta's shim nor ficta's own binary: real paths are compared, so a
 * symlink to the shim directory or to the ficta binary is skipped too.
 */
export function findRealCodex(configured: string, env: Env, self: string): RealCodex {
  const shimDir = realPath(paths(env).bin);
  const selfReal = realPath(self);
  const isFicta = (real: string) => real === selfReal || dirname(real) === shimDir || isShim(real);
  if (configured) {
    const path = configured.includes("/") || configured.includes("\\")
      ? configured
      : Bun.which(configured, { PATH: env.PATH ?? "" });
    const setting = `codex.path (FICTA_REAL_CODEX) = ${configured}`;
    if (!path || !isExecutableFile(path)) return { path: null, looked: setting };
    // Pointing the setting at ficta or its shim would make every launch start itself again.
    if (isFicta(realPath(path) ?? path)) {
      return { path: null, looked: `${setting}, which is ficta itself, not Codex` };
    }
    return { path };
  }
  const dirs = (env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const dir of dirs) {
    if (shimDir && realPath(dir) === shimDir) continue;
    const candidate = Bun.which("codex", { PATH: dir });
    if (!candidate) continue;
    const real = realPath(candidate);
    if (!real || isFicta(real)) continue;
    return { path: candidate };
  }
  return { path: null, looked: `PATH (${dirs.length} directories, ficta's own shim skipped)` };
}

function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function isExecutableFile(path: string): boolean {
  try {
    const stat = statSync(path);
    return stat.isFile() && (process.platform === "win32" || (stat.mode & 0o111) !== 0);
  } catch {
    return false;
  }
}

/** A shim copied elsewhere still carries its marker in its first lines. */
function isShim(path: string): boolean {
  try {
    if (statSync(path).size > 4096) return false;
    return readFileSync(path, "utf8").includes(SHIM_MARKER);
  } catch {
    return false;
  }
}
