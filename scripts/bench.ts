/**
 * Engine benchmark (`bun run bench`): redact+gate over realistic Codex Responses-API request
 * bodies, SSE restore, compile time, peak memory. Prints one JSON line per case, then a table.
 * All values are generated fakes (seeded), never real credentials.
 *
 *   bun run bench                 # full run: each timing is the median of 3 rounds
 *   bun run bench --runs 5        # more rounds (other processes share the cores)
 *   bun run bench --quick         # fewer iterations, one round
 *   bun run bench --json          # JSON lines only
 */
import {
  compileEngine,
  type Engine,
  type EngineOptions,
  importSurrogateKey,
  type Secret,
  SURROGATE_PATTERN,
} from "../src/core/mod.ts";
import { responsesDialect } from "../src/agents/codex/wire.ts";
import { seeded } from "./seeded.ts";

// ---------- seeded fakes ----------

const rand = seeded(0x5eed);
const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64 = ALNUM + "+/";
const B64URL = ALNUM + "-_";
const HEX = "0123456789abcdef";
const chars = (alphabet: string, n: number) =>
  Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join("");

function fakePem(): string {
  const body = chars(B64, 64 * 12 + 20);
  const lines = body.match(/.{1,64}/g)!;
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----`;
}

/** Key shapes seen in real .env files; prefixes shared, as in real registries. */
const SHAPES: Array<() => string> = [
  () => "sk-proj-" + chars(B64URL, 156),
  () => "ghp_" + chars(ALNUM, 36),
  () => "AKIA" + chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
  () => chars(B64, 40),
  () => "xoxb-" + chars("0123456789", 12) + "-" + chars(ALNUM, 24),
  () => "sk_live_" + chars(ALNUM, 32),
  () => "AIza" + chars(B64URL, 35),
  () => chars(ALNUM + "!@#%^&*", 16 + Math.floor(rand() * 10)),
  () => chars(ALNUM, 8 + Math.floor(rand() * 4)),
  () => chars(HEX, 64),
  () => `p@ss"w\\rd-${chars(ALNUM, 10)}`,
];

export function makeRegistry(count: number): Secret[] {
  const secrets: Secret[] = [];
  let i = 0;
  while (secrets.length < count) {
    const name = `BENCH_SECRET_${i++}`;
    if (i % 50 === 7) {
      // A multi-line PEM value: the block, its dotenv spelling, and each line (as the registry does).
      const pem = fakePem();
      secrets.push({
        name,
        source: ".env",
        value: pem,
        spellings: [`"${pem.replaceAll("\n", "\\n")}"`],
      });
      for (const line of pem.split("\n").slice(1, -1)) {
        if (secrets.length < count) secrets.push({ name, source: ".env", value: line });
      }
    } else {
      secrets.push({ name, source: ".env", value: pick(SHAPES)() });
    }
  }
  return secrets;
}

// ---------- realistic request bodies ----------

const WORDS = (
  "the agent must read files run commands and edit code carefully when the user asks for " +
  "changes keep them minimal explain what you did and why tests should pass before you finish " +
  "never print secrets prefer small functions handle errors and document public interfaces"
).split(" ");
const prose = (n: number) => {
  let out = "";
  while (out.length < n) out += pick(WORDS) + (rand() < 0.08 ? ".\n" : " ");
  return out;
};

const TOOLS = Array.from({ length: 12 }, (_, k) => ({
  type: "function",
  name: `tool_${k}`,
  description: prose(300),
  strict: false,
  parameters: {
    type: "object",
    properties: {
      cmd: { type: "string", description: prose(120) },
      workdir: { type: "string", description: prose(60) },
      timeout_ms: { type: "number", description: "Timeout in milliseconds." },
    },
    required: ["cmd"],
    additionalProperties: false,
  },
}));

function envFile(secrets: Secret[]): string {
  const lines = ["# local settings", "NODE_ENV=development", "PORT=3000"];
  for (let k = 0; k < 3; k++) {
    const s = pick(secrets);
    lines.push(`${s.name}=${s.spellings?.[0] ?? s.value}`);
  }
  return lines.join("\n");
}

