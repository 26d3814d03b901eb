/**
 * Proxy benchmark (`bun run bench:proxy`): Codex-shaped requests sent through ficta and straight to
 * the same loopback upstream, alternating, in one run. The upstream answers JSON or SSE (50 events)
 * echoing the `NAME=value` lines it received, so answers carry surrogates and restore is exercised.
 * Reports what ficta adds to the p50 (and p90) round trip. All values are seeded fakes.
 *
 *   bun run bench:proxy            # full run
 *   bun run bench:proxy --quick    # fewer iterations
 *   bun run bench:proxy --identity # an engine that changes nothing: the proxy's own cost
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { schema } from "../src/config/schema.ts";
import type { Engine, Secret } from "../src/engine/types.ts";
import { importSurrogateKey } from "../src/engine/surrogate.ts";
import { PROXY_TOKEN_HEADER, startProxy } from "../src/proxy/index.ts";
import { createSession } from "../src/report/index.ts";

const quick = process.argv.includes("--quick");
const identity = process.argv.includes("--identity");

interface Case {
  label: string;
  bytes: number;
  values: number;
  iterations: number;
  target: number;
}

const CASES: Case[] = [
  { label: "50 KB, 100 values", bytes: 50_000, values: 100, iterations: 400, target: 0.7 },
  { label: "500 KB, 1000 values", bytes: 500_000, values: 1000, iterations: 120, target: 5 },
  { label: "5 MB, 1000 values", bytes: 5_000_000, values: 1000, iterations: 24, target: 40 },
];
const ANSWERS = ["json", "sse"] as const;
type Answer = typeof ANSWERS[number];

// ---------- seeded fakes ----------

let seed = 0xf1c7a;
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const chars = (n: number) =>
  Array.from({ length: n }, () => ALNUM[Math.floor(rand() * 62)]).join("");
const WORDS = ("the a to of and in is it for on that with as this be are by file function return " +
  "const value error test config import export default async await string number if else " +
  "null undefined path request response token module build run output line src index").split(" ");
const prose = (n: number) => {
  let s = "";
  while (s.length < n) s += WORDS[Math.floor(rand() * WORDS.length)] + (rand() < 0.1 ? ".\n" : " ");
  return s;
};

export function fakeSecrets(n: number): Secret[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `BENCH_VAR_${i}`,
    source: "bench",
    value: `bv${i}-${chars(20 + Math.floor(rand() * 20))}`,
  }));
}

/**
 * A Responses-API body as Codex sends it late in a session: instructions, then turns of
 * `exec_command` calls and outputs, the values spread over the outputs as `cat .env` prints them.
 */
export function codexBody(bytes: number, secrets: Secret[]): string {
  const input: unknown[] = [{
    type: "message",
    role: "developer",
    content: [{ type: "input_text", text: prose(Math.min(8_000, bytes / 5)) }],
  }];
  const turns = Math.max(4, Math.floor((bytes * 0.7) / 2_600));
  const perTurn = Math.ceil(secrets.length / turns);
  for (let t = 0; t < turns; t++) {
    const call = `call_${t}`;
    const values = secrets.slice(t * perTurn, (t + 1) * perTurn);
    input.push({
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: prose(300) }],
    });
    input.push({
      type: "function_call",
      name: "exec_command",
      call_id: call,
      arguments: JSON.stringify({ cmd: "cat .env && ls -la src", workdir: "/work/project" }),
    });
    input.push({
      type: "function_call_output",
      call_id: call,
      output: `Chunk ID: ${chars(6)}\nWall time: 0.0012 seconds\nProcess exited with code 0\n` +
        `Output:\n${values.map((s) => `${s.name}=${s.value}`).join("\n")}\n${prose(1_600)}`,
    });
  }
  const request = {
    model: "gpt-5-codex",
    instructions: "",
    input,
    stream: true,
    store: false,
    include: ["reasoning.encrypted_content"],
    prompt_cache_key: "0d1c2b3a-4f5e-6d7c-8b9a-0f1e2d3c4b5a",
  };
  // Pad the first user message to the exact size (prose needs no JSON escaping).
  const short = bytes - JSON.stringify(request).length;
  if (short > 0) {
    (input[1] as { content: { text: string }[] }).content[0].text += prose(short).slice(0, short);
  }
  const body = JSON.stringify(request);
  return body;
}

// ---------- the upstream: echoes the `NAME=value` lines it received (values or surrogates) ----------

function echoSlices(body: string): string[] {
  const slices: string[] = [];
  for (let at = body.indexOf("BENCH_VAR_"); at >= 0 && slices.length < 50;) {
    // Up to the JSON-escaped line break: one whole value (or surrogate) per slice.
    const end = body.indexOf("\\n", at);
    slices.push(`${body.slice(at, end)} `);
    at = body.indexOf("BENCH_VAR_", end);
  }
  return slices;
}

function answer(kind: Answer, body: string): Response {
  const slices = echoSlices(body);
  if (kind === "json") {
    return Response.json({
      id: "resp_bench",
      output: [{ type: "message", content: [{ type: "output_text", text: slices.join("\n") }] }],
      usage: { total_tokens: 1 },
    });
  }
  const events = slices.map((delta) =>
    `event: response.output_text.delta\ndata: ${
      JSON.stringify({ type: "response.output_text.delta", delta })
    }\n\n`
  );
  events.push(
    `event: response.completed\ndata: ${
      JSON.stringify({ type: "response.completed", response: { usage: { total_tokens: 1 } } })
    }\n\n`,
  );
  return new Response(events.join(""), { headers: { "content-type": "text/event-stream" } });
}

