/**
 * What ficta knows about the Claude Code CLI (measured with @anthropic-ai/claude-code 2.1.332
 * against a loopback mock; ../../../docs/claude-refusals.md and the notes in this folder): how it
 * authenticates, the environment that routes one launch through the proxy, which commands make
 * no model call, which ones ficta cannot protect, and where the real executable is.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Env, userHome } from "../../config/paths.ts";
import { findExecutable, type Found } from "../find.ts";

/** How Claude Code will authenticate its model requests in this launch. */
export type ClaudeAuthMode =
  | "api-key" // ANTHROPIC_API_KEY: `x-api-key`
  | "auth-token" // ANTHROPIC_AUTH_TOKEN: `authorization: Bearer`
  | "oauth-token" // CLAUDE_CODE_OAUTH_TOKEN (`claude setup-token`): Bearer sk-ant-oat01...
  | "subscription" // `claude /login` with a Claude account: ~/.claude/.credentials.json
  | "none"; // not logged in (or a login ficta cannot see, such as the macOS keychain)

/** Claude Code's configuration directory (settings.json, .credentials.json). */
export function claudeConfigDir(env: Env): string {
  return env.CLAUDE_CONFIG_DIR || join(userHome(env), ".claude");
}

export function credentialsPath(env: Env): string {
  return join(claudeConfigDir(env), ".credentials.json");
}

/** Reads only the presence of the variables and the shape of .credentials.json, never a token. */
export function detectAuthMode(env: Env): ClaudeAuthMode {
  if (env.ANTHROPIC_AUTH_TOKEN) return "auth-token";
  if (env.ANTHROPIC_API_KEY) return "api-key";
  if (env.CLAUDE_CODE_OAUTH_TOKEN) return "oauth-token";
  try {
    const file = JSON.parse(readFileSync(credentialsPath(env), "utf8"));
    if (file && typeof file === "object" && file.claudeAiOauth) return "subscription";
  } catch {
    // no login file, or not ours to judge
  }
  return "none";
}

export function describeAuthMode(mode: ClaudeAuthMode): string {
  switch (mode) {
    case "api-key":
      return "ANTHROPIC_API_KEY";
    case "auth-token":
      return "ANTHROPIC_AUTH_TOKEN";
    case "oauth-token":
      return "CLAUDE_CODE_OAUTH_TOKEN";
    case "subscription":
      return "Claude account login";
    case "none":
      return "no login ficta can see";
  }
}

/**
 * Where the child reaches the proxy: a Unix socket (preferred: 0600 in a 0700 per-launch
 * directory, no other local user can connect) or a loopback port. Either way the per-launch
 * token travels in a header from the child's environment, so the proxy admits requests the same
 * way on both.
 */
export type Endpoint =
  | { kind: "unix"; socket: string; tokenHeader: string; token: string }
  | { kind: "tcp"; origin: string; tokenHeader: string; token: string };

/**
 * The endpoint a launch on this platform will have, before the proxy exists (for the checks that
 * run first: refusals, warnings, doctor). The session serves a Unix socket wherever there is one.
 */
export function plannedEndpoint(platform: string = process.platform): Endpoint {
  const token = { tokenHeader: "x-ficta-token", token: "" };
  return platform === "win32"
    ? { kind: "tcp", origin: "http://127.0.0.1:0", ...token }
    : { kind: "unix", socket: "proxy.sock", ...token };
}

/** The base URL Claude Code is given with a Unix socket (measured: it sends `Host: localhost`). */
export const UNIX_BASE_URL = "http://localhost";

const LOOPBACK_NO_PROXY = ["127.0.0.1", "localhost", "::1"];

/**
 * The variables ficta sets (or removes, `undefined`) in Claude Code's environment for one
 * launch. Nothing is written to a file.
 * - the base URL (and the socket): model traffic goes to the proxy;
 * - the per-launch token in ANTHROPIC_CUSTOM_HEADERS (the user's own headers kept), which Claude
 *   Code sends on every model request (measured): never in argv;
 * - loopback joins NO_PROXY / no_proxy: measured, an HTTPS_PROXY otherwise carries the request
 *   for a loopback base URL to the proxy server (the Unix socket is not affected, but the
 *   variable costs nothing);
 * - CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 unless the user set it (measured: 0 outside
 *   connections with an API key instead of 4-6).
 */
