/**
 * `ficta doctor [codex] [--json]`: does protection really work on this machine, today? One
 * verdict per check (ok / warn / FAIL), exit 0 when nothing failed, 1 otherwise. The Codex
 * lookup and the auth detection are the launch's own functions, so doctor cannot disagree
 * with what `ficta codex` will do. Nothing here prints a value or a token.
 */
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname } from "node:path";
import {
  describeAuthMode,
  detectAuthMode,
  findRealCodex,
  type RealCodex,
} from "../agents/codex/codex.ts";
import { ConfigError, loadConfig } from "../config/load.ts";
import { disabledBy } from "../config/disabled.ts";
import { type Env, paths } from "../config/paths.ts";
import { defaults, type Settings } from "../config/schema.ts";
import { isLoopbackHost } from "../config/upstream.ts";
import { compileEngine } from "../core/mod.ts";
import { installedShimPath } from "../install/install.ts";
import {
  fictaCommand,
  hostPlatform,
  isCompiled,
  isFictaShim,
  renderShim,
  shimTarget,
} from "../install/shim.ts";
import { loopbackNoProxy } from "../session/child.ts";
import { loadRegistry, type Registry, reportLines } from "../registry/index.ts";
import { launchRefusals, requireOn } from "../registry/verdict.ts";
import { VERSION } from "../version.ts";
import { aroundFictaCheck } from "../agents/codex/doctor-around.ts";
import { codexVersionVerdict, verifiedRange } from "../agents/codex/versions.ts";
import { type EngineFactory, selfTest } from "./doctor-self-test.ts";
import { parseFlags, USAGE_EXIT } from "./flags.ts";
import { say } from "./say.ts";

export const USAGE = "ficta doctor [codex] [--json]";

export type Status = "ok" | "warn" | "fail";

export interface Check {
  id:
    | "config"
    | "registry"
    | "codex"
    | "auth"
    | "shim"
    | "disabled"
    | "upstreams"
    | "around"
    | "reach"
    | "self-test";
  status: Status;
  summary: string;
  details: string[];
}

export interface DoctorReport {
  ficta: string;
  ok: boolean;
  problems: number;
  warnings: number;
  elapsed_ms: number;
  checks: Check[];
}

export interface DoctorOptions {
  env: Env;
  cwd: string;
  /** The self-test's engine; tests hand in a broken one. */
  compile?: EngineFactory;
  /** This ficta's executable, which the Codex lookup must skip (the launch passes the same). */
  self?: string;
}

/** A slow Codex must not push doctor past 2 s. */
const STEP_TIMEOUT_MS = 1500;

const mode = (path: string) => statSync(path).mode & 0o777;
const octal = (m: number) => `0${m.toString(8)}`;

function check(id: Check["id"], status: Status, summary: string, details: string[] = []): Check {
  return { id, status, summary, details };
}

function configCheck(env: Env): { check: Check; settings: Settings } {
  const file = paths(env).config;
  try {
    const loaded = loadConfig(env);
    const details = [...loaded.warnings];
    const summary = loaded.exists
      ? `${file}: valid${process.platform === "win32" ? "" : `, ${octal(mode(file))}`}`
      : `no config file at ${file}: defaults apply (\`ficta setup\` writes one)`;
    const key = paths(env).key;
    if (existsSync(key) && process.platform !== "win32" && (mode(key) & 0o077) !== 0) {
      details.push(`surrogate key ${key} is ${octal(mode(key))}; run: chmod 600 ${key}`);
    }
    return {
      check: check("config", details.length ? "warn" : "ok", summary, details),
      settings: loaded.settings,
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      check: check("config", "fail", error.message, [
        "the checks below use the defaults; `ficta codex` refuses to start until this is fixed",
      ]),
      settings: defaults(),
    };
  }
}

function timeout(ms: number): Promise<"timeout"> {
  return new Promise((resolve) => setTimeout(() => resolve("timeout"), ms).unref());
}

/**
 * Waits for the real result, secret-manager commands included (each has its own timeout, as in
 * a launch), and judges it with the launch's own function.
 */
async function registryCheck(settings: Settings, cwd: string, env: Env): Promise<Check> {
  let loaded: Registry;
  try {
    loaded = await loadRegistry(settings, { cwd, env });
  } catch (error) {
    return check("registry", "fail", `cannot load the registry: ${(error as Error).message}`);
  }
  const details = reportLines(loaded).map((line) => line.replace(/^registry: /, ""));
  // Counted in the summary, so listed too: the surrogate key is protected in no source's name.
  const own = loaded.secrets.filter((secret) => secret.source === "ficta").length;
  if (own) details.push(`ficta's surrogate key (${own} value${own === 1 ? "" : "s"})`);
  const summary = `${loaded.secrets.length} value(s) protected in ${cwd}`;
  const refusals = launchRefusals(loaded, settings);
  if (refusals.length) {
    details.push(`\`ficta codex\` refuses to start here: ${refusals.join("; ")}`);
    return check("registry", "fail", summary, details);
  }
  if (loaded.sources.some((s) => s.status === "error" || s.empty?.length)) {
    details.push("the other sources still protect their values");
    return check("registry", "warn", summary, details);
  }
  return check("registry", "ok", summary, details);
}

async function codexVersion(path: string, env: Env): Promise<string | null> {
  try {
    const child = Bun.spawn([path, "--version"], {
      env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "ignore",
    });
    const output = Promise.all([new Response(child.stdout).text(), child.exited]);
    const result = await Promise.race([output, timeout(STEP_TIMEOUT_MS)]);
    if (result === "timeout") {
      child.kill();
      return null;
    }
    return result[1] === 0 ? result[0].trim() : null;
  } catch {
    return null;
  }
}

