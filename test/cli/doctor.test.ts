import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { VERIFIED_CODEX_VERSIONS } from "../../src/agents/codex/versions.ts";
import { diagnose, type DoctorReport } from "../../src/cli/doctor.ts";
import type { EngineFactory } from "../../src/cli/doctor-self-test.ts";
import { compileEngine } from "../../src/core/mod.ts";
import type { Engine } from "../../src/core/types.ts";
import { renderShim } from "../../src/install/shim.ts";
import { everyStderrLineIsFicta, healthyMachine, runFicta } from "./run-ficta.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

const statuses = (report: DoctorReport) =>
  Object.fromEntries(report.checks.map((c) => [c.id, c.status]));

/** A real engine with some of its behaviour replaced. */
function brokenEngine(change: (real: Engine) => Partial<Engine>): EngineFactory {
  return async (secrets, key, options) => {
    const real = await compileEngine(secrets, key, options);
    const delegate: Engine = {
      redactBytes: (input) => real.redactBytes(input),
      redactText: (input) => real.redactText(input),
      gateBytes: (input) => real.gateBytes(input),
      gateText: (input) => real.gateText(input),
      restorer: (response) => real.restorer(response),
    };
    return { ...delegate, ...change(real) };
  };
}

/** Buffers the whole stream and replaces every `from` with `to`. */
function rewrite(from: string, to: string): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  let text = "";
  return new TransformStream({
    transform(chunk) {
      text += decoder.decode(chunk, { stream: true });
    },
    flush(controller) {
      controller.enqueue(new TextEncoder().encode(text.replaceAll(from, to)));
    },
  });
}

/** Values the self-test generates look like this; none may ever be printed. */
const SYNTHETIC = /selftest-[0-9a-f]{32}|st"[0-9a-f]{12}/;

describe("ficta doctor: what could send data around ficta", () => {
  test("proxy variables and Codex settings that export or hand out session data warn, by name", async () => {
    const proxyUrl = "http://user:proxy-password-e2e@proxy.corp.test:3128";
    const { home, env } = healthyMachine({ HTTPS_PROXY: proxyUrl, http_proxy: proxyUrl });
    await runFicta(["install", "--no-shell"], env);
    writeFileSync(
      join(home, ".codex", "config.toml"),
      [
        'notify = ["/usr/local/bin/notify-me"]',
        "[otel]",
        'exporter = { otlp-http = { endpoint = "https://collector.corp.test/v1/logs" } }',
        'metrics_exporter = "none"',
        "[mcp_servers.tracker]",
        'url = "https://mcp.corp.test/mcp?token=mcp-token-e2e"',
        "[mcp_servers.files]",
        'command = "files-mcp"',
        "[mcp_servers.off]",
        'command = "x"',
        "enabled = false",
        "",
      ].join("\n"),
    );
    const ran = await runFicta(["doctor", "--json"], env);
    const report = JSON.parse(ran.stdout) as DoctorReport;
    const around = report.checks.find((c) => c.id === "around")!;
    expect(around.status).toBe("warn");
    const text = around.details.join("\n");
    expect(text).toContain("http_proxy, HTTPS_PROXY set");
    expect(text.match(/otel\.exporter:/g)?.length).toBe(1);
    expect(text).toContain("otel.exporter:");
    expect(text).not.toContain("metrics_exporter");
    expect(text).toContain("mcp_servers.tracker (HTTP)");
    expect(text).toContain("mcp_servers.files (local command)");
    expect(text).not.toContain("mcp_servers.off");
    expect(text).toContain("notify:");
    // Names only: proxy and MCP URLs can carry credentials.
    expect(ran.stdout).not.toContain("proxy-password-e2e");
    expect(ran.stdout).not.toContain("mcp-token-e2e");
    expect(ran.stdout).not.toContain("collector.corp.test");
    // A warning, not a failure: protection of the model requests still holds.
    expect(ran.code).toBe(0);
  });

  test("a clean machine: ok; a broken Codex config is named", async () => {
    const { home, env } = healthyMachine();
    let report = JSON.parse((await runFicta(["doctor", "--json"], env)).stdout) as DoctorReport;
    expect(statuses(report).around).toBe("ok");
    writeFileSync(join(home, ".codex", "config.toml"), "[otel\n");
    report = JSON.parse((await runFicta(["doctor", "--json"], env)).stdout) as DoctorReport;
    const around = report.checks.find((c) => c.id === "around")!;
    expect(around.status).toBe("warn");
    expect(around.details.join("\n")).toContain("not valid TOML");
  });
});

