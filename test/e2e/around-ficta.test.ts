/**
 * Codex features that reach the network on their own, with Codex's defaults (no offline flags)
 * and the real CLI: what ficta switches off must send nothing, what ficta refuses must not start.
 * A loopback recording proxy (HTTPS_PROXY) shows every host Codex connects to directly; a
 * loopback OpenTelemetry collector shows what a user's `[otel]` settings would export. Each
 * "switched off" check has a control run of Codex without ficta, so the check can fail.
 * docs/threat-model.md holds the table these tests back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { shQuote } from "../../src/install/shim.ts";
import {
  baseEnv,
  type Dirs,
  fictaCommand,
  type LoginKind,
  REAL_CODEX,
  removeTempDirs,
  run,
  type RunResult,
  tempDirs,
  writeLogin,
} from "./harness.ts";
import { type MockUpstream, startMockUpstream } from "./mock-upstream.ts";
import { type ProxyRecorder, startProxyRecorder } from "./system-proxy.ts";

/** The Codex CLIs this file runs (E2E_CODEX=path,path to try others). */
const CODEXES = process.env.E2E_CODEX?.split(",") ?? [REAL_CODEX];

/**
 * Hosts Codex reaches directly even through ficta, on an API-key login only: the curated plugin
 * catalog download (git fetch of github.com/openai/plugins, its zipball from api.github.com,
 * then chatgpt.com/backend-api/plugins/export/curated without credentials). A download carries
 * no session content; on a ChatGPT login the same sync goes through chatgpt_base_url (ficta).
 */
const PLUGIN_SYNC_HOSTS = ["github.com", "api.github.com", "chatgpt.com"];

interface Collector {
  origin: string;
  received: string[];
  stop(): void;
}

/** A loopback OpenTelemetry collector: records what is exported to it. */
function startCollector(): Collector {
  const received: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      received.push(`${req.method} ${new URL(req.url).pathname} ${(await req.bytes()).length}`);
      return Response.json({});
    },
  });
  return {
    origin: `http://127.0.0.1:${server.port}`,
    received,
    stop: () => server.stop(true),
  };
}

/** A user's config.toml exporting logs (with prompts), traces and metrics to `collector`. */
function otelConfig(collector: Collector): string {
  const exporter = (path: string) =>
    `{ otlp-http = { endpoint = "${collector.origin}${path}", protocol = "json" } }`;
  return [
    "[otel]",
    "log_user_prompt = true",
    `exporter = ${exporter("/v1/logs")}`,
    `trace_exporter = ${exporter("/v1/traces")}`,
    `metrics_exporter = ${exporter("/v1/metrics")}`,
    "",
  ].join("\n");
}

interface Outcome {
  dirs: Dirs;
  result: RunResult;
  upstream: MockUpstream;
  recorder: ProxyRecorder;
  collector: Collector;
  secret: string;
}

/**
 * One `codex exec` turn with Codex's own defaults: through ficta, or (`direct`) Codex alone with
 * a provider pointed at the same mock, as the control.
 */