function item(secrets: Secret[]): unknown {
  const callId = "call_" + chars(ALNUM, 24);
  switch (Math.floor(rand() * 6)) {
    case 0:
      return {
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: prose(400) + ` use ${pick(secrets).value} here` }],
      };
    case 1:
      return {
        type: "function_call",
        name: "exec_command",
        call_id: callId,
        arguments: JSON.stringify({
          cmd: `curl -H "Authorization: Bearer ${pick(secrets).value}" http://127.0.0.1:8080/`,
          workdir: "/home/dev/project",
        }),
      };
    case 2:
      return {
        type: "function_call_output",
        call_id: callId,
        output:
          `Chunk ID: ${chars(HEX, 6)}\nWall time: 0.0012 seconds\nProcess exited with code 0\n` +
          `Original token count: 211\nOutput:\n${envFile(secrets)}\n${prose(600)}`,
      };
    case 3:
      return { type: "reasoning", summary: [], encrypted_content: chars(B64, 4000) + "==" };
    case 4:
      return {
        type: "message",
        role: "assistant",
        content: [{ type: "output_text", text: prose(1200) }],
      };
    default:
      return {
        type: "function_call_output",
        call_id: callId,
        output:
          `Chunk ID: ${chars(HEX, 6)}\nWall time: 0.0100 seconds\nProcess exited with code 0\n` +
          `Original token count: 900\nOutput:\n${prose(3000)}`,
      };
  }
}

export function makeBody(secrets: Secret[], size: number): Uint8Array {
  const head = {
    model: "gpt-5-codex",
    instructions: "",
    input: [
      {
        type: "message",
        role: "developer",
        content: [{ type: "input_text", text: prose(Math.min(size / 4, 20_000)) }],
      },
    ] as unknown[],
    tools: size > 20_000 ? TOOLS : size > 4000 ? TOOLS.slice(0, 1) : [],
    tool_choice: "auto",
    parallel_tool_calls: false,
    reasoning: { effort: "medium", summary: "auto" },
    store: false,
    stream: true,
    include: ["reasoning.encrypted_content"],
    prompt_cache_key: crypto.randomUUID(),
  };
  let length = JSON.stringify(head).length;
  while (true) {
    const next = item(secrets);
    const grow = JSON.stringify(next).length + 1;
    if (length + grow > size - 100) break;
    head.input.push(next);
    length += grow;
  }
  // A last user message, padded with prose to the exact size, quotes one value (so even the
  // smallest body has something to redact).
  const quoted = ` ${pick(secrets).value} `;
  head.input.push({ type: "message", role: "user", content: [{ type: "input_text", text: "" }] });
  const base = JSON.stringify(head).length + JSON.stringify(quoted).length - 2;
  const pad = Math.max(0, size - base);
  (head.input.at(-1) as { content: { text: string }[] }).content[0].text = quoted +
    prose(pad).slice(0, pad);
  return new TextEncoder().encode(JSON.stringify(head));
}

// ---------- SSE stream for restore ----------

/**
 * A Responses-API SSE answer of about `size` bytes: text and function-call items streamed as
 * small deltas (so surrogates get split across events), each item closed by its `.done` and
 * `response.output_item.done` events. `surrogateCount` surrogate occurrences in all.
 */