/** A loopback model upstream that records what doctor's reachability probe sends. */
const probes: Array<{ method: string; headers: Record<string, string>; body: string }> = [];
const upstream = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    probes.push({
      method: req.method,
      headers: Object.fromEntries(req.headers),
      body: await req.text(),
    });
    return new Response(null, { status: 421 });
  },
});
afterAll(() => upstream.stop(true));
const LOOPBACK = `http://127.0.0.1:${upstream.port}`;

/** healthyMachine() with both model upstreams on the loopback server above. */
function reachableMachine() {
  const machine = healthyMachine();
  const env = { ...machine.env, FICTA_CHATGPT_UPSTREAM: LOOPBACK, FICTA_OPENAI_UPSTREAM: LOOPBACK };
  return { ...machine, env };
}

describe("ficta doctor", () => {
  test("a healthy setup: every check ok, exit 0, well under 2 s", async () => {
    const { env } = reachableMachine();
    expect((await runFicta(["install", "--no-shell"], env)).code).toBe(0);
    const started = performance.now();
    const ran = await runFicta(["doctor"], env);
    const wall = performance.now() - started;
    expect(ran.stdout).toContain("verdict: protection works here");
    expect(ran.code).toBe(0);
    expect(ran.stdout).not.toMatch(/^(warn|FAIL)/m);
    expect(ran.stdout).toMatch(/^ok {4}shim +\S+, first on PATH$/m);
    expect(ran.stdout).toMatch(/^ok {4}codex +codex-cli 0\.169\.0 at .*\(verified with ficta\)$/m);
    expect(ran.stdout).toContain(`auth       ChatGPT login; model requests go to ${LOOPBACK}`);
    expect(ran.stdout).not.toMatch(SYNTHETIC);
    expect(everyStderrLineIsFicta(ran.stderr)).toBe(true);
    expect(wall).toBeLessThan(2000);
  });

  test("--json: one document with the same verdicts", async () => {
    const { env } = reachableMachine();
    await runFicta(["install", "--no-shell"], env);
    const ran = await runFicta(["doctor", "codex", "--json"], env);
    const report = JSON.parse(ran.stdout) as DoctorReport;
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.id)).toEqual([
      "config",
      "registry",
      "codex",
      "auth",
      "shim",
      "disabled",
      "upstreams",
      "around",
      "reach",
      "self-test",
    ]);
    expect(report.elapsed_ms).toBeLessThan(2000);
    expect(ran.code).toBe(0);
  });

  test("the model upstream: a bare HEAD probe; unreachable is reported as such", async () => {
    const { env, home } = reachableMachine();
    writeFileSync(join(home, ".env"), `DOCTOR_SECRET=doctor-${crypto.randomUUID()}\n`);
    probes.length = 0;
    const ok = JSON.parse((await runFicta(["doctor", "--json"], env)).stdout) as DoctorReport;
    expect(ok.checks.find((c) => c.id === "reach")).toMatchObject({ status: "ok" });
    expect(probes).toHaveLength(1);
    expect(probes[0].method).toBe("HEAD");
    expect(probes[0].body).toBe("");
    // Nothing of the user's: no credential, no project value, only what fetch itself sends.
    expect(Object.keys(probes[0].headers).sort()).toEqual(
      ["accept", "accept-encoding", "connection", "host", "user-agent"].filter((h) =>
        h in probes[0].headers
      ),
    );
    expect(JSON.stringify(probes[0].headers)).not.toContain("doctor-");

    const closed = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const dead = `http://127.0.0.1:${closed.port}`;
    closed.stop(true);
    const ran = await runFicta(["doctor"], { ...env, FICTA_CHATGPT_UPSTREAM: dead });
    expect(ran.stdout).toContain(`warn  reach      model upstream unreachable: ${dead}`);
    expect(ran.stdout).toContain(`${dead}: unreachable (ECONNREFUSED)`);
  }, 20_000);

  test("the registry's count is the sum of its details (the surrogate key listed too)", async () => {
    const { env, home } = reachableMachine();
    writeFileSync(join(home, ".env"), `DOCTOR_SECRET=doctor-${crypto.randomUUID()}\n`);
    mkdirSync(join(home, ".ficta"), { recursive: true });
    writeFileSync(join(home, ".ficta", "key"), "ab".repeat(32) + "\n", { mode: 0o600 });
    const report = JSON.parse((await runFicta(["doctor", "--json"], env)).stdout) as DoctorReport;
    const registry = report.checks.find((c) => c.id === "registry")!;
    const total = Number(/^(\d+) value/.exec(registry.summary)![1]);
    const listed = registry.details
      .map((d) => Number(/\((\d+) values?/.exec(d)?.[1] ?? 0))
      .reduce((a, b) => a + b, 0);
    expect(registry.details).toContain("ficta's surrogate key (1 value)");
    expect(listed).toBe(total);
  });

  test("a Codex outside the verified versions is a warning naming it; a verified one is ok", async () => {
    const [pinned, newest] = VERIFIED_CODEX_VERSIONS;
    const [major, minor] = newest.split(".").map(Number);
    const beyond = `${major}.${minor + 1}.0`;
    for (const [version, status] of [[newest, "ok"], [beyond, "warn"]] as const) {
      const { realDir, env } = healthyMachine();
      writeFileSync(
        join(realDir, "codex"),
        `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "codex-cli ${version}"; fi\n`,
        { mode: 0o755 },
      );
      const ran = await runFicta(["doctor", "--json"], env);
      const codex = (JSON.parse(ran.stdout) as DoctorReport).checks.find((c) => c.id === "codex");
      expect(codex?.status).toBe(status);
      expect(codex?.summary).toContain(`codex-cli ${version}`);
      const verified = `${pinned.split(".").slice(0, 2).join(".")} and ${major}.${minor}`;
      expect(codex?.details.join("\n")).toContain(`ficta is verified with Codex ${verified}`);
      if (status === "warn") expect(codex?.details.join("\n")).toContain(`${beyond} is newer`);
    }
  });

  test("a missing Codex is a problem", async () => {
    const { home, env } = healthyMachine();
    // A PATH with no Codex anywhere on it, whatever this machine has installed globally (the
    // README's `npm install -g @openai/codex` puts one in /usr/bin).
    const empty = join(home, "empty-bin");
    mkdirSync(empty);
    const ran = await runFicta(["doctor", "--json"], {
      ...env,
      PATH: `${join(home, ".ficta", "bin")}:${empty}`,
    });
    const report = JSON.parse(ran.stdout) as DoctorReport;
    expect(ran.code).toBe(1);
    expect(statuses(report).codex).toBe("fail");
    expect(report.checks.find((c) => c.id === "codex")?.summary).toContain("not found");
  });

  test("FICTA_REAL_CODEX naming ficta's own shim is a problem, not a loop", async () => {
    const { home, env } = healthyMachine();
    await runFicta(["install", "--no-shell"], env);
    const shim = join(home, ".ficta", "bin", "codex");
    const ran = await runFicta(["doctor", "--json"], { ...env, FICTA_REAL_CODEX: shim });
    const codex = (JSON.parse(ran.stdout) as DoctorReport).checks.find((c) => c.id === "codex");
    expect(codex?.status).toBe("fail");
    expect(codex?.summary).toContain(`${shim}, which is ficta itself, not Codex`);
    expect(ran.code).toBe(1);
  });

  test("a broken config is a problem; the other checks still run", async () => {
    const { home, env } = healthyMachine();
    // The file's upstream must count: no environment override for it.
    delete (env as Record<string, string | undefined>).FICTA_OPENAI_UPSTREAM;
    mkdirSync(join(home, ".ficta"), { recursive: true });
    writeFileSync(
      join(home, ".ficta", "config.toml"),
      'upstream = { openai = "http://evil.example" }\n',
    );
    const ran = await runFicta(["doctor"], env);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toMatch(/^FAIL {2}config +.*upstream/m);
    expect(ran.stdout).toMatch(/^ok {4}self-test/m);
    expect(ran.stdout).toMatch(/^verdict: NOT protected as expected .*: config$/m);
  });

  test("disabled, and a shim that is not first on PATH, are problems", async () => {
    const { home, realDir, env } = healthyMachine();
    await runFicta(["install", "--no-shell"], env);
    await runFicta(["disable"], env);
    const ran = await runFicta(["doctor", "--json"], {
      ...env,
      PATH: `${realDir}:${join(home, ".ficta", "bin")}:/usr/bin:/bin`,
    });
    const s = statuses(JSON.parse(ran.stdout));
    expect(s.disabled).toBe("fail");
    expect(s.shim).toBe("fail");
    expect(ran.code).toBe(1);
  });

  test("a shim whose ficta is gone is a problem", async () => {
    const { home, env } = healthyMachine();
    const shim = join(home, ".ficta", "bin", "codex");
    mkdirSync(join(shim, ".."), { recursive: true });
    writeFileSync(shim, renderShim("posix", [join(home, "gone", "ficta")]), { mode: 0o755 });
    const ran = await runFicta(["doctor", "--json"], env);
    const shimCheck = (JSON.parse(ran.stdout) as DoctorReport).checks.find((c) => c.id === "shim");
    expect(shimCheck).toMatchObject({ status: "fail" });
    expect(shimCheck?.summary).toContain("which is gone");
    expect(ran.code).toBe(1);
  });

  test("no shim is a warning, not a problem", async () => {
    const { env } = healthyMachine();
    const ran = await runFicta(["doctor", "--json"], env);
    expect(statuses(JSON.parse(ran.stdout)).shim).toBe("warn");
    expect(ran.code).toBe(0);
  });

  test("an unknown agent is a usage error", async () => {
    const { env } = healthyMachine();
    const ran = await runFicta(["doctor", "claude"], env);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/^ficta: doctor: unknown agent 'claude'/);
  });
});

