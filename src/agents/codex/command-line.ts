/**
 * Reading Codex's command line the way Codex does (verified with codex-cli 0.169.0 and 0.171.0):
 * its subcommands, the options that take a value, which commands make no model call.
 *
 * ```ts
 * isPassthrough(["--version"]); // true: runs the real Codex untouched
 * firstCommand(["-m", "o3", "exec", "hi"]); // "exec"
 * ```
 */

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
function firstCommand(args: string[]): string | undefined {
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

/** The subcommand and the positional argument after it; every option before `--`. */
export function commandLine(
  args: string[],
): { subcommand?: string; next?: string; options: string[] } {
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

/** `codex exec ...` / `codex e ...`, after any global options. */
export function isExec(args: string[]): boolean {
  const first = firstCommand(args);
  return first === "exec" || first === "e";
}
