/**
 * Claude Code's settings files can move its traffic: measured with 2.1.332, `env` entries in
 * ~/.claude/settings.json ($CLAUDE_CONFIG_DIR/settings.json), <project>/.claude/settings.json
 * and <project>/.claude/settings.local.json beat the process environment ficta sets, so an
 * `env.ANTHROPIC_BASE_URL` there would take the requests past the airlock. `--settings` with
 * only ficta's entries beats all three; a second `--settings` replaces the first whole; the
 * managed settings file beats `--settings`. ficta reads these files (never writes them) and
 * takes the route back for the launch with its own `--settings`, or refuses.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Env } from "../../config/paths.ts";
import { claudeConfigDir, type Endpoint, UNIX_BASE_URL } from "./claude.ts";

/**
 * `env` keys that change where Claude Code's model requests go, or whether they carry ficta's
 * per-launch token, when a settings file sets them.
 */
export const ROUTING_KEYS = [
  "ANTHROPIC_BASE_URL",
  "ANTHROPIC_UNIX_SOCKET",
  "ANTHROPIC_CUSTOM_HEADERS",
  "NO_PROXY",
  "no_proxy",
] as const;
/** `env` keys that send the model requests to another cloud: ficta refuses, no route back. */
export const PROVIDER_KEYS = [
  "CLAUDE_CODE_USE_BEDROCK",
  "CLAUDE_CODE_USE_VERTEX",
  "CLAUDE_CODE_USE_FOUNDRY",
] as const;

export interface SettingsFinding {
  /** The file (or `--settings`) that sets the keys. */
  file: string;
  routing: string[];
  provider: string[];
  /** Managed settings outrank ficta's `--settings`. */
  managed: boolean;
}

/** The managed settings file of this platform (beats every other layer, `--settings` too). */
export function managedSettingsPath(platform = process.platform): string {
  if (platform === "darwin") {
    return "/Library/Application Support/ClaudeCode/managed-settings.json";
  }
  if (platform === "win32") return "C:\\ProgramData\\ClaudeCode\\managed-settings.json";
  return "/etc/claude-code/managed-settings.json";
}

/**
 * Settings files Claude Code may read for a launch in `cwd`: the user's, then the project's in
 * `cwd` and each directory above it (ficta does not know which one Claude Code takes for the
 * project root, so it looks at all of them: a false alarm only adds ficta's `--settings`).
 */
export function settingsFiles(cwd: string, env: Env): string[] {
  const files = [join(claudeConfigDir(env), "settings.json")];
  for (let dir = resolve(cwd);; dir = dirname(dir)) {
    files.push(join(dir, ".claude", "settings.json"), join(dir, ".claude", "settings.local.json"));
    if (dirname(dir) === dir) break;
  }
  return [...new Set(files)];
}

/** The routing and provider keys a settings JSON text sets in `env` (empty when none/unreadable). */
export function keysIn(text: string): { routing: string[]; provider: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { routing: [], provider: [] };
  }
  const env = (parsed as { env?: unknown } | null)?.env;
  if (!env || typeof env !== "object" || Array.isArray(env)) return { routing: [], provider: [] };
  const set = (name: string) =>
    Object.hasOwn(env, name) && (env as Record<string, unknown>)[name] !== "";
  return {
    routing: ROUTING_KEYS.filter(set),
    provider: PROVIDER_KEYS.filter((name) =>
      set(name) && /^(1|true|yes|on)$/i.test(String((env as Record<string, unknown>)[name]))
    ),
  };
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Every settings layer that sets a routing or provider key: the files, the managed file, and
 * the user's own `--settings` / `--managed-settings` arguments (a JSON text or a file path).
 */
export function findSettings(
  cwd: string,
  env: Env,
  settingsArgs: { flag: string; value: string }[],
  managedFile = managedSettingsPath(),
): SettingsFinding[] {
  const found: SettingsFinding[] = [];
  const look = (file: string, text: string | undefined, managed: boolean) => {
    if (text === undefined) return;
    const { routing, provider } = keysIn(text);
    if (routing.length || provider.length) found.push({ file, routing, provider, managed });
  };
  for (const file of settingsFiles(cwd, env)) look(file, readText(file), false);
  look(managedFile, readText(managedFile), true);
  for (const { flag, value } of settingsArgs) {
    const inline = value.trimStart().startsWith("{");
    look(
      inline ? flag : `${flag} ${value}`,
      inline ? value : readText(resolve(cwd, value)),
      flag === "--managed-settings",
    );
  }
  return found;
}