describe("doctor's self-test catches a broken engine", () => {
  async function selfTestOf(compile: EngineFactory) {
    const { home, env } = healthyMachine();
    const report = await diagnose({ env, cwd: home, compile });
    const live = report.checks.find((c) => c.id === "self-test")!;
    return { report, live };
  }

  test("no redaction and a blind gate: the leak is reported", async () => {
    const { report, live } = await selfTestOf(brokenEngine(() => ({
      redactBytes: (input) => Promise.resolve({ output: input, counts: {} }),
      gateBytes: () => [],
    })));
    expect(report.ok).toBe(false);
    expect(live.status).toBe("fail");
    expect(live.details.join("\n")).toMatch(/FAIL redaction: LEAK/);
    expect(live.details.join("\n")).toMatch(/FAIL gate: LEAK/);
    expect(live.details.join("\n")).not.toMatch(SYNTHETIC);
  });

  test("a restorer that restores nothing", async () => {
    const { live } = await selfTestOf(brokenEngine(() => ({
      restorer: () => ({
        stream: new TransformStream(),
        stats: { restored: 0, unknown: 0, keptInTools: 0 },
      }),
    })));
    expect(live.status).toBe("fail");
    expect(live.details).toEqual([
      expect.stringMatching(/^ok {3}redaction/),
      expect.stringMatching(/^ok {3}gate/),
      expect.stringMatching(/^FAIL restore-text/),
      expect.stringMatching(/^FAIL restore-tool-arguments/),
    ]);
  });

  test("a restorer that forgets to escape inside tool arguments", async () => {
    // Restores, then drops the second level of escaping a value nested in tool arguments needs.
    const { live } = await selfTestOf(brokenEngine((real) => ({
      restorer: (type) => {
        const inner = real.restorer(type);
        const readable = inner.stream.readable.pipeThrough(rewrite('\\\\\\"', '\\"'));
        const stream = { writable: inner.stream.writable, readable };
        return { stream: stream as TransformStream<Uint8Array, Uint8Array>, stats: inner.stats };
      },
    })));
    expect(live.status).toBe("fail");
    expect(live.details).toEqual([
      expect.stringMatching(/^ok {3}redaction/),
      expect.stringMatching(/^ok {3}gate/),
      expect.stringMatching(/^ok {3}restore-text/),
      expect.stringMatching(/^FAIL restore-tool-arguments/),
    ]);
  });

  test("an engine that cannot even compile", async () => {
    const { live } = await selfTestOf(() => Promise.reject(new Error("no engine today")));
    expect(live.status).toBe("fail");
    expect(live.details.every((d) => d.startsWith("FAIL"))).toBe(true);
    expect(live.details[0]).toContain("no engine today");
  });
});
