/**
 * `ficta doctor [agent] [--json]`: does protection really work on this machine, today? One
 * verdict per check (ok / warn / FAIL), exit 0 when nothing failed, 1 otherwise. The agent's
 * lookup and auth detection are the launch's own functions (`Agent.doctor`), and whether a
 * launch may run is the session's own verdict (session/verdict.ts), so doctor cannot disagree
 * with what `ficta <agent>` will do. Nothing here prints a value or a token.
 */
import { runtime } from "../runtime/mod.ts";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { Agent } from "../agents/agent.ts";
import { agents, allCredentialFiles, findAgent } from "../agents/mod.ts";
import { ConfigError, loadConfig } from "../config/load.ts";
import { disabledBy } from "../config/disabled.ts";
import { type Env, paths } from "../config/paths.ts";
import { realPath } from "../config/real-path.ts";
import { defaults, type Settings } from "../config/schema.ts";
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
import { loadRegistry, type Registry, reportLines } from "../registry/index.ts";
import { type Check, check, type Status } from "../report/check.ts";
import { loopbackNoProxy } from "../session/child.ts";
import { REFUSED_EXIT } from "../session/exit-codes.ts";
import { disabledRefusal, launchRefusals } from "../session/verdict.ts";
import { VERSION } from "../version.ts";
import { type EngineFactory, selfTest, type SelfTestOptions } from "./doctor-self-test.ts";
import { parseFlags, USAGE_EXIT } from "./flags.ts";
import { say } from "./say.ts";

export const USAGE = `ficta doctor [${agents.map((agent) => agent.name).join(" | ")}] [--json]`;

export type { Check, Status };

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
  /** This ficta's executable, which the agent lookup must skip (the launch passes the same). */
  self?: string;
  /** The agent to check; the first of the agents list by default. */
  agent?: Agent;
}

/** A slow agent must not push doctor past 2 s. */
const STEP_TIMEOUT_MS = 1500;

const mode = (path: string) => statSync(path).mode & 0o777;
const octal = (m: number) => `0${m.toString(8)}`;

function configCheck(agent: Agent, env: Env): { check: Check; settings: Settings } {
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
        `the checks below use the defaults; \`ficta ${agent.name}\` refuses to start until ` +
        "this is fixed",
      ]),
      settings: defaults(),
    };
  }
}

/**
 * Waits for the real result, secret-manager commands included (each has its own timeout, as in
 * a launch), and judges it with the launch's own function.
 */
async function registryCheck(
  agent: Agent,
  settings: Settings,
  cwd: string,
  env: Env,
): Promise<Check> {
  let loaded: Registry;
  try {
    loaded = await loadRegistry(settings, { cwd, env, credentialFiles: allCredentialFiles() });
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
    details.push(`\`ficta ${agent.name}\` refuses to start here: ${refusals.join("; ")}`);
    return check("registry", "fail", summary, details);
  }
  if (loaded.sources.some((s) => s.status === "error" || s.empty?.length)) {
    details.push("the other sources still protect their values");
    return check("registry", "warn", summary, details);
  }
  return check("registry", "ok", summary, details);
}

function shimCheck(agent: Agent, env: Env): Check {
  const shim = installedShimPath(env, hostPlatform(), agent);
  const text = existsSync(shim) ? readFileSync(shim, "utf8") : null;
  const name = `\`${agent.name}\``;
  if (text === null) {
    return check("shim", "warn", `not installed: ${name} runs without ficta`, [
      `run \`ficta install\` (or start ${agent.title} as \`ficta ${agent.name}\`)`,
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
        `${name} fails until you run \`ficta install\` again`,
      ],
    );
  }
  const details: string[] = [];
  let status: Status = "ok";
  const thisBinary = isCompiled() && realPath(target) === realPath(process.execPath);
  if (!thisBinary && text !== renderShim(hostPlatform(), fictaCommand(), agent)) {
    status = "warn";
    details.push(`the shim runs ${target}, not this ficta; \`ficta install\` points it here`);
  }
  const first = runtime.which(agent.executables.posix, { PATH: env.PATH ?? "" });
  if (first && realPath(first) === realPath(shim)) {
    return check("shim", status, `${shim}, first on PATH`, details);
  }
  details.push(
    first ? `${name} on PATH is ${first}, which bypasses ficta` : `${dirname(shim)} is not on PATH`,
    "open a new shell after `ficta install`, or put that directory first on PATH",
  );
  return check("shim", "fail", `${shim} is installed but not first on PATH`, details);
}

function disabledCheck(agent: Agent, env: Env, settings: Settings): Check {
  const why = disabledBy(env);
  if (why === undefined) return check("disabled", "ok", "not disabled");
  // The launch's own verdict: refused under registry.require, unprotected otherwise.
  if (disabledRefusal(agent, settings, why) !== undefined) {
    return check("disabled", "fail", "ficta is disabled, and registry.require is on", [
      why,
      `\`ficta ${agent.name}\` refuses to run (exit ${REFUSED_EXIT}) until ficta is enabled or ` +
      "require is off",
    ]);
  }
  return check(
    "disabled",
    "fail",
    `ficta is disabled: \`${agent.name}\` runs WITHOUT protection`,
    [why],
  );
}

async function selfTestCheck(options: SelfTestOptions): Promise<Check> {
  const result = await selfTest(options);
  if (result === undefined) {
    return check("self-test", "warn", `no live self-test for ${options.agent.title} yet`);
  }
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
  const agent = options.agent ?? agents[0];
  const { check: config, settings } = configCheck(agent, env);
  const [registry, own, live] = await Promise.all([
    registryCheck(agent, settings, cwd, env),
    agent.doctor({
      env,
      cwd,
      settings,
      self: options.self ?? process.execPath,
      timeoutMs: STEP_TIMEOUT_MS,
    }),
    selfTestCheck({ agent, settings, compile: options.compile ?? compileEngine }),
  ]);
  const checks = [
    config,
    registry,
    own.executable,
    own.auth,
    shimCheck(agent, env),
    disabledCheck(agent, env, settings),
    own.upstreams,
    own.around,
    own.reach,
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

function renderReport(report: DoctorReport): string {
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
  const name = parsed.positionals[0];
  const agent = name === undefined ? agents[0] : findAgent(name);
  if (agent === undefined) {
    say(
      `doctor: unknown agent '${name}' (supported: ${agents.map((a) => a.name).join(", ")}). ` +
        `Usage: ${USAGE}`,
    );
    return USAGE_EXIT;
  }
  // The self-test's requests to its loopback proxy must not take a detour through a system proxy.
  Object.assign(process.env, loopbackNoProxy(process.env));
  const report = await diagnose({ env: process.env, cwd: process.cwd(), agent });
  console.log(parsed.values.json ? JSON.stringify(report, null, 2) : renderReport(report));
  return report.ok ? 0 : 1;
}
