/**
 * `ficta codex exec` the way a team runs it in GitHub Actions, simulated: `CI=true`,
 * `GITHUB_ACTIONS=true`, `GITHUB_STEP_SUMMARY`, `RUNNER_TEMP`, secrets only in the environment,
 * `FICTA_REQUIRE_REGISTRY=1`, fake `doppler`/`op`/`infisical`/`vault` executables first on PATH.
 * Always the compiled binary (`FICTA_TEST_BINARY`, or dist/ficta built when older than the
 * sources); the real Codex CLI against the loopback mock model where the model's view matters.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  baseEnv,
  formsOf,
  OFFLINE_FLAGS,
  REAL_CODEX,
  removeTempDirs,
  run,
  tempDirs,
} from "./harness.ts";
import { type ResponsesBody, startMockUpstream, toolOutputs } from "./mock-upstream.ts";
import { BINARY, buildIfStale } from "../compiled-binary.ts";

beforeAll(buildIfStale, 120_000);

/** The model: runs `env` once, then answers. */
const upstream = startMockUpstream((body: ResponsesBody) =>
  toolOutputs(body).length === 0
    ? [{ type: "function_call", name: "exec_command", arguments: JSON.stringify({ cmd: "env" }) }]
    : [{ type: "message", text: "done" }]
);
afterAll(async () => {
  await upstream.stop();
  removeTempDirs();
});

const LEAKY = join(import.meta.dir, "fixtures", "leaky-codex.ts");
const random = (n = 32) => {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return [...crypto.getRandomValues(new Uint8Array(n))].map((b) => alphabet[b % 62]).join("");
};
const hex = (n: number) => crypto.getRandomValues(new Uint8Array(n / 2)).toHex();

/** A simulated GitHub Actions job: fake managers on PATH, a stand-in Codex that leaves a mark. */
function job(label: string) {
  const dirs = tempDirs(label);
  const bin = join(dirs.root, "bin");
  const pids = join(dirs.root, "pids");
  const runnerTemp = join(dirs.root, "runner-temp");
  mkdirSync(bin);
  mkdirSync(pids);
  mkdirSync(runnerTemp);
  chmodSync(dirs.root, 0o755);
  chmodSync(bin, 0o755);
  const marker = join(dirs.root, "codex-ran");
  const standIn = join(bin, "stand-in-codex");
  writeFileSync(standIn, `#!/bin/sh\necho ran > '${marker}'\nexit 0\n`, { mode: 0o755 });
  const summary = join(dirs.root, "step-summary.md");
  const env: Record<string, string> = {
    ...baseEnv(dirs),
    PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    FICTA_REAL_CODEX: standIn,
    FICTA_OPENAI_UPSTREAM: upstream.origin,
    FICTA_CHATGPT_UPSTREAM: upstream.origin,
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_WORKSPACE: dirs.project,
    GITHUB_REPOSITORY: "someone/app",
    GITHUB_RUN_ID: "1234567890",
    RUNNER_TEMP: runnerTemp,
    FICTA_REQUIRE_REGISTRY: "1",
  };
  /** A fake secret-manager CLI: `script` is its shell body. */
  const tool = (name: string, script: string) =>
    writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  const ficta = (args: string[], extra: { env?: Record<string, string>; wrap?: string[] } = {}) =>
    run([...(extra.wrap ?? []), BINARY, ...args], {
      cwd: dirs.project,
      env: extra.env ?? env,
      timeoutMs: 60_000,
    });
  const summaryText = () => existsSync(summary) ? readFileSync(summary, "utf8") : "";
  return { dirs, bin, pids, runnerTemp, env, marker, tool, ficta, summaryText };
}

