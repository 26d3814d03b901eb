/**
 * Proxy benchmark (`bun run bench:proxy`): Codex-shaped requests sent through ficta and straight to
 * the same loopback upstream, alternating, in one run. The upstream answers JSON or SSE (50 events)
 * echoing the `NAME=value` lines it received, so answers carry surrogates and restore is exercised.
 * Reports what ficta adds to the p50 (and p90) round trip. All values are seeded fakes.
 *
 * As in real use, Codex (the client), ficta and the upstream are three processes: this one runs
 * the proxy, and runs itself again as `--role=upstream` and `--role=client`.
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
import { compileEngine, importSurrogateKey } from "../src/engine/index.ts";
import { PROXY_TOKEN_HEADER, startProxy } from "../src/proxy/index.ts";
import { createSession } from "../src/report/index.ts";
import { seeded } from "../test/engine/fakes.ts";

const quick = process.argv.includes("--quick");
const identity = process.argv.includes("--identity");
const role = process.argv.find((arg) => arg.startsWith("--role="))?.slice("--role=".length);
/** Tells the upstream which kind of answer to give; passes through ficta like any header. */
const ANSWER_HEADER = "x-bench-answer";

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

const rand = seeded(0xf1c7a);
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

// ---------- engine ----------

async function engineFor(secrets: Secret[]): Promise<{ engine: Engine; kind: string }> {
  if (identity) return { engine: identityEngine(), kind: "identity engine (proxy cost only)" };
  const key = await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
  const engine = await compileEngine(secrets, key, {
    encoded: true,
    shapes: true,
    disabledFormats: [],
    restoreIntoTools: "all",
  });
  return { engine, kind: "real engine (compileEngine; encoded forms and shapes on)" };
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

// ---------- the three processes ----------

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** `--role=upstream`: answers until killed; prints its origin first. */
function runUpstream() {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const kind = req.headers.get(ANSWER_HEADER) === "sse" ? "sse" : "json";
      return answer(kind, await req.text());
    },
  });
  console.log(`http://127.0.0.1:${server.port}`);
}

interface ClientJob {
  direct: string;
  ficta: string;
  token: string;
  bodyFile: string;
  answer: Answer;
  iterations: number;
}

interface ClientResult {
  n: number;
  direct50: number;
  ficta50: number;
  direct90: number;
  ficta90: number;
}

/** `--role=client JOB`: plays Codex; prints the percentiles as one JSON line. */
async function runClient(job: ClientJob) {
  const body = new Uint8Array(await Bun.file(job.bodyFile).arrayBuffer());
  const headers = {
    authorization: "Bearer bench-not-a-key",
    "content-type": "application/json",
    accept: "text/event-stream",
    [ANSWER_HEADER]: job.answer,
  };
  const viaFicta = { ...headers, [PROXY_TOKEN_HEADER]: job.token };
  const roundTrip = async (url: string, h: Record<string, string>) => {
    const started = performance.now();
    const res = await fetch(`${url}/v1/responses`, { method: "POST", headers: h, body });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`status ${res.status} from ${url}: ${text}`);
    return performance.now() - started;
  };
  const direct: number[] = [];
  const ficta: number[] = [];
  const warmup = Math.max(5, Math.ceil(job.iterations / 10));
  for (let i = 0; i < warmup + job.iterations; i++) {
    // Alternate which goes first, so neither always runs on a warmer cache.
    const first = i % 2 === 0;
    const a = first ? await roundTrip(job.direct, headers) : 0;
    const b = await roundTrip(job.ficta, viaFicta);
    const c = first ? a : await roundTrip(job.direct, headers);
    if (i >= warmup) {
      direct.push(c);
      ficta.push(b);
    }
  }
  direct.sort((x, y) => x - y);
  ficta.sort((x, y) => x - y);
  const result: ClientResult = {
    n: direct.length,
    direct50: percentile(direct, 0.5),
    ficta50: percentile(ficta, 0.5),
    direct90: percentile(direct, 0.9),
    ficta90: percentile(ficta, 0.9),
  };
  console.log(JSON.stringify(result));
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    if (text.includes("\n")) break;
  }
  return text.split("\n")[0].trim();
}

function self(...args: string[]): string[] {
  return [process.execPath, import.meta.path, ...args];
}

async function main() {
  const upstream = Bun.spawn(self("--role=upstream"), { stdout: "pipe", stderr: "inherit" });
  const origin = await firstLine(upstream.stdout);
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
      const bodyFile = join(home, "body.json");
      await Bun.write(bodyFile, codexBody(c.bytes, secrets));
      for (const answerKind of ANSWERS) {
        const job: ClientJob = {
          direct: origin,
          ficta: proxy.origin,
          token,
          bodyFile,
          answer: answerKind,
          iterations: quick ? Math.ceil(c.iterations / 4) : c.iterations,
        };
        const client = Bun.spawn(self("--role=client", JSON.stringify(job)), {
          stdout: "pipe",
          stderr: "inherit",
        });
        const out = await new Response(client.stdout).text();
        if ((await client.exited) !== 0) throw new Error(`client failed for ${c.label}`);
        const r = JSON.parse(out) as ClientResult;
        const added50 = r.ficta50 - r.direct50;
        const line = {
          case: c.label,
          answer: answerKind,
          n: r.n,
          directP50: round(r.direct50),
          fictaP50: round(r.ficta50),
          addedP50: round(added50),
          addedP90: round(r.ficta90 - r.direct90),
          target: c.target,
          ok: added50 <= c.target,
        };
        console.log(JSON.stringify(line));
        rows.push(
          `| ${c.label} | ${answerKind.toUpperCase()} | ${line.directP50} | ${line.fictaP50} | ` +
            `**${line.addedP50}** | ${line.addedP90} | <= ${c.target} | ${
              line.ok ? "yes" : "NO"
            } |`,
        );
      }
      await proxy.stop();
      session.close();
    }
  } finally {
    upstream.kill();
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

if (import.meta.main) {
  if (role === "upstream") runUpstream();
  else if (role === "client") await runClient(JSON.parse(process.argv.at(-1)!) as ClientJob);
  else await main();
}