// ---------- engine: the real one when it is complete, else the proxy tests' stand-in ----------

async function engineFor(secrets: Secret[]): Promise<{ engine: Engine; kind: string }> {
  if (identity) return { engine: identityEngine(), kind: "identity engine (proxy cost only)" };
  const key = await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
  try {
    const { compileEngine } = await import("../src/engine/index.ts");
    const engine = await compileEngine(secrets, key, {
      encoded: true,
      shapes: true,
      disabledFormats: [],
      restoreIntoTools: "all",
    });
    engine.restorer("text/event-stream");
    return { engine, kind: "real engine (compileEngine; encoded forms and shapes on)" };
  } catch (error) {
    const { fakeEngine } = await import("../test/proxy/fake-engine.ts");
    return {
      engine: fakeEngine(secrets),
      kind: `STAND-IN engine from test/proxy (real engine unusable: ${(error as Error).message})`,
    };
  }
}

function identityEngine(): Engine {
  const stats = { restored: 0, unknown: 0, keptInTools: 0 };
  return {
    redactBytes: (input) => Promise.resolve({ output: input, counts: {} }),
    redactText: (input) => Promise.resolve({ output: input, counts: {} }),
    gateBytes: () => [],
    gateText: () => [],
    restorer: () => ({ stream: new TransformStream(), stats }),
    restoreText: (input) => ({ output: input, stats }),
    stats: () => ({ values: 0, detections: {} }),
  };
}

// ---------- measurement ----------

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function roundTrip(
  url: string,
  headers: Record<string, string>,
  body: Uint8Array<ArrayBuffer>,
) {
  const started = performance.now();
  const res = await fetch(url, { method: "POST", headers, body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`status ${res.status} from ${url}: ${text}`);
  return performance.now() - started;
}

async function main() {
  let mode: Answer = "json";
  const upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      return answer(mode, await req.text());
    },
  });
  const origin = `http://127.0.0.1:${upstream.port}`;
  const home = mkdtempSync(join(tmpdir(), "ficta-bench-proxy-"));
  const rows: string[] = [];
  let engineKind = "";
  try {
    for (const c of CASES) {
      const secrets = fakeSecrets(c.values);
      const { engine, kind } = await engineFor(secrets);
      engineKind = kind;
      const settings = schema.parse({ upstream: { chatgpt: origin, openai: origin } });
      const session = createSession(settings, { FICTA_HOME: home });
      const token = crypto.randomUUID();
      const proxy = startProxy({ engine, settings, token, session, stderrIsTTY: true });
      const body = new TextEncoder().encode(codexBody(c.bytes, secrets));
      const headers = {
        authorization: "Bearer bench-not-a-key",
        "content-type": "application/json",
        accept: "text/event-stream",
      };
      const viaFicta = { ...headers, [PROXY_TOKEN_HEADER]: token };
      const iterations = quick ? Math.ceil(c.iterations / 4) : c.iterations;
      for (const kind of ANSWERS) {
        mode = kind;
        const direct: number[] = [];
        const ficta: number[] = [];
        const warmup = Math.max(5, Math.ceil(iterations / 10));
        for (let i = 0; i < warmup + iterations; i++) {
          // Alternate which goes first, so neither always runs on a warmer cache.
          const a = await roundTrip(`${origin}/v1/responses`, headers, body);
          const b = await roundTrip(`${proxy.origin}/v1/responses`, viaFicta, body);
          if (i >= warmup) {
            direct.push(a);
            ficta.push(b);
          }
          if (i % 2) {
            const b2 = await roundTrip(`${proxy.origin}/v1/responses`, viaFicta, body);
            const a2 = await roundTrip(`${origin}/v1/responses`, headers, body);
            if (i >= warmup) {
              direct.push(a2);
              ficta.push(b2);
            }
          }
        }
        direct.sort((x, y) => x - y);
        ficta.sort((x, y) => x - y);
        const added50 = percentile(ficta, 0.5) - percentile(direct, 0.5);
        const added90 = percentile(ficta, 0.9) - percentile(direct, 0.9);
        const line = {
          case: c.label,
          answer: kind,
          n: direct.length,
          directP50: round(percentile(direct, 0.5)),
          fictaP50: round(percentile(ficta, 0.5)),
          addedP50: round(added50),
          addedP90: round(added90),
          target: c.target,
          ok: added50 <= c.target,
        };
        console.log(JSON.stringify(line));
        rows.push(
          `| ${c.label} | ${kind.toUpperCase()} | ${line.directP50} | ${line.fictaP50} | ` +
            `**${line.addedP50}** | ${line.addedP90} | <= ${c.target} | ${
              line.ok ? "yes" : "NO"
            } |`,
        );
      }
      await proxy.stop();
      session.close();
    }
  } finally {
    await upstream.stop(true);
    rmSync(home, { recursive: true, force: true });
  }
  console.log(`\nBun ${Bun.version}, ${navigator.hardwareConcurrency} cores, ${engineKind}`);
  console.log(
    "\n| Request | Answer | direct p50 ms | via ficta p50 ms | added p50 ms | added p90 ms | target | met |",
  );
  console.log("|---|---|---:|---:|---:|---:|---:|---|");
  for (const row of rows) console.log(row);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

if (import.meta.main) await main();