/** ficta's own lines and workflow commands; no stack trace, no Bun internals. */
function onlyOwnLines(stderr: string): void {
  for (const line of stderr.split("\n").filter(Boolean)) {
    expect(line).toMatch(/^(ficta|::(error|warning|add-mask)[ :])/);
  }
  expect(stderr).not.toContain("$bunfs");
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe("1. fail-closed really fails closed", () => {
  test("Codex's key does not count; empty mapped secrets refuse with 78", async () => {
    const j = job("ci-empty");
    j.env.CODEX_API_KEY = `sk-proj-${random(74)}T3BlbkFJ${random(74)}`;
    j.env.DATABASE_PASSWORD = "";
    j.env.STRIPE_SECRET_KEY = "";
    const result = await j.ficta(["codex", "exec", "hi"]);
    expect(result.code, result.stderr).toBe(78);
    expect(existsSync(j.marker)).toBe(false);
    expect(result.stderr).toContain("empty variable(s) DATABASE_PASSWORD, STRIPE_SECRET_KEY");
    expect(result.stderr).toContain(
      "no protected value was loaded from any source but Codex's own credentials",
    );
    expect(result.stderr).toContain("::error title=ficta::refusing to launch");
    onlyOwnLines(result.stderr);
    const summary = j.summaryText();
    expect(summary).toContain("### ficta: refused to launch Codex");
    expect(summary).toContain("session `none (Codex was not started)` · exit code 78");
    expect(summary).not.toContain(j.env.CODEX_API_KEY);
  }, 30_000);

  test("a configured preset whose CLI is missing refuses, even with other values", async () => {
    const j = job("ci-missing-preset");
    j.env.SERVICE_TOKEN = random();
    j.env.FICTA_REGISTRY_PRESETS = "infisical";
    const result = await j.ficta(["codex", "exec", "hi"]);
    expect(result.code, result.stderr).toBe(78);
    expect(result.stderr).toContain(
      "configured preset infisical is missing (infisical: not found on PATH)",
    );
    expect(existsSync(j.marker)).toBe(false);
    // The same job with the CLI installed launches.
    j.tool("infisical", `echo '[{"key": "INFISICAL_SECRET", "value": "${random()}"}]'`);
    const ok = await j.ficta(["codex", "exec", "hi"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(j.marker)).toBe(true);
  }, 30_000);

  test("a list of required names: each must be protected", async () => {
    const j = job("ci-required");
    j.env.SERVICE_TOKEN = random();
    j.env.PLAIN_NAMED = random();
    j.env.FICTA_REQUIRE_REGISTRY = "SERVICE_TOKEN,PLAIN_NAMED,NOT_MAPPED";
    const result = await j.ficta(["codex", "exec", "hi"]);
    expect(result.code, result.stderr).toBe(78);
    expect(result.stderr).toContain("required name(s) NOT_MAPPED not protected");
    j.env.FICTA_REQUIRE_REGISTRY = "SERVICE_TOKEN,PLAIN_NAMED";
    expect((await j.ficta(["codex", "exec", "hi"])).code).toBe(0);
  }, 30_000);

  test("disable loses to require: FICTA_DISABLE and `ficta disable` refuse with 78", async () => {
    const j = job("ci-disable");
    j.env.SERVICE_TOKEN = random();
    const viaEnv = await j.ficta(["codex", "exec", "hi"], {
      env: { ...j.env, FICTA_DISABLE: "1" },
    });
    expect(viaEnv.code, viaEnv.stderr).toBe(78);
    expect(viaEnv.stderr).toContain("ficta is disabled (FICTA_DISABLE=1)");
    expect(existsSync(j.marker)).toBe(false);
    const command = await j.ficta(["disable"]);
    expect(command.code).toBe(78);
    expect(command.stderr).toContain("refusing to disable");
    expect(existsSync(join(j.dirs.fictaHome, "disabled"))).toBe(false);
    // Without require, disable still works as before.
    const { FICTA_REQUIRE_REGISTRY: _, ...relaxed } = j.env;
    const bypass = await j.ficta(["codex", "exec", "hi"], {
      env: { ...relaxed, FICTA_DISABLE: "1" },
    });
    expect(bypass.code).toBe(0);
    expect(existsSync(j.marker)).toBe(true);
  }, 30_000);
});

/** Runs ficta with `dir` bind-mounted read-only onto itself, in a private mount namespace. */
function readOnly(dir: string): string[] | null {
  const probe = Bun.spawnSync([
    "unshare",
    "-rm",
    "sh",
    "-c",
    `mount --bind -o ro '${dir}' '${dir}'`,
  ]);
  return probe.exitCode === 0
    ? ["unshare", "-rm", "sh", "-c", `mount --bind -o ro '${dir}' '${dir}' && exec "$@"`, "sh"]
    : null;
}

describe("2. no crash before launch", () => {
  test("a read-only home (bind mount, EROFS): one line, exit 70", async () => {
    const j = job("ci-rohome");
    j.env.SERVICE_TOKEN = random();
    delete j.env.FICTA_HOME;
    const wrap = readOnly(j.dirs.home);
    if (!wrap) return console.warn("skipped: no user namespaces for a read-only bind mount");
    const result = await j.ficta(["codex", "exec", "hi"], { wrap });
    expect(result.code, result.stderr).toBe(70);
    const lines = result.stderr.split("\n").filter((l) => l.startsWith("ficta"));
    expect(lines.filter((l) => !l.startsWith("ficta: registry:"))).toEqual([
      `ficta: cannot create the surrogate key file ${j.dirs.home}/.ficta/key (EROFS): set ` +
      "FICTA_HOME to a writable directory (in GitHub Actions: FICTA_HOME=$RUNNER_TEMP/ficta) " +
      "or FICTA_SURROGATE_KEY",
    ]);
    onlyOwnLines(result.stderr);
    expect(result.stderr).toContain("::error title=ficta::cannot create the surrogate key");
    expect(j.summaryText()).toContain("### ficta: failed");
    expect(existsSync(j.marker)).toBe(false);
  }, 30_000);

  test(
    "a full home (a 16 KiB tmpfs, filled: ENOSPC): one line, exit 70, no temp file left",
    async () => {
      const j = job("ci-fullhome");
      j.env.SERVICE_TOKEN = random();
      delete j.env.FICTA_HOME;
      const home = j.dirs.home;
      const fill = `mount -t tmpfs -o size=16k tmpfs '${home}' && ` +
        `(dd if=/dev/zero of='${home}/fill' bs=4k 2>/dev/null; true)`;
      if (Bun.spawnSync(["unshare", "-rm", "sh", "-c", fill]).exitCode !== 0) {
        return console.warn("skipped: no user namespaces for a tmpfs mount");
      }
      const wrap = [
        "unshare",
        "-rm",
        "sh",
        "-c",
        `${fill} && "$@"; echo "left: $(ls -A '${home}/.ficta' 2>&1)" >&2`,
        "sh",
      ];
      const result = await j.ficta(["codex", "exec", "hi"], { wrap });
      expect(result.stderr).toContain(
        `ficta: cannot create the surrogate key file ${home}/.ficta/key (ENOSPC): set FICTA_HOME`,
      );
      expect(result.stderr).toContain("left: \n"); // no half-written key, no temporary file
      expect(j.summaryText()).toContain("exit code 70");
      expect(existsSync(j.marker)).toBe(false);
    },
    30_000,
  );

  test("a home under a file (ENOTDIR, which stops root too): one line, exit 70", async () => {
    const j = job("ci-notdir");
    j.env.SERVICE_TOKEN = random();
    writeFileSync(join(j.dirs.root, "a-file"), "");
    j.env.FICTA_HOME = join(j.dirs.root, "a-file", "ficta");
    const result = await j.ficta(["codex", "exec", "hi"]);
    expect(result.code, result.stderr).toBe(70);
    expect(result.stderr).toContain("(ENOTDIR): set FICTA_HOME to a writable directory");
    onlyOwnLines(result.stderr);
  }, 30_000);

  test("unwritable logs fall back to $RUNNER_TEMP; log.enabled off writes none", async () => {
    const j = job("ci-logs");
    j.env.SERVICE_TOKEN = random();
    j.env.FICTA_SURROGATE_KEY = hex(64);
    writeFileSync(join(j.dirs.root, "a-file"), "");
    j.env.FICTA_HOME = join(j.dirs.root, "a-file", "ficta");
    const fallback = await j.ficta(["codex", "exec", "hi"]);
    expect(fallback.code, fallback.stderr).toBe(0);
    expect(fallback.stderr).toContain(
      `ficta: warning: cannot write logs under ${j.env.FICTA_HOME}/logs (ENOTDIR); logging to ` +
        `${j.runnerTemp}/ficta-logs`,
    );
    // The fallback directory is made up front; the session's own folder appears with its first
    // request, and this stand-in Codex makes none.
    expect(readdirSync(join(j.runnerTemp, "ficta-logs"))).toEqual([]);
    onlyOwnLines(fallback.stderr);

    const { RUNNER_TEMP: _, CI: __, ...noTemp } = j.env;
    const nowhere = await j.ficta(["codex", "exec", "hi"], { env: noTemp });
    expect(nowhere.code).toBe(70);
    expect(nowhere.stderr).toContain("FICTA_LOG_ENABLED=0 to run without a log");
    const off = await j.ficta(["codex", "exec", "hi"], {
      env: { ...noTemp, FICTA_LOG_ENABLED: "0" },
    });
    expect(off.code, off.stderr).toBe(0);
    expect(off.stderr).toContain("; log: off");
  }, 30_000);
});

/** Pids still alive (zombies count as gone) and members of process group `pgid`. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] !== "Z" && Number(fields[2]) === pgid) members.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

function pgidOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    if (check()) return true;
    await Bun.sleep(25);
  }
  return check();
}

describe("3. secret-manager commands never outlive ficta", () => {
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    test(`${signal} while doppler hangs: no process left, by pid file and by group`, async () => {
      const j = job(`ci-${signal.toLowerCase()}`);
      j.env.FICTA_REGISTRY_PRESETS = "doppler";
      j.tool(
        "doppler",
        `echo $$ > '${j.pids}/doppler.pid'\nsleep 300 &\necho $! > '${j.pids}/child.pid'\nwait`,
      );
      const child = Bun.spawn([BINARY, "codex", "exec", "hi"], {
        cwd: j.dirs.project,
        env: j.env,
        stdout: "ignore",
        stderr: "pipe",
      });
      const started = await waitFor(
        () => existsSync(`${j.pids}/doppler.pid`) && existsSync(`${j.pids}/child.pid`),
        10_000,
      );
      expect(started).toBe(true);
      const doppler = Number(readFileSync(`${j.pids}/doppler.pid`, "utf8"));
      const sleeper = Number(readFileSync(`${j.pids}/child.pid`, "utf8"));
      const group = pgidOf(doppler);
      expect(groupMembers(group).length).toBeGreaterThanOrEqual(2);
      await Bun.sleep(100); // Bun arms a signal handler a moment after process.on
      child.kill(signal);
      const code = await child.exited;
      expect(code).toBe(128 + { SIGTERM: 15, SIGINT: 2, SIGHUP: 1 }[signal]);
      expect(await waitFor(() => !alive(doppler) && !alive(sleeper), 2000)).toBe(true);
      expect(groupMembers(group)).toEqual([]);
      expect(existsSync(j.marker)).toBe(false);
      onlyOwnLines(await new Response(child.stderr).text());
    }, 30_000);
  }

  test("a vault command that times out: ended with its group, the launch refused", async () => {
    const j = job("ci-timeout");
    j.env.SERVICE_TOKEN = random();
    j.env.FICTA_REGISTRY_COMMAND = JSON.stringify([
      {
        name: "vault",
        argv: ["vault", "kv", "get", "-format=json", "secret/app"],
        timeout_ms: 800,
      },
    ]);
    j.tool(
      "vault",
      `echo $$ > '${j.pids}/vault.pid'\nsleep 300 >/dev/null &\necho $! > '${j.pids}/child.pid'\nwait`,
    );
    const result = await j.ficta(["codex", "exec", "hi"]);
    expect(result.code, result.stderr).toBe(78);
    expect(result.stderr).toContain("source vault failed (timed out after 800 ms)");
    const vault = Number(readFileSync(`${j.pids}/vault.pid`, "utf8"));
    const sleeper = Number(readFileSync(`${j.pids}/child.pid`, "utf8"));
    expect(alive(vault) || alive(sleeper)).toBe(false);
    expect(groupMembers(vault)).toEqual([]); // detached: its pid is its group's id
  }, 30_000);

  test("doctor waits for a slow source, gives the launch's verdict, leaves nothing", async () => {
    const j = job("ci-doctor");
    j.env.DATABASE_PASSWORD = "";
    j.env.FICTA_REGISTRY_PRESETS = "doppler";
    j.tool(
      "doppler",
      `echo $$ > '${j.pids}/doppler.pid'\nsleep 300 >/dev/null &\n` +
        `echo $! > '${j.pids}/child.pid'\nsleep 2\necho '{"API_TOKEN": "${random()}"}'`,
    );
    const doctor = await j.ficta(["doctor", "--json"]);
    const registry = JSON.parse(doctor.stdout).checks.find((c: { id: string }) =>
      c.id === "registry"
    );
    expect(registry.status).toBe("fail");
    expect(registry.details.join("\n")).toContain("doppler (1 value)");
    expect(registry.details.join("\n")).toContain("empty variable(s) DATABASE_PASSWORD");
    const sleeper = Number(readFileSync(`${j.pids}/child.pid`, "utf8"));
    expect(await waitFor(() => !alive(sleeper), 2000)).toBe(true);
    const launch = await j.ficta(["codex", "exec", "hi"]);
    expect(launch.code).toBe(78);
    expect(launch.stderr).toContain("empty variable(s) DATABASE_PASSWORD");
  }, 30_000);
});

describe("5-7. what reaches the model, what the pipeline sees", () => {
  const dsnKey = hex(32);
  const hookSecret = random(24);
  const coverage: Record<string, string> = {
    SOME_SERVICE_PW: random(20),
    DB_PW: random(16),
    SMTP_PW: random(16),
    SLACK_HOOK_URL: `https://hooks.slack.com/services/T${random(10).toUpperCase()}/B${
      random(10).toUpperCase()
    }/${hookSecret}`,
    ERRORS_GO_TO: `https://${dsnKey}@o4504211.ingest.sentry.io/4504211`,
    SENDGRID_API: `SG.${random(22)}.${random(43)}`,
    MAILGUN_API: `key-${hex(32)}`,
    KUBE_CONFIG_DATA: btoa(`apiVersion: v1\nclusters:\n- cluster:\n    token: ${random(40)}\n`),
    SIGNING_KEYSTORE_B64: btoa(random(64)),
    ENCRYPTION_MASTER: random(32),
    DD_API: hex(32),
    HEROKU_API: crypto.randomUUID(),
    ALGOLIA_ADMIN: hex(32),
  };

  async function codexRun(j: ReturnType<typeof job>, prompt: string) {
    j.env.FICTA_REAL_CODEX = REAL_CODEX;
    j.env.CODEX_API_KEY = `fake-codex-key-${crypto.randomUUID().slice(0, 8)}`;
    const before = upstream.received.length;
    const result = await j.ficta(["codex", "exec", "--json", ...OFFLINE_FLAGS, prompt]);
    return { result, received: upstream.received.slice(before) };
  }

  test("each variable of issue 19 is protected by default when the agent runs `env`", async () => {
    const j = job("ci-coverage");
    Object.assign(j.env, coverage);
    const { result, received } = await codexRun(j, "Print the environment.");
    expect(result.code, result.stderr).toBe(0);
    const sent = received.map((r) => r.body).join("\n");
    expect(sent).toContain("SOME_SERVICE_PW="); // the tool output did reach the model
    for (const [name, value] of Object.entries(coverage)) {
      for (const form of formsOf(value)) {
        if (sent.includes(form)) throw new Error(`${name} reached the model`);
      }
    }
    for (const secret of [dsnKey, hookSecret]) expect(sent).not.toContain(secret);
    const summary = j.summaryText();
    expect(summary).toContain("### ficta: Codex ran behind the airlock");
    expect(summary).toMatch(/session `\d{8}-\d{6}-[0-9a-f]{6}` · exit code 0 · Codex exited 0/);
  }, 60_000);

  test('process_env = "all" under GitHub Actions keeps the prompt readable', async () => {
    const j = job("ci-all");
    j.env.FICTA_REGISTRY_PROCESS_ENV = "all";
    j.env.SERVICE_TOKEN = random();
    j.env.APP_INTERNAL_NOTE = random(20);
    const { result, received } = await codexRun(j, "Say hello.");
    expect(result.code, result.stderr).toBe(0);
    const first = received.find((r) => r.method === "POST" && r.url.endsWith("/responses"))!;
    // The working directory (GITHUB_WORKSPACE), the home and the shell stay readable.
    expect(first.body).toContain(j.dirs.project);
    expect(first.body).not.toMatch(/ficta_[A-Za-z0-9]{22}/);
    // The values of the job itself are still protected.
    const sent = received.map((r) => r.body).join("\n");
    expect(sent).toContain("APP_INTERNAL_NOTE=");
    expect(sent).not.toContain(j.env.APP_INTERNAL_NOTE);
    expect(sent).not.toContain(j.env.SERVICE_TOKEN);
  }, 60_000);

  test("secret-manager values: masked for the runner, plain settings left readable", async () => {
    const j = job("ci-manager");
    const apiKey = random(40);
    const multiLine = `-----BEGIN NOTE-----\n${random(40)}\n${random(40)}\n-----END NOTE-----`;
    j.tool(
      "doppler",
      `[ "$*" = "secrets download --no-file --format json --config prd" ] || exit 9\n` +
        `cat <<'EOF'\n${
          JSON.stringify({
            PAYMENTS_API_KEY: apiKey,
            CERT_NOTE: multiLine,
            NODE_ENV: "production",
            APP_URL: "https://app.internal.test",
            DB_HOST: "db.internal.test",
            DOPPLER_CONFIG: "prd",
          })
        }\nEOF`,
    );
    const fromOp = random(30);
    j.tool(
      "op",
      `[ "$(printenv FICTA_OP_REF_0)" = "op://ci/stripe/credential" ] || exit 9\n` +
        `printf 'FICTA_OP_REF_0=%s\\0' '${fromOp}'`,
    );
    j.env.FICTA_REGISTRY_PRESETS = "doppler,1password";
    j.env.FICTA_REGISTRY_DOPPLER_CONFIG = "prd";
    j.env.FICTA_REGISTRY_ONEPASSWORD_REFS = "STRIPE_KEY=op://ci/stripe/credential";
    const prompt =
      `Deploy to production at https://app.internal.test (db.internal.test) with ${apiKey} ${fromOp}`;
    const { result, received } = await codexRun(j, prompt);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`::add-mask::${apiKey}\n`);
    expect(result.stderr).toContain(`::add-mask::${fromOp}\n`);
    // Workflow commands go to stderr: `codex exec --json` output stays one JSON event per line.
    for (const line of result.stdout.split("\n").filter(Boolean)) {
      expect(() => JSON.parse(line)).not.toThrow();
    }
    expect(result.stderr).toContain("ficta: registry: 1password (1 value)");
    expect(result.stderr).toContain(`::add-mask::${multiLine.split("\n")[1]}\n`);
    expect(result.stderr).not.toContain("::add-mask::production");
    expect(result.stderr).toContain("ficta: registry: doppler (2 values, 4 skipped:");
    const first = received.find((r) => r.method === "POST" && r.url.endsWith("/responses"))!;
    expect(first.body).toContain("Deploy to production at https://app.internal.test");
    expect(first.body).toContain("(db.internal.test)");
    expect(first.body).not.toContain(apiKey);
    expect(first.body).not.toContain(fromOp);
    // Masks only in GitHub Actions.
    const { GITHUB_ACTIONS: _, ...elsewhere } = j.env;
    const local = await j.ficta(["codex", "exec", ...OFFLINE_FLAGS, "hi"], { env: elsewhere });
    expect(local.stderr).not.toContain("::add-mask::");
    expect(local.stderr).toContain("ficta: registry: doppler (2 values");
  }, 60_000);

  test("a blocked request: exit 65, the summary lists it, a warning annotation", async () => {
    const j = job("ci-blocked");
    const value = `${random(12)}=${random(12)}`;
    const out = join(j.dirs.root, "leaky-status");
    const leaky = join(j.bin, "leaky-codex");
    writeFileSync(
      leaky,
      `#!/bin/sh\nexec '${process.execPath}' --no-env-file '${LEAKY}' "$@"\n`,
      { mode: 0o755 },
    );
    Object.assign(j.env, {
      FICTA_REAL_CODEX: leaky,
      SERVICE_TOKEN: value,
      LEAKY_VALUE: value,
      LEAKY_OUT: out,
    });
    const result = await j.ficta(["codex", "exec", "hi"]);
    expect(readFileSync(out, "utf8")).toBe("400");
    expect(result.code, result.stderr).toBe(65);
    expect(result.stderr).toContain("::warning title=ficta::1 request(s) blocked");
    expect(upstream.received.some((r) => r.url.includes(value.slice(0, 12)))).toBe(false);
    const summary = j.summaryText();
    expect(summary).toContain("### ficta: request(s) blocked");
    expect(summary).toContain("exit code 65 · Codex exited 1");
    expect(summary).toMatch(/\| GET `\/v1\/models` \| 400 \| blocked \|/);
    expect(summary).not.toContain("SERVICE_TOKEN");
    expect(summary).not.toContain(value);
    onlyOwnLines(result.stderr);
  }, 30_000);
});
