/**
 * Claude Code's part of `ficta doctor`: the real executable (found, answers `--version`), how it
 * authenticates, its upstream, settings files that would route around ficta, and whether the
 * upstream answers. The lookup, auth detection and settings plan are the launch's own functions.
 */
import { defaults } from "../../config/schema.ts";
import { check } from "../../report/check.ts";
import type { AgentChecks, DoctorContext } from "../agent.ts";
import { versionOf } from "../version-of.ts";
import {
  describeAuthMode,
  detectAuthMode,
  findRealClaude,
  INSTALL_HINT,
  refusal,
} from "./claude.ts";
import { findSettings, routeBackNote, settingsPlan } from "./settings-files.ts";
import { childEnv, plannedEndpoint } from "./claude.ts";

export async function claudeChecks(context: DoctorContext): Promise<AgentChecks> {
  const { env, cwd, settings } = context;
  const real = findRealClaude(settings.claude.path, env, context.self);
  let executable;
  if (real.path === null) {
    executable = check("claude", "fail", `Claude Code was not found (looked in ${real.looked})`, [
      `install it (${INSTALL_HINT}) or set FICTA_REAL_CLAUDE to its path`,
    ]);
  } else {
    const answer = await versionOf(real.path, env, context.timeoutMs);
    executable = answer === null
      ? check("claude", "fail", `${real.path} did not answer --version`)
      : check("claude", "ok", `${answer} at ${real.path}`, [
        "ficta is verified with Claude Code 2.1.332",
      ]);
  }
  const mode = detectAuthMode(env);
  const upstream = settings.upstream.anthropic;
  const auth = mode === "none"
    ? check("auth", "warn", "Claude Code: no login ficta can see", [
      "log in with `claude` (/login), or set ANTHROPIC_API_KEY / CLAUDE_CODE_OAUTH_TOKEN",
    ])
    : check("auth", "ok", `${describeAuthMode(mode)}; model requests go to ${upstream}`);
  const upstreams = check("upstreams", "ok", "https only, plain http only to loopback", [
    `anthropic: ${upstream} (${upstream === defaults().upstream.anthropic ? "default" : "custom"})`,
  ]);
  const endpoint = plannedEndpoint();
  const plan = settingsPlan(findSettings(cwd, env, []), childEnv(env, endpoint), endpoint, false);
  const refused = refusal([], env);
  const around = refused
    ? check("around", "fail", refused)
    : plan.kind === "refuse"
    ? check("around", "fail", plan.reason)
    : plan.kind === "route-back"
    ? check("around", "warn", routeBackNote(plan.files))
    : check("around", "ok", "no settings file moves Claude Code's base URL");
  let reach;
  try {
    const answer = await fetch(upstream, {
      method: "HEAD",
      redirect: "manual",
      signal: AbortSignal.timeout(context.timeoutMs),
    });
    reach = check("reach", "ok", "the model upstream answers", [
      `${upstream}: HTTP ${answer.status}`,
    ]);
  } catch (error) {
    const { code, name } = error as { code?: string; name?: string };
    reach = check("reach", "warn", `model upstream unreachable: ${upstream}`, [
      `${upstream}: ${code ?? name ?? "connection failed"}`,
    ]);
  }
  return { executable, auth, upstreams, around, reach };
}
