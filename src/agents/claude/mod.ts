/**
 * Anthropic's Claude Code CLI as an agent ficta launches (measured with 2.1.332; the facts are in
 * docs/claude-refusals.md and the comments of each file):
 *
 * - `about.ts`: name, title and the `ficta --help` line (the catalog reads only this).
 * - `claude.ts`: its logins, the child's environment (base URL, token header, NO_PROXY,
 *   non-essential traffic off), which commands make no model call, which ficta refuses, the
 *   real executable.
 * - `settings-files.ts`: settings files whose `env` would move the base URL, and the
 *   `--settings` that takes the route back for one launch (no file written).
 * - `credentials.ts`: ~/.claude/.credentials.json as a credential source always protected.
 * - `proxy.ts`, `refusal.ts`: its routes and how a refusal reaches its user (451).
 * - `wire.ts`: the Messages API events restore reads.
 * - `doctor.ts`, `help.ts`: its part of `ficta doctor`, and `ficta help claude`.
 *
 * ```ts
 * import { claude } from "./agents/claude/mod.ts";
 * claude.isPassthrough(["--version"]); // true
 * ```
 */
import type { Env } from "../../config/paths.ts";
import type { Agent } from "../agent.ts";
import { claudeAbout } from "./about.ts";
import {
  childEnv,
  describeAuthMode,
  detectAuthMode,
  type Endpoint,
  findRealClaude,
  INSTALL_HINT,
  isPassthrough,
  plannedEndpoint,
  refusal,
  settingsArguments,
} from "./claude.ts";
import { claudeCredentialsFile } from "./credentials.ts";
import { claudeProxy } from "./proxy.ts";
import { findSettings, routeBackNote, settingsPlan } from "./settings-files.ts";
import { messagesDialect } from "./wire.ts";

/** What ficta does about the settings layers of this launch (see settings-files.ts). */
function planFor(args: string[], env: Env, cwd: string, endpoint: Endpoint) {
  const given = settingsArguments(args);
  const findings = findSettings(cwd, env, given);
  return settingsPlan(
    findings,
    childEnv(env, endpoint),
    endpoint,
    given.some((g) => g.flag === "--settings"),
  );
}

export const claude: Agent = {
  ...claudeAbout,
  executables: { posix: "claude", windows: "claude.cmd" },

  installHint: INSTALL_HINT,
  pathVariable: "FICTA_REAL_CLAUDE",
  configuredPath: (settings) => settings.claude.path,
  configuredPathFromEnv: (env: Env) => env.FICTA_CLAUDE_PATH || env.FICTA_REAL_CLAUDE || "",
  find: findRealClaude,

  isPassthrough,
  refusal: ({ args, env, cwd }) => {
    const plain = refusal(args, env);
    if (plain) return Promise.resolve(plain);
    const plan = planFor(args, env, cwd, plannedEndpoint());
    return Promise.resolve(plan.kind === "refuse" ? plan.reason : undefined);
  },
  warnings({ args, env, cwd }) {
    const plan = planFor(args, env, cwd, plannedEndpoint());
    const out = plan.kind === "route-back" ? [routeBackNote(plan.files)] : [];
    // The user's own gateway: ficta takes the base URL for the launch and forwards to
    // upstream.anthropic, which is where the requests then go (the URL is not printed: it may
    // carry a credential).
    if (env.ANTHROPIC_BASE_URL && !env.FICTA_ANTHROPIC_UPSTREAM) {
      out.push(
        "ANTHROPIC_BASE_URL is set: for this launch Claude Code talks to ficta, which forwards to " +
          "upstream.anthropic; set FICTA_ANTHROPIC_UPSTREAM (or upstream.anthropic) to your " +
          "gateway to keep using it",
      );
    }
    return out;
  },

  unixSocket: true,
  tokenVariable: "ANTHROPIC_CUSTOM_HEADERS",
  child: ({ executable, args, env, cwd, origin, socket, token, tokenHeader }) => {
    const endpoint: Endpoint = socket === undefined
      ? { kind: "tcp", origin, tokenHeader, token }
      : { kind: "unix", socket, tokenHeader, token };
    const plan = planFor(args, env, cwd, endpoint);
    return {
      command: [executable, ...(plan.kind === "route-back" ? plan.args : []), ...args],
      env: childEnv(env, endpoint),
    };
  },
  routeLine: ({ env, settings, origin }) => {
    const mode = detectAuthMode(env);
    const login = mode === "none"
      ? "no login ficta can see (Claude Code asks, or uses its own keychain login)"
      : describeAuthMode(mode);
    return `claude: ${login}; model requests -> ${origin} -> ${settings.upstream.anthropic}`;
  },
  afterExit: () => Promise.resolve(undefined),

  credentialFiles: [claudeCredentialsFile],

  help: async () => (await import("./help.ts")).claudeHelp(),
  doctor: async (context) => (await import("./doctor.ts")).claudeChecks(context),

  proxy: claudeProxy,
  dialect: messagesDialect,
};