async function session(
  codex: string,
  login: LoginKind,
  options: { otel: boolean; direct: boolean },
): Promise<Outcome> {
  const dirs = tempDirs(`around-${login}${options.otel ? "-otel" : ""}`);
  const secret = `around-secret-${crypto.randomUUID()}`;
  const upstream = startMockUpstream(() => [{ type: "message", text: "done" }]);
  const recorder = startProxyRecorder();
  const collector = startCollector();
  writeLogin(dirs.codexHome, login);
  if (options.otel) writeFileSync(join(dirs.codexHome, "config.toml"), otelConfig(collector));
  const env: Record<string, string> = {
    ...baseEnv(dirs),
    FICTA_REAL_CODEX: codex,
    FICTA_CHATGPT_UPSTREAM: upstream.origin,
    FICTA_OPENAI_UPSTREAM: upstream.origin,
    E2E_AROUND_SECRET: secret,
    ...recorder.env,
  };
  const exec = [
    "exec",
    "--skip-git-repo-check",
    "--dangerously-bypass-approvals-and-sandbox",
    `Remember the password ${secret}.`,
  ];
  const command = options.direct
    ? [
      codex,
      ..."model_provider=e2e model_providers.e2e.name=e2e model_providers.e2e.wire_api=responses"
        .split(" ").flatMap((o) => ["-c", o]),
      "-c",
      `model_providers.e2e.base_url=${upstream.origin}/v1`,
      ...exec,
    ]
    : [...fictaCommand(), "codex", ...exec];
  // The control has no ficta to put loopback into NO_PROXY: Codex's own provider call would go
  // to the recorder otherwise.
  if (options.direct) env.NO_PROXY = "127.0.0.1";
  const result = await run(command, { cwd: dirs.project, env, timeoutMs: 40_000 });
  // Exporters flush on exit; give a late one the chance to arrive.
  await Bun.sleep(300);
  return { dirs, result, upstream, recorder, collector, secret };
}

function hostsOf(recorder: ProxyRecorder): string[] {
  return [
    ...new Set(
      recorder.connections.map((c) => /^CONNECT ([^:\s]+):\d+ /.exec(c)?.[1] ?? `not CONNECT`),
    ),
  ].sort();
}

const outcomes = new Map<string, Outcome>();
const key = (codex: string, name: string) => `${codex}/${name}`;

beforeAll(async () => {
  const runs = CODEXES.flatMap((codex) =>
    [
      ["chatgpt", session(codex, "chatgpt", { otel: false, direct: false })],
      ["apikey", session(codex, "apikey", { otel: false, direct: false })],
      ["otel", session(codex, "apikey", { otel: true, direct: false })],
      ["control", session(codex, "apikey", { otel: false, direct: true })],
      ["otel-control", session(codex, "apikey", { otel: true, direct: true })],
    ].map(async ([name, outcome]) => {
      outcomes.set(key(codex, name as string), await (outcome as Promise<Outcome>));
    })
  );
  await Promise.all(runs);
}, 120_000);

afterAll(async () => {
  for (const o of outcomes.values()) {
    o.recorder.stop();
    o.collector.stop();
    await o.upstream.stop();
  }
  removeTempDirs();
});

for (const codex of CODEXES) {
  describe(`Codex's defaults through ficta, ${codex}`, () => {
    const get = (name: string) => {
      const o = outcomes.get(key(codex, name));
      if (!o) throw new Error(`${name} did not run`);
      return o;
    };

    test("the model turn and the ChatGPT housekeeping reach the upstream through ficta", () => {
      for (const name of ["chatgpt", "apikey", "otel"]) {
        const o = get(name);
        expect(o.result.code, o.result.stderr).toBe(0);
        const turns = o.upstream.received.filter((r) => r.url.endsWith("/responses"));
        expect(turns.length).toBe(1);
        for (const r of o.upstream.received) expect(r.body).not.toContain(o.secret);
      }
      // Plugins, apps, accounts and analytics of a ChatGPT login all use chatgpt_base_url.
      const housekeeping = get("chatgpt").upstream.received.map((r) => r.url);
      expect(housekeeping.some((u) => u.startsWith("/backend-api/ps/"))).toBe(true);
      expect(housekeeping.some((u) => u.includes("/analytics-events/"))).toBe(true);
    });

    test("ChatGPT login: Codex connects to no host directly", () => {
      expect(hostsOf(get("chatgpt").recorder)).toEqual([]);
    });

    test("API-key login: only the plugin catalog download goes direct", () => {
      for (const host of hostsOf(get("apikey").recorder)) {
        expect(PLUGIN_SYNC_HOSTS).toContain(host);
      }
    });

    test("switched off: OpenTelemetry metrics to ab.chatgpt.com (control: Codex alone sends them)", () => {
      expect(hostsOf(get("control").recorder)).toContain("ab.chatgpt.com");
      expect(hostsOf(get("chatgpt").recorder)).not.toContain("ab.chatgpt.com");
      expect(hostsOf(get("apikey").recorder)).not.toContain("ab.chatgpt.com");
    });

    test("switched off: the user's OpenTelemetry logs, traces and metrics (control: exported)", () => {
      const control = get("otel-control").collector.received.map((r) => r.split(" ")[1]);
      expect(control).toContain("/v1/logs");
      expect(control).toContain("/v1/traces");
      expect(get("otel").collector.received).toEqual([]);
    });
  });
}