export function makeSse(
  surrogates: string[],
  size: number,
  surrogateCount: number,
): { sse: Uint8Array; occurrences: number } {
  const events: string[] = [];
  let length = 0;
  let seq = 0;
  const push = (type: string, data: Record<string, unknown>) => {
    const e = `event: ${type}\ndata: ${
      JSON.stringify({ type, sequence_number: seq++, ...data })
    }\n\n`;
    events.push(e);
    length += e.length;
  };
  // Each item carries its surrogates three times (deltas, .done, output_item.done); an item of
  // ~3000 characters streams as 55-70 KB of delta events.
  let left = Math.round(surrogateCount / 3);
  const perItem = Math.ceil(left / Math.max(1, Math.floor(size / 80_000)));
  push("response.created", { response: { id: "resp_1", status: "in_progress" } });
  for (let it = 0; length < size; it++) {
    const args = it % 2 === 1;
    const here = Math.min(left, perItem);
    left -= here;
    let text = prose(300);
    for (let k = 0; k < here; k++) text += " " + pick(surrogates) + " " + prose(250);
    text += prose(Math.max(0, 3000 - text.length));
    const full = args ? JSON.stringify({ cmd: text }) : text;
    const type = args ? "response.function_call_arguments.delta" : "response.output_text.delta";
    for (let at = 0; at < full.length;) {
      const step = 3 + Math.floor(rand() * 12);
      push(type, { item_id: `item_${it}`, output_index: it, delta: full.slice(at, at + step) });
      at += step;
    }
    const item = args
      ? { id: `item_${it}`, type: "function_call", name: "exec_command", arguments: full }
      : { id: `item_${it}`, type: "message", content: [{ type: "output_text", text: full }] };
    push(args ? "response.function_call_arguments.done" : "response.output_text.done", {
      item_id: `item_${it}`,
      output_index: it,
      [args ? "arguments" : "text"]: full,
    });
    push("response.output_item.done", { output_index: it, item });
  }
  push("response.completed", { response: { id: "resp_1", status: "completed", usage: {} } });
  return {
    sse: new TextEncoder().encode(events.join("")),
    occurrences: 3 * (Math.round(surrogateCount / 3) - left),
  };
}

// ---------- measuring ----------

interface Timing {
  p50: number;
  p95: number;
}

function quantiles(samples: number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), p95: at(0.95) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** `runs` rounds of `iterations` timed calls; the median of the rounds' p50 and p95. */
async function measure(iterations: number, run: () => unknown): Promise<Timing> {
  for (let i = 0; i < Math.max(3, iterations / 10); i++) await run();
  const rounds: Timing[] = [];
  for (let r = 0; r < runs; r++) {
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t = performance.now();
      await run();
      samples.push(performance.now() - t);
    }
    rounds.push(quantiles(samples));
  }
  return { p50: median(rounds.map((t) => t.p50)), p95: median(rounds.map((t) => t.p95)) };
}

function iterationsFor(bytes: number): number {
  const n = bytes <= 1024 ? 2000 : bytes <= 50_000 ? 400 : bytes <= 500_000 ? 100 : 20;
  return quick ? Math.max(5, Math.floor(n / 5)) : n;
}

const results: Record<string, unknown>[] = [];
function report(row: Record<string, unknown>) {
  results.push(row);
  console.log(JSON.stringify(row));
}
const round = (x: number, digits = 3) => Number(x.toFixed(digits));
const mbPerS = (bytes: number, ms: number) => round(bytes / 1e6 / (ms / 1000), 0);

const DEFAULTS: EngineOptions = {
  encoded: true,
  shapes: true,
  disabledFormats: [],
  restoreIntoTools: "all",
  dialect: responsesDialect,
};
const SIZES: Array<[string, number]> = [
  ["1KB", 1024],
  ["50KB", 50_000],
  ["500KB", 500_000],
  ["5MB", 5_000_000],
];
const COUNTS = [10, 100, 1000];

async function redactGate(
  label: string,
  engine: Engine,
  values: number,
  sizeName: string,
  body: Uint8Array,
): Promise<number> {
  let matches = 0;
  const run = async () => {
    const { output, counts } = await engine.redactBytes(body);
    if (engine.gateBytes(output).length > 0) throw new Error("gate refused the redacted body");
    matches = Object.values(counts).reduce((a, b) => a + b, 0);
  };
  const iterations = iterationsFor(body.length);
  const total = await measure(iterations, run);
  const redact = await measure(iterations, () => engine.redactBytes(body));
  const gate = await measure(iterations, () => engine.gateBytes(body));
  report({
    case: label,
    values,
    body: sizeName,
    bytes: body.length,
    matches,
    p50_ms: round(total.p50),
    p95_ms: round(total.p95),
    redact_p50_ms: round(redact.p50),
    gate_p50_ms: round(gate.p50),
    mb_per_s: mbPerS(body.length, total.p50),
  });
  return total.p50;
}