export function childEnv(env: Env, endpoint: Endpoint): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (endpoint.kind === "unix") {
    out.ANTHROPIC_BASE_URL = UNIX_BASE_URL;
    out.ANTHROPIC_UNIX_SOCKET = endpoint.socket;
  } else {
    out.ANTHROPIC_BASE_URL = endpoint.origin;
    out.ANTHROPIC_UNIX_SOCKET = undefined;
  }
  const own = (env.ANTHROPIC_CUSTOM_HEADERS ?? "").split("\n").filter((line) =>
    line.trim() !== "" &&
    line.split(":")[0].trim().toLowerCase() !== endpoint.tokenHeader.toLowerCase()
  );
  out.ANTHROPIC_CUSTOM_HEADERS = [...own, `${endpoint.tokenHeader}: ${endpoint.token}`].join("\n");
  for (const name of ["NO_PROXY", "no_proxy"]) {
    const current = (env[name] ?? "").split(",").map((h) => h.trim()).filter(Boolean);
    out[name] = [...current, ...LOOPBACK_NO_PROXY.filter((h) => !current.includes(h))].join(",");
  }
  if (env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC === undefined) {
    out.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = "1";
  }
  return out;
}

/** Flags and subcommands that print and exit: measured, none makes a model request. */
const INFO_FLAGS = new Set(["-h", "--help", "-v", "--version"]);
/**
 * Subcommands that make no model call, measured with 2.1.332 against a recording mock and an
 * HTTP proxy recorder (0 model requests; `update` and `install` talk to npm or Anthropic's
 * download host only). They run without the proxy.
 */
const PASSTHROUGH_COMMANDS = new Set([
  "auth",
  "auto-mode",
  "doctor",
  "install",
  "logs",
  "mcp",
  "plugin",
  "plugins",
  "purge",
  "rm",
  "setup-token",
  "stop",
  "kill",
  "update",
  "upgrade",
  "help",
]);

/** Claude Code options whose value is the next argument (`--opt=value` needs no entry). */
const OPTIONS_WITH_VALUE = new Set([
  "--agent",
  "--agents",
  "--append-system-prompt",
  "--append-system-prompt-file",
  "--autocompact",
  "--debug-file",
  "--effort",
  "--environment",
  "--fallback-model",
  "--input-format",
  "--json-schema",
  "--managed-settings",
  "--max-budget-usd",
  "--max-turns",
  "--model",
  "-n",
  "--name",
  "--output-format",
  "--permission-mode",
  "--permission-prompt-tool",
  "--permission-prompts",
  "--plugin-dir",
  "--plugin-url",
  "--remote-control-session-name-prefix",
  "--session-id",
  "--setting-sources",
  "--settings",
  "--system-prompt",
  "--system-prompt-file",
  "--system-prompt-snapshot",
]);
/** Options taking one or more values (commander's `<values...>`): they run to the next option. */
const VARIADIC_OPTIONS = new Set([
  "--add-dir",
  "--allowedTools",
  "--allowed-tools",
  "--betas",
  "--disallowedTools",
  "--disallowed-tools",
  "--file",
  "--mcp-config",
  "--tools",
]);

interface CommandLine {
  /** Positional arguments before `--` (the first may be a subcommand or the prompt). */
  positionals: string[];
  /** Options before `--`, as given (`--opt=value` kept whole). */
  options: string[];
  /** Each value-taking option's value(s), by option name (`--settings` may repeat). */
  values: Map<string, string[]>;
}