describe("refused: started through ficta, these never start", () => {
  const REFUSED: Array<[string[], string]> = [
    [["remote-control", "start"], "remote-control"],
    [["app-server", "daemon", "start"], "app-server daemon"],
    [["app-server", "proxy"], "app-server proxy"],
    [["exec-server"], "exec-server"],
    [["cloud", "list"], "Codex Cloud"],
    [["cloud", "exec", "--env", "e", "fix it"], "Codex Cloud"],
    [["apply", "task_e2e"], "Codex Cloud"],
    [["--remote", "ws://127.0.0.1:9"], "--remote"],
    [["queue", "--thread", "t", "--message", "m"], "shared background app server"],
    [["debug", "app-server", "send-message-v2", "hi"], "straight to OpenAI"],
  ];
  // Refused before Codex is spawned: the same for every version (both have these commands).
  {
    const codex = REAL_CODEX;
    for (const [args, names] of REFUSED) {
      test(args.join(" "), async () => {
        const dirs = tempDirs("refused");
        writeLogin(dirs.codexHome, "chatgpt");
        const recorder = startProxyRecorder();
        const env = { ...baseEnv(dirs), FICTA_REAL_CODEX: codex, ...recorder.env };
        try {
          const result = await run([...fictaCommand(), "codex", ...args], {
            cwd: dirs.project,
            env,
          });
          expect(result.code).toBe(78);
          const lines = result.stderr.trim().split("\n");
          expect(lines.length).toBe(1);
          expect(lines[0]).toStartWith("ficta: refusing to start this through the airlock: ");
          expect(lines[0]).toContain(names);
          // Nothing was started: no proxy session, no Codex state, no connection.
          expect(existsSync(join(dirs.fictaHome, "logs"))).toBe(false);
          expect(existsSync(join(dirs.codexHome, "app-server-control"))).toBe(false);
          expect(recorder.connections).toEqual([]);
        } finally {
          recorder.stop();
        }
      });
    }
  }

  test("a remote exec-server in the environment", async () => {
    const dirs = tempDirs("refused-exec-server-url");
    const env = { ...baseEnv(dirs), CODEX_EXEC_SERVER_URL: "ws://127.0.0.1:9" };
    const result = await run([...fictaCommand(), "codex", "exec", "hi"], {
      cwd: dirs.project,
      env,
    });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain("CODEX_EXEC_SERVER_URL");
    expect(existsSync(join(dirs.fictaHome, "logs"))).toBe(false);
  });
});

/** Root with `unshare`: /etc can be replaced for one process tree without touching the host. */
const PRIVATE_ETC = process.getuid?.() === 0 && Bun.which("unshare") !== null;

test.skipIf(!PRIVATE_ETC)(
  "refused: /etc/codex/managed_config.toml that outranks ficta's overrides",
  async () => {
    const dirs = tempDirs("managed");
    writeLogin(dirs.codexHome, "apikey");
    // A private copy of /etc with a managed config, bind-mounted in a private mount namespace.
    const etc = join(dirs.root, "etc");
    expect(Bun.spawnSync(["cp", "-a", "/etc/.", etc]).exitCode).toBe(0);
    Bun.spawnSync(["mkdir", "-p", join(etc, "codex")]);
    writeFileSync(
      join(etc, "codex", "managed_config.toml"),
      'model_provider = "corp"\n[model_providers.corp]\nname = "corp"\n' +
        'base_url = "http://127.0.0.1:9/v1"\n',
    );
    const ficta = [...fictaCommand(), "codex", "exec", "hi"].map(shQuote).join(" ");
    const result = await run(
      ["unshare", "-m", "sh", "-c", `mount --bind ${shQuote(etc)} /etc && exec ${ficta}`],
      { cwd: dirs.project, env: baseEnv(dirs) },
    );
    expect(result.code).toBe(78);
    expect(result.stderr).toContain(
      "ficta: refusing to start this through the airlock: /etc/codex/managed_config.toml sets " +
        "model_provider, which outrank ficta's overrides",
    );
    expect(existsSync(join(dirs.fictaHome, "logs"))).toBe(false);
  },
  20_000,
);