/** First compile in a fresh process (what a launch pays), in ms; run by `--cold N`. */
async function coldCompile(count: number): Promise<number> {
  const secrets = makeRegistry(count);
  const key = await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
  const t = performance.now();
  await compileEngine(secrets, key, DEFAULTS);
  return performance.now() - t;
}

function coldCompileInFreshProcesses(count: number): number {
  const samples: number[] = [];
  for (let i = 0; i < (quick ? 3 : 7); i++) {
    const child = Bun.spawnSync([process.execPath, import.meta.path, "--cold", String(count)]);
    samples.push(Number(child.stdout.toString()));
  }
  return median(samples);
}

async function sseRestore(engine: Engine, surrogates: string[]) {
  const { sse, occurrences } = makeSse(surrogates, 500_000, 200);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < sse.length; at += 16 * 1024) chunks.push(sse.subarray(at, at + 16 * 1024));
  let restored = 0;
  const restoreOnce = async () => {
    const { stream, stats } = engine.restorer({
      contentType: "text/event-stream",
      dialect: responsesDialect,
    });
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    const drain = (async () => {
      while (!(await reader.read()).done);
    })();
    for (const chunk of chunks) await writer.write(chunk);
    await writer.close();
    await drain;
    restored = stats.restored;
  };
  const t = await measure(quick ? 20 : 100, restoreOnce);
  report({
    case: "sse restore",
    body: "500KB",
    bytes: sse.length,
    chunk: "16KB",
    surrogates: occurrences,
    restored,
    p50_ms: round(t.p50),
    p95_ms: round(t.p95),
    mb_per_s: mbPerS(sse.length, t.p50),
  });
}

async function main() {
  const key = await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
  const registries = new Map(COUNTS.map((n) => [n, makeRegistry(n)]));

  // Compile: all forms, the matcher and the surrogates. Warm (median of repeated compiles in
  // this process) and cold (the first compile in a fresh process, as at launch).
  for (const n of COUNTS) {
    const secrets = registries.get(n)!;
    const warm = await measure(quick ? 5 : 15, () => compileEngine(secrets, key, DEFAULTS));
    report({
      case: "compile",
      values: n,
      p50_ms: round(warm.p50),
      p95_ms: round(warm.p95),
      cold_ms: round(coldCompileInFreshProcesses(n)),
    });
  }
  const withoutEncoded = { ...DEFAULTS, encoded: false };
  const thousand = registries.get(1000)!;
  const warm = await measure(quick ? 5 : 15, () => compileEngine(thousand, key, withoutEncoded));
  report({
    case: "compile, encoded off",
    values: 1000,
    p50_ms: round(warm.p50),
    p95_ms: round(warm.p95),
  });

  const p50At500KB = new Map<number, number>();
  for (const n of COUNTS) {
    const secrets = registries.get(n)!;
    const engine = await compileEngine(secrets, key, DEFAULTS);
    for (const [sizeName, size] of SIZES) {
      const p50 = await redactGate("redact+gate", engine, n, sizeName, makeBody(secrets, size));
      if (size === 500_000) p50At500KB.set(n, p50);
    }
  }
  report({
    case: "scaling",
    note: "redact+gate p50 at 500KB, 1000 values / 10 values",
    ratio: round(p50At500KB.get(1000)! / p50At500KB.get(10)!, 2),
  });

  // What the optional passes cost; shape detection's share also shows in the scaling without it.
  const variants: Array<[string, Partial<EngineOptions>, number[]]> = [
    ["encoded off", { encoded: false }, [1000]],
    ["shapes off", { shapes: false }, [10, 1000]],
    ["encoded+shapes off", { encoded: false, shapes: false }, [1000]],
  ];
  const shapesOffAt500KB = new Map<number, number>();
  for (const [label, change, counts] of variants) {
    for (const n of counts) {
      const secrets = registries.get(n)!;
      const engine = await compileEngine(secrets, key, { ...DEFAULTS, ...change });
      for (const [sizeName, size] of SIZES.slice(2)) {
        const body = makeBody(secrets, size);
        const p50 = await redactGate(`redact+gate, ${label}`, engine, n, sizeName, body);
        if (label === "shapes off" && size === 500_000) shapesOffAt500KB.set(n, p50);
      }
    }
  }
  report({
    case: "scaling",
    note: "same, shapes off",
    ratio: round(shapesOffAt500KB.get(1000)! / shapesOffAt500KB.get(10)!, 2),
  });
  const secrets = registries.get(1000)!;

  // SSE restore through the engine's restorer, surrogates of registered values.
  const engine = await compileEngine(secrets, key, DEFAULTS);
  const surrogates: string[] = [];
  for (const s of secrets.slice(0, 60)) {
    surrogates.push(...((await engine.redactText(s.value)).output.match(SURROGATE_PATTERN) ?? []));
  }
  await sseRestore(engine, surrogates);

  // Memory: what a 1000-value engine keeps, and the process's peak.
  Bun.gc(true);
  const before = process.memoryUsage().heapUsed;
  const kept = await compileEngine(secrets, key, DEFAULTS);
  Bun.gc(true);
  const engineMb = (process.memoryUsage().heapUsed - before) / 2 ** 20;
  report({
    case: "memory",
    values: new Set(secrets.map((s) => s.value)).size,
    engine_1000_values_mb: round(engineMb, 1),
    max_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
  });
  void kept; // measured above: alive until the report

  reportTargets();
  if (!jsonOnly) printTable();
}