export type SettingsPlan =
  /** Nothing moves the traffic: no extra arguments. */
  | { kind: "clear" }
  /** ficta's `--settings` (placed before the user's arguments) takes the route back. */
  | { kind: "route-back"; args: string[]; files: string[] }
  | { kind: "refuse"; reason: string };

/**
 * What ficta does about the settings layers found for this launch. The `--settings` JSON holds
 * only ficta's routing values (the base URL, the socket path, NO_PROXY): nothing secret goes
 * into argv. In TCP mode a settings file's ANTHROPIC_CUSTOM_HEADERS would drop ficta's token
 * header, and the token must not go into argv: that is a refusal.
 */
export function settingsPlan(
  findings: SettingsFinding[],
  childEnv: Record<string, string | undefined>,
  endpoint: Endpoint,
  userPassesSettings: boolean,
): SettingsPlan {
  const provider = findings.find((f) => f.provider.length);
  if (provider) {
    return {
      kind: "refuse",
      reason: `${provider.file} sets ${provider.provider.join(", ")}: Claude Code would send its ` +
        "model requests to that cloud, which ficta does not route",
    };
  }
  const managed = findings.find((f) => f.managed);
  if (managed) {
    return {
      kind: "refuse",
      reason: `${managed.file} sets ${managed.routing.join(", ")}, which outranks ficta's ` +
        "routing: Claude Code would not send its requests through ficta",
    };
  }
  if (findings.length === 0) return { kind: "clear" };
  const user = findings.find((f) => f.file.startsWith("--settings"));
  if (user) {
    return {
      kind: "refuse",
      reason: `${user.file} sets ${user.routing.join(", ")}: Claude Code would send its ` +
        "requests there instead of through ficta",
    };
  }
  if (userPassesSettings) {
    return {
      kind: "refuse",
      reason: `${findings[0].file} sets ${findings[0].routing.join(", ")} and your own ` +
        "--settings would replace the --settings ficta passes to take the route back; remove " +
        "one of them",
    };
  }
  // A settings file's custom headers would drop ficta's token header (which must not go into
  // argv); in TCP mode a socket there would take the requests elsewhere.
  const headers = findings.find((f) => f.routing.includes("ANTHROPIC_CUSTOM_HEADERS"));
  const socket = endpoint.kind === "tcp"
    ? findings.find((f) => f.routing.includes("ANTHROPIC_UNIX_SOCKET"))
    : undefined;
  const blocking = headers ?? socket;
  if (blocking) {
    return {
      kind: "refuse",
      reason:
        `${blocking.file} sets ${
          blocking === headers ? "ANTHROPIC_CUSTOM_HEADERS" : "ANTHROPIC_UNIX_SOCKET"
        }, which would take Claude Code's requests away from ficta's proxy (ficta's per-launch ` +
        "header cannot go into argv)",
    };
  }
  const keys = new Set(findings.flatMap((f) => f.routing));
  const env: Record<string, string> = {
    ANTHROPIC_BASE_URL: childEnv.ANTHROPIC_BASE_URL ?? UNIX_BASE_URL,
  };
  if (endpoint.kind === "unix") env.ANTHROPIC_UNIX_SOCKET = endpoint.socket;
  for (const name of ["NO_PROXY", "no_proxy"]) {
    if (keys.has(name) && childEnv[name] !== undefined) env[name] = childEnv[name]!;
  }
  return {
    kind: "route-back",
    args: ["--settings", JSON.stringify({ env })],
    files: [...new Set(findings.map((f) => f.file))],
  };
}

/** The line ficta prints when it takes the route back. */
export function routeBackNote(files: string[]): string {
  return `${files.join(", ")} ${files.length === 1 ? "sets" : "set"} Claude Code's base URL ` +
    "(or its proxy settings); ficta takes the route back for this launch with --settings " +
    "(no file is changed)";
}