afterAll(removeTempDirs);

const TMUX = Bun.which("tmux");

/** Switched off: `/feedback` in the interactive Codex would upload logs and the transcript. */
test.skipIf(!TMUX)("switched off: /feedback uploads (the TUI says so)", async () => {
  const dirs = tempDirs("feedback");
  writeLogin(dirs.codexHome, "apikey");
  writeFileSync(
    join(dirs.codexHome, "config.toml"),
    `[projects.${JSON.stringify(dirs.project)}]\ntrust_level = "trusted"\n`,
  );
  const recorder = startProxyRecorder();
  const upstream = startMockUpstream(() => [{ type: "message", text: "done" }]);
  const env = {
    ...baseEnv(dirs),
    FICTA_REAL_CODEX: CODEXES[0],
    FICTA_OPENAI_UPSTREAM: upstream.origin,
    TERM: "xterm-256color",
    ...recorder.env,
  };
  const script = join(dirs.root, "run.sh");
  writeFileSync(
    script,
    [
      "#!/bin/sh",
      `cd ${shQuote(dirs.project)}`,
      ...Object.entries(env).map(([k, v]) => `export ${k}=${shQuote(v)}`),
      `exec ${fictaCommand().map(shQuote).join(" ")} codex`,
    ].join("\n"),
    { mode: 0o755 },
  );
  const socket = join(dirs.root, "tmux.sock");
  const tmux = (...args: string[]) =>
    Bun.spawnSync([TMUX!, "-S", socket, ...args], { env: { ...env, TMUX: "" } });
  const screen = () => tmux("capture-pane", "-p", "-t", "e2e").stdout.toString();
  const until = async (what: string, text: string, keys: string[] = []) => {
    const deadline = Date.now() + 15_000;
    for (let i = 0; Date.now() < deadline; i++) {
      if (screen().includes(text)) return;
      // Each dialog step takes one Enter; send it again now and then in case one was early.
      if (keys.length && i % 20 === 0) tmux("send-keys", "-t", "e2e", ...keys);
      await Bun.sleep(100);
    }
    throw new Error(`timed out waiting for ${what}:\n${screen()}`);
  };
  try {
    tmux("new-session", "-d", "-s", "e2e", "-x", "140", "-y", "45", script);
    await until("Codex's composer", "for shortcuts");
    tmux("send-keys", "-t", "e2e", "-l", "/feedback");
    await Bun.sleep(300);
    tmux("send-keys", "-t", "e2e", "Enter");
    await until("the feedback categories", "How was this?");
    tmux("send-keys", "-t", "e2e", "Enter");
    await until("the logs question", "Include logs", []);
    tmux("send-keys", "-t", "e2e", "Enter");
    await until("the feedback note", "Feedback uploads are disabled.");
    expect(screen()).toContain("save ZIP");
    // Switched off by ficta's override, not by anything written into Codex's config.
    expect(readFileSync(join(dirs.codexHome, "config.toml"), "utf8")).not.toMatch(
      /feedback\]|feedback\./,
    );
    expect(hostsOf(recorder).filter((h) => h.includes("sentry"))).toEqual([]);
  } finally {
    tmux("kill-server");
    recorder.stop();
    await upstream.stop();
  }
}, 45_000);