/** The engine issue's targets, checked against this run. */
function reportTargets() {
  const value = (c: string, field: string, values?: number, body?: string) =>
    results.find((r) => r.case === c && r.values === values && r.body === body)![field] as number;
  const ratios = results.filter((r) => r.case === "scaling").map((r) => r.ratio as number);
  const atMost = (target: string, measured: number, goal: number) =>
    report({ case: "target", target, measured, goal: `<= ${goal}`, met: measured <= goal });
  const atLeast = (target: string, measured: number, goal: number) =>
    report({ case: "target", target, measured, goal: `>= ${goal}`, met: measured >= goal });
  atMost(
    "redact+gate p50 ms, 1000 values x 500KB",
    value("redact+gate", "p50_ms", 1000, "500KB"),
    2,
  );
  atMost("1000 values / 10 values at 500KB", ratios[0], 1.5);
  atMost("1000 values / 10 values at 500KB, shapes off", ratios[1], 1.5);
  atLeast(
    "redact+gate MB/s, 1000 values x 5MB",
    value("redact+gate", "mb_per_s", 1000, "5MB"),
    300,
  );
  atLeast(
    "SSE restore MB/s, 500KB in 16KB chunks",
    value("sse restore", "mb_per_s", undefined, "500KB"),
    300,
  );
  atMost("compile ms, 1000 values, warm p50", value("compile", "p50_ms", 1000), 20);
  atMost("compile ms, 1000 values, cold", value("compile", "cold_ms", 1000), 20);
}

function printTable() {
  const cell = (v: unknown, width: number) => String(v ?? "").padStart(width);
  const lines = [
    "",
    "case                              values   body   p50 ms   p95 ms    MB/s   cold ms",
  ];
  for (const r of results) {
    if (r.case === "target") {
      lines.push(`target: ${r.target} = ${r.measured} (${r.goal}) ${r.met ? "met" : "MISSED"}`);
    } else if (r.case === "memory") {
      lines.push(
        `memory: 1000-value engine ${r.engine_1000_values_mb} MB of heap, peak RSS ${r.max_rss_mb} MB`,
      );
    } else if (r.case === "scaling") {
      lines.push(`scaling: ${r.note} = ${r.ratio}x`);
    } else {
      lines.push(
        String(r.case).padEnd(33) + cell(r.values, 7) + cell(r.body, 7) + cell(r.p50_ms, 9) +
          cell(r.p95_ms, 9) + cell(r.mb_per_s, 8) + cell(r.cold_ms, 10),
      );
    }
  }
  console.log(lines.join("\n"));
}

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const jsonOnly = args.includes("--json");
const runs = Number(args[args.indexOf("--runs") + 1]) || (quick ? 1 : 3);

if (import.meta.main) {
  const cold = args.indexOf("--cold");
  if (cold >= 0) console.log(await coldCompile(Number(args[cold + 1])));
  else await main();
}
