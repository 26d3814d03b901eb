/**
 * Codex's part of `ficta doctor`: the real Codex (found, its version against the verified range),
 * how it is logged in, its upstreams, what could send data around ficta (doctor-around.ts), and
 * whether its model upstream answers. The lookup and the auth detection are the launch's own
 * functions, so doctor cannot disagree with what `ficta codex` will do.
 *
 * ```ts
 * const checks = await codexChecks({ env, cwd, settings, self: process.execPath, timeoutMs: 1500 });
 * checks.executable.status; // "ok" | "warn" | "fail"
 * ```
 */
import { type Env } from "../../config/paths.ts";
import { defaults, type Settings } from "../../config/schema.ts";
import { isLoopbackHost } from "../../config/upstream.ts";
import { type Check, check } from "../../report/check.ts";
import type { AgentChecks, DoctorContext } from "../agent.ts";
import { versionOf } from "../version-of.ts";
import { describeAuthMode, detectAuthMode } from "./auth.ts";
import { aroundFictaCheck } from "./doctor-around.ts";
import { findRealCodex, INSTALL_HINT, type RealCodex } from "./executable.ts";
import { codexVersionVerdict, verifiedRange } from "./versions.ts";

export async function codexChecks(context: DoctorContext): Promise<AgentChecks> {
  const { env, cwd, settings } = context;
  const real = findRealCodex(settings.codex.path, env, context.self);
  const [executable, around, reach] = await Promise.all([
    codexCheck(real, env, context.timeoutMs),
    aroundFictaCheck(env, cwd),
    reachCheck(env, settings, context.timeoutMs),
  ]);
  return {
    executable,
    auth: authCheck(env, settings),
    upstreams: upstreamsCheck(settings),
    around,
    reach,
  };
}

async function codexCheck(real: RealCodex, env: Env, timeoutMs: number): Promise<Check> {
  if (real.path === null) {
    return check("codex", "fail", `the real Codex CLI was not found (looked in ${real.looked})`, [
      `install it (${INSTALL_HINT}) or set FICTA_REAL_CODEX to its path`,
    ]);
  }
  const version = await versionOf(real.path, env, timeoutMs);
  if (version === null) {
    return check("codex", "fail", `${real.path} did not answer --version`);
  }
  return codexVersionCheck(version, real.path);
}

/** Where the Codex found stands against the versions ficta is verified with (the e2e matrix). */
function codexVersionCheck(version: string, path: string): Check {
  const summary = `${version} at ${path}`;
  const verdict = codexVersionVerdict(version);
  if (verdict.kind === "verified") {
    return check("codex", "ok", `${summary} (verified with ficta)`, [
      `ficta is verified with Codex ${verifiedRange()}`,
    ]);
  }
  const found = verdict.kind === "unrecognised" ? "its version was not recognised" : (
    `Codex ${verdict.version} is ${
      verdict.kind === "between" ? "between those, not itself verified" : verdict.kind
    }`
  );
  return check("codex", "warn", summary, [
    `ficta is verified with Codex ${verifiedRange()}; ${found}: ` +
    "the live self-test below still proves the proxy, but Codex's own routing is untested",
  ]);
}

function authCheck(env: Env, settings: Settings): Check {
  const auth = detectAuthMode(env);
  if (auth === "none") {
    return check("auth", "warn", "Codex is not logged in", [
      "run `codex login` (or set CODEX_API_KEY / OPENAI_API_KEY); no token is ever printed",
    ]);
  }
  const upstream = auth === "chatgpt" ? settings.upstream.chatgpt : settings.upstream.openai;
  return check("auth", "ok", `${describeAuthMode(auth)}; model requests go to ${upstream}`);
}

function upstreamsCheck(settings: Settings): Check {
  const fallback = defaults().upstream;
  const describe = (name: "chatgpt" | "openai") => {
    const url = settings.upstream[name];
    const loopback = isLoopbackHost(new URL(url).hostname);
    const note = url === fallback[name] ? "default" : loopback ? "custom, loopback" : "custom";
    return `${name}: ${url} (${note})`;
  };
  const p = settings.proxy;
  return check("upstreams", "ok", "https only, plain http only to loopback", [
    describe("chatgpt"),
    describe("openai"),
    `restore into tool calls: ${p.restore_into_tools}; body limit ${p.max_body_mb} MiB; ` +
    `base64/hex forms ${settings.detect.encoded ? "on" : "off"}; ` +
    `credential shapes ${settings.detect.shapes ? "on" : "off"}`,
  ]);
}

/**
 * Whether the model upstream Codex will use answers at all: a bare HEAD (no credential, no
 * header of the user's, no body), any HTTP status counting as reachable.
 */
async function reachCheck(env: Env, settings: Settings, timeoutMs: number): Promise<Check> {
  const auth = detectAuthMode(env);
  const names: Array<"chatgpt" | "openai"> = auth === "none"
    ? ["chatgpt", "openai"]
    : [auth === "chatgpt" ? "chatgpt" : "openai"];
  const urls = [...new Set(names.map((name) => settings.upstream[name]))];
  const results = await Promise.all(urls.map(async (url) => {
    try {
      const answer = await fetch(url, {
        method: "HEAD",
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { url, ok: true, detail: `HTTP ${answer.status}` };
    } catch (error) {
      const { code, name: kind } = error as { code?: string; name?: string };
      return { url, ok: false, detail: code ?? kind ?? "connection failed" };
    }
  }));
  const down = results.filter((r) => !r.ok);
  const details = results.map((r) => `${r.url}: ${r.ok ? "answers" : "unreachable"} (${r.detail})`);
  if (!down.length) return check("reach", "ok", "the model upstream answers", details);
  details.push("Codex cannot get answers until it is reachable (network, proxy, upstream.*)");
  return check(
    "reach",
    "warn",
    `model upstream unreachable: ${down.map((r) => r.url).join(", ")}`,
    details,
  );
}