async function codexCheck(real: RealCodex, env: Env): Promise<Check> {
  if (real.path === null) {
    return check("codex", "fail", `the real Codex CLI was not found (looked in ${real.looked})`, [
      "install it (npm install -g @openai/codex) or set FICTA_REAL_CODEX to its path",
    ]);
  }
  const version = await codexVersion(real.path, env);
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

function realPath(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

function shimCheck(env: Env): Check {
  const shim = installedShimPath(env);
  const text = existsSync(shim) ? readFileSync(shim, "utf8") : null;
  if (text === null) {
    return check("shim", "warn", "not installed: `codex` runs without ficta", [
      "run `ficta install` (or start Codex as `ficta codex`)",
    ]);
  }
  if (!isFictaShim(text)) {
    return check("shim", "warn", `${shim} exists but was not written by ficta`);
  }
  const target = shimTarget(text);
  if (!target || !existsSync(target)) {
    return check(
      "shim",
      "fail",
      `${shim} runs ${target ?? "nothing recognisable"}, which is gone`,
      [
        "`codex` fails until you run `ficta install` again",
      ],
    );
  }
  const details: string[] = [];
  let status: Status = "ok";
  const thisBinary = isCompiled() && realPath(target) === realPath(process.execPath);
  if (!thisBinary && text !== renderShim(hostPlatform(), fictaCommand())) {
    status = "warn";
    details.push(`the shim runs ${target}, not this ficta; \`ficta install\` points it here`);
  }
  const first = Bun.which("codex", { PATH: env.PATH ?? "" });
  if (first && realPath(first) === realPath(shim)) {
    return check("shim", status, `${shim}, first on PATH`, details);
  }
  details.push(
    first
      ? `\`codex\` on PATH is ${first}, which bypasses ficta`
      : `${dirname(shim)} is not on PATH`,
    "open a new shell after `ficta install`, or put that directory first on PATH",
  );
  return check("shim", "fail", `${shim} is installed but not first on PATH`, details);
}

function disabledCheck(env: Env, settings: Settings): Check {
  const why = disabledBy(env);
  if (why === undefined) return check("disabled", "ok", "not disabled");
  if (requireOn(settings)) {
    return check("disabled", "fail", "ficta is disabled, and registry.require is on", [
      why,
      "`ficta codex` refuses to run (exit 78) until ficta is enabled or require is off",
    ]);
  }
  return check("disabled", "fail", "ficta is disabled: `codex` runs WITHOUT protection", [why]);
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
async function reachCheck(env: Env, settings: Settings): Promise<Check> {
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
        signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
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

async function selfTestCheck(settings: Settings, compile: EngineFactory): Promise<Check> {
  const result = await selfTest(settings, compile);
  const details = result.proofs.map((p) => `${p.ok ? "ok  " : "FAIL"} ${p.name}: ${p.detail}`);
  return result.ok
    ? check(
      "self-test",
      "ok",
      `live proxy: redaction, gate, restore proven in ${result.elapsedMs} ms`,
      details,
    )
    : check("self-test", "fail", "live proxy: protection is NOT working", details);
}

export async function diagnose(options: DoctorOptions): Promise<DoctorReport> {
  const started = performance.now();
  const { env, cwd } = options;
  const { check: config, settings } = configCheck(env);
  const real = findRealCodex(settings.codex.path, env, options.self ?? process.execPath);
  const [registry, codex, live, around, reach] = await Promise.all([
    registryCheck(settings, cwd, env),
    codexCheck(real, env),
    selfTestCheck(settings, options.compile ?? compileEngine),
    aroundFictaCheck(env, cwd),
    reachCheck(env, settings),
  ]);
  const checks = [
    config,
    registry,
    codex,
    authCheck(env, settings),
    shimCheck(env),
    disabledCheck(env, settings),
    upstreamsCheck(settings),
    around,
    reach,
    live,
  ];
  const problems = checks.filter((c) => c.status === "fail").length;
  return {
    ficta: VERSION,
    ok: problems === 0,
    problems,
    warnings: checks.filter((c) => c.status === "warn").length,
    elapsed_ms: Math.round(performance.now() - started),
    checks,
  };
}

export function renderReport(report: DoctorReport): string {
  const label = { ok: "ok  ", warn: "warn", fail: "FAIL" };
  const width = Math.max(...report.checks.map((c) => c.id.length));
  const lines = [`ficta doctor (ficta ${report.ficta})`];
  for (const c of report.checks) {
    lines.push(`${label[c.status]}  ${c.id.padEnd(width)}  ${c.summary}`);
    for (const detail of c.details) lines.push(`${" ".repeat(width + 8)}${detail}`);
  }
  const counts =
    `${report.problems} problem(s), ${report.warnings} warning(s), ${report.elapsed_ms} ms`;
  lines.push(
    report.ok
      ? `verdict: protection works here (${counts})`
      : `verdict: NOT protected as expected (${counts}): ${
        report.checks.filter((c) => c.status === "fail").map((c) => c.id).join(", ")
      }`,
  );
  return lines.join("\n");
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseFlags(args, { json: { type: "boolean" } }, USAGE, 1);
  if (!parsed) return USAGE_EXIT;
  const agent = parsed.positionals[0];
  if (agent !== undefined && agent !== "codex") {
    say(`doctor: unknown agent '${agent}' (supported: codex). Usage: ${USAGE}`);
    return USAGE_EXIT;
  }
  // The self-test's requests to its loopback proxy must not take a detour through a system proxy.
  Object.assign(process.env, loopbackNoProxy(process.env));
  const report = await diagnose({ env: process.env, cwd: process.cwd() });
  console.log(parsed.values.json ? JSON.stringify(report, null, 2) : renderReport(report));
  return report.ok ? 0 : 1;
}