function parse(args: string[]): CommandLine {
  const positionals: string[] = [];
  const options: string[] = [];
  const values = new Map<string, string[]>();
  const add = (name: string, value: string) => values.set(name, [...values.get(name) ?? [], value]);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") break;
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    options.push(arg);
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      add(arg.slice(0, eq), arg.slice(eq + 1));
    } else if (OPTIONS_WITH_VALUE.has(arg) && i + 1 < args.length) {
      add(arg, args[++i]);
    } else if (VARIADIC_OPTIONS.has(arg)) {
      while (i + 1 < args.length && !args[i + 1].startsWith("-")) add(arg, args[++i]);
    }
  }
  return { positionals, options, values };
}

/** True when these arguments run a Claude Code command that makes no model call. */
export function isPassthrough(args: string[]): boolean {
  const { positionals, options } = parse(args);
  if (options.some((o) => INFO_FLAGS.has(o))) return true;
  // Measured: with -p a subcommand's name is the prompt (`claude -p doctor` asks the model).
  if (options.includes("-p") || options.includes("--print")) return false;
  return positionals.length > 0 && PASSTHROUGH_COMMANDS.has(positionals[0]);
}

/** The settings given on the command line (`--settings`, `--managed-settings`), in order. */
export function settingsArguments(args: string[]): { flag: string; value: string }[] {
  const { values } = parse(args);
  return ["--settings", "--managed-settings"].flatMap((flag) =>
    (values.get(flag) ?? []).map((value) => ({ flag, value }))
  );
}

const TRUTHY = /^(1|true|yes|on)$/i;

/**
 * Why ficta will not run these arguments through the airlock, or undefined when it will. These
 * send the model requests from somewhere ficta's environment does not reach (a background
 * session, the cloud, another provider), so ficta cannot keep its promise for them.
 */
export function refusal(args: string[], env: Env): string | undefined {
  for (
    const name of ["CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX", "CLAUDE_CODE_USE_FOUNDRY"]
  ) {
    if (TRUTHY.test(env[name] ?? "")) {
      return `${name} is set: Claude Code would send its model requests to that cloud's own ` +
        "endpoint, which ficta does not route";
    }
  }
  const { positionals, options } = parse(args);
  const has = (...names: string[]) =>
    options.some((o) => names.includes(o) || names.some((n) => o.startsWith(`${n}=`)));
  if (has("--bg", "--background")) {
    return "--bg starts a background session that outlives this launch: its model requests " +
      "would not pass through ficta";
  }
  if (has("--remote-control")) {
    return "--remote-control takes its work from claude.ai: ficta cannot protect what arrives " +
      "that way";
  }
  if (has("--cloud", "--teleport", "--environment")) {
    return "cloud sessions run on Anthropic's machines, not through ficta";
  }
  if (has("--desktop")) return "--desktop hands the session to the Claude Desktop app";
  const printing = options.includes("-p") || options.includes("--print");
  switch (printing ? undefined : positionals[0]) {
    case "attach":
    case "respawn":
    case "agents":
      return `${positionals[0]} works on background sessions, which run in a process that ` +
        "was not started through ficta";
    case "ultrareview":
      return "ultrareview runs in the cloud, not through ficta";
    case "gateway":
      return "gateway runs a long-lived service; ficta protects one launch of Claude Code";
  }
  return undefined;
}

export const INSTALL_HINT = "npm install -g @anthropic-ai/claude-code";

/**
 * `configured` (claude.path / FICTA_REAL_CLAUDE) wins; otherwise the first `claude` on PATH that
 * is neither ficta's shim nor ficta's own binary; then the native installer's ~/.local/bin/claude,
 * often not on PATH in a non-login shell.
 */
export function findRealClaude(configured: string, env: Env, self: string): Found {
  const options = {
    command: "claude",
    configured,
    setting: "claude.path (FICTA_REAL_CLAUDE)",
    title: "Claude Code",
    env,
    self,
  };
  const found = findExecutable(options);
  if (found.path !== null || configured) return found;
  const local = join(userHome(env), ".local", "bin");
  const again = findExecutable({ ...options, env: { ...env, PATH: local } });
  return again.path !== null ? again : found;
}
