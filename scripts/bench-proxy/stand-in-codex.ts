/**
 * A stand-in for the Codex CLI, launched by `ficta codex` (FICTA_REAL_CODEX points at a wrapper
 * that runs this file) or by the identity host. It learns the proxy the way Codex does: the
 * `-c model_providers.ficta.base_url=...` override and the header named by
 * `-c model_providers.ficta.env_http_headers={"<header>"="<ENV>"}`, whose value it reads from its
 * environment. The work comes from the JSON file named by BENCH_JOB.
 *
 * For every request it sends the same bytes through the proxy and straight to the upstream,
 * alternating which goes first, times both round trips (until the answer's last byte), checks
 * that the two answers are identical (restore gives back exactly what the direct answer holds),
 * and samples its parent's (the proxy's) CPU time and memory from /proc.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { type BenchSecret, CodexSession } from "./codex-session.ts";
import { ANSWER_HEADER } from "./upstream.ts";

export interface FixedCase {
  kind: "fixed";
  label: string;
  bytes: number;
  iterations: number;
  answer: "sse" | "json";
}

/** One conversation of `turns` turns growing to `bytes`, then `steady` more sends of its last body. */
export interface SessionCase {
  kind: "session";
  label: string;
  turns: number;
  bytes: number;
  steady: number;
}

/**
 * One conversation of `turns` turns growing to `bytes`, each turn sent the way Codex does over
 * `transport`: the whole history as an HTTP POST, or the new items only as a Responses WebSocket
 * frame chained by `previous_response_id` (one connection for the session).
 */
export interface TransportCase {
  kind: "transport";
  label: string;
  turns: number;
  bytes: number;
  transport: "http" | "websocket";
}

export interface Job {
  upstream: string;
  secretsFile: string;
  out: string;
  cases: (FixedCase | SessionCase | TransportCase)[];
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export interface CaseResult {
  label: string;
  bytes: number;
  n: number;
  direct: Percentiles;
  ficta: Percentiles;
  /** Percentiles of the paired differences (ficta minus direct, same body, back to back). */
  added: Percentiles;
  /**
   * The proxy process's CPU time from the first measured request to the end of the case (idle
   * included, which is next to nothing), per request through it.
   */
  cpuMsPerRequest: number;
  /** The proxy's resident set after the case, and its peak so far (VmHWM). */
  rssMiB: number;
  peakRssMiB: number;
  /** Answers through the proxy that differed from the direct answer. */
  mismatches: number;
  /** Median stage times from ficta's own log (added by bench-proxy.ts). */
  stagesMs?: Record<string, number>;
  /** Session cases: RSS (MiB) after selected turns, then after the steady phase. */
  rssByTurn?: [number, number][];
  /** Transport cases: mean request bytes uploaded per turn. */
  upBytesPerTurn?: number;
}

const proxyPid = process.ppid;

/** Requests sent through the proxy before measuring (they are in ficta's log, first). */
export function warmupFor(c: FixedCase | SessionCase | TransportCase): number {
  return c.kind === "fixed" ? Math.max(3, Math.ceil(c.iterations / 10)) : 0;
}

/** CPU time of every thread of `pid`, in ms (schedstat: nanoseconds on CPU). */
export function cpuMs(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ns / 1e6;
}

export function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(status.match(new RegExp(`${key}:\\s+(\\d+)`))?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

export function percentiles(xs: number[]): Percentiles {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.ceil(s.length * p) - 1)] ?? NaN;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

/**
 * What Codex takes from an answer: every event but deltas as is, and the deltas of each output
 * item concatenated (restore may move a delta boundary to keep a split surrogate whole).
 */
function canonical(answer: string): string {
  if (!answer.startsWith("event:")) return answer;
  const events: string[] = [];
  const deltas = new Map<string, string>();
  for (const block of answer.split("\n\n")) {
    const data = block.split("\n").find((line) => line.startsWith("data: "));
    if (!data) continue;
    const event = JSON.parse(data.slice(6));
    // Messages API (Claude Code): the pieces of each content block, by index.
    const piece = event.type === "content_block_delta"
      ? event.delta.text ?? event.delta.partial_json ?? event.delta.thinking ??
        event.delta.signature
      : undefined;
    if (typeof event.delta === "string" || typeof piece === "string") {
      const key = `${event.type}#${event.output_index ?? event.index}#${event.delta?.type ?? ""}`;
      deltas.set(key, (deltas.get(key) ?? "") + (piece ?? event.delta));
    } else events.push(JSON.stringify(event));
  }
  return JSON.stringify([events, [...deltas]]);
}

function config(args: string[], key: string): string | undefined {
  for (let i = 0; i < args.length - 1; i++) {
    if (args[i] === "-c" && args[i + 1].startsWith(`${key}=`)) {
      return args[i + 1].slice(key.length + 1);
    }
  }
  return undefined;
}

/** Where a request goes: through the proxy (maybe over a Unix socket) or straight upstream. */
interface Target {
  url: string;
  headers: Record<string, string>;
  unix?: string;
}

/**
 * Launched by `ficta claude`: the proxy as Claude Code finds it, the base URL (over the Unix
 * socket when one is given) and the custom headers (ficta's token among them).
 */
function claudeProvider(env: Record<string, string | undefined>): Target | undefined {
  const base = env.ANTHROPIC_BASE_URL;
  if (!base) return undefined;
  const headers: Record<string, string> = {};
  for (const line of (env.ANTHROPIC_CUSTOM_HEADERS ?? "").split("\n")) {
    const at = line.indexOf(":");
    if (at > 0) headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return {
    url: `${base}/v1/messages?beta=true`,
    headers,
    ...(env.ANTHROPIC_UNIX_SOCKET ? { unix: env.ANTHROPIC_UNIX_SOCKET } : {}),
  };
}

/** The proxy's base URL and the token header, exactly as Codex derives them from its config. */
function provider(args: string[]): { base: string; headers: Record<string, string> } {
  const id = config(args, "model_provider");
  const base = id && config(args, `model_providers.${id}.base_url`);
  if (!base) throw new Error("stand-in codex: no model provider base_url in the -c overrides");
  const headers: Record<string, string> = {};
  const table = config(args, `model_providers.${id}.env_http_headers`) ?? "";
  for (const [, header, env] of table.matchAll(/"([^"]+)"\s*=\s*"([^"]+)"/g)) {
    const value = process.env[env];
    if (value) headers[header] = value;
  }
  return { base, headers };
}

async function main() {
  const job = JSON.parse(readFileSync(process.env.BENCH_JOB!, "utf8")) as Job;
  const secrets = JSON.parse(readFileSync(job.secretsFile, "utf8")) as BenchSecret[];
  const claude = claudeProvider(process.env);
  const proxied: Target = claude ?? (() => {
    const { base, headers } = provider(process.argv.slice(2));
    return { url: `${base}/responses`, headers };
  })();
  const directUrl = claude
    ? `${job.upstream}/v1/messages?beta=true`
    : `${job.upstream}/v1/responses`;
  const common: Record<string, string> = claude
    ? {
      "x-api-key": "sk-ant-bench-not-a-real-key",
      "content-type": "application/json",
      accept: "application/json",
      "anthropic-version": "2023-06-01",
      "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14",
      "user-agent": "claude-cli/2.1.332 (external, cli) bench",
      "x-app": "cli",
    }
    : {
      authorization: "Bearer bench-not-a-real-key",
      "content-type": "application/json",
      accept: "text/event-stream",
      originator: "codex_exec",
      "user-agent": "codex_exec/0.171.0 (Linux; x86_64) bench",
      "session-id": "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
      "x-codex-turn-metadata": '{"request_kind":"turn","thread_source":"user"}',
    };

  async function roundTrip(
    url: string,
    headers: Record<string, string>,
    body: Uint8Array<ArrayBuffer>,
    unix?: string,
  ) {
    const started = performance.now();
    const res = await fetch(url, { method: "POST", headers, body, ...(unix ? { unix } : {}) });
    const text = await res.text();
    const ms = performance.now() - started;
    if (res.status !== 200) {
      throw new Error(`stand-in codex: ${res.status} from ${url}: ${text.slice(0, 300)}`);
    }
    return { ms, text };
  }

  /** One body both ways, alternating which goes first; returns the two times. */
  async function pair(body: Uint8Array<ArrayBuffer>, answer: string, first: boolean) {
    const h = { ...common, [ANSWER_HEADER]: answer };
    const viaProxy = () => roundTrip(proxied.url, { ...h, ...proxied.headers }, body, proxied.unix);
    const direct = () => roundTrip(directUrl, h, body);
    const d1 = first ? await direct() : null;
    const p = await viaProxy();
    const d = d1 ?? await direct();
    const same = canonical(d.text) === canonical(p.text);
    if (!same && !existsSync(`${job.out}.direct`)) {
      // Kept for a look (bench-proxy --keep): the first answer that restore did not give back.
      writeFileSync(`${job.out}.direct`, d.text);
      writeFileSync(`${job.out}.ficta`, p.text);
    }
    return { direct: d.ms, ficta: p.ms, same };
  }

  /** A WebSocket to `url` (Codex's headers), and a way to send one frame and await its answer. */
  async function socket(url: string, headers: Record<string, string>) {
    const ws = new (WebSocket as unknown as new (
      url: string,
      options: { headers: Record<string, string> },
    ) => WebSocket)(url, { headers });
    let frames: string[] = [];
    let done: (() => void) | undefined;
    ws.onmessage = (event) => {
      const text = String(event.data);
      frames.push(text);
      if (text.startsWith('{"type":"response.completed"')) done?.();
    };
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`stand-in codex: WebSocket to ${url} failed`));
    });
    ws.onclose = (event) => {
      if (done) throw new Error(`stand-in codex: ${url} closed (${event.code} ${event.reason})`);
    };
    return {
      async send(frame: string) {
        frames = [];
        const started = performance.now();
        const answered = new Promise<void>((resolve) => (done = resolve));
        ws.send(frame);
        await answered;
        done = undefined;
        const ms = performance.now() - started;
        // As SSE text, so `canonical` compares it like an HTTP answer.
        const text = frames.map((f) => `event: x\ndata: ${f}\n\n`).join("");
        return { ms, text };
      },
      close: () => ws.close(),
    };
  }

  async function transport(c: TransportCase): Promise<CaseResult> {
    const session = new CodexSession({ secrets, turnBytes: Math.ceil(c.bytes / c.turns) });
    const h = { ...common, "openai-beta": "responses_websockets=2026-02-06" };
    const ws = c.transport === "websocket";
    const viaProxy = ws
      ? await socket(proxied.url.replace(/^http/, "ws"), { ...h, ...proxied.headers })
      : undefined;
    const direct = ws
      ? await socket(`${job.upstream.replace(/^http/, "ws")}/v1/responses`, h)
      : undefined;
    const r = { direct: [] as number[], ficta: [] as number[], added: [] as number[], up: 0 };
    let mismatches = 0;
    let since = 0;
    const cpuStart = cpuMs(proxyPid);
    for (let t = 1; t <= c.turns; t++) {
      session.turn();
      let d: number;
      let f: number;
      if (!ws) {
        const body = encoder.encode(session.body());
        const p = await pair(body, "sse", t % 2 === 0);
        [d, f] = [p.direct, p.ficta];
        r.up += body.length;
        if (!p.same) mismatches++;
      } else {
        const frame = session.frame(since, `resp_turn_${t - 1}`);
        since = session.itemCount;
        const d1 = t % 2 === 0 ? await direct!.send(frame) : null;
        const p = await viaProxy!.send(frame);
        const q = d1 ?? await direct!.send(frame);
        [d, f] = [q.ms, p.ms];
        r.up += encoder.encode(frame).length;
        if (canonical(q.text) !== canonical(p.text)) mismatches++;
      }
      r.direct.push(d);
      r.ficta.push(f);
      r.added.push(f - d);
    }
    viaProxy?.close();
    direct?.close();
    await Bun.sleep(50);
    const cpu = cpuMs(proxyPid) - cpuStart;
    const memory = memoryMiB(proxyPid);
    return {
      label: c.label,
      bytes: r.up / c.turns,
      n: r.added.length,
      direct: percentiles(r.direct),
      ficta: percentiles(r.ficta),
      added: percentiles(r.added),
      cpuMsPerRequest: cpu / r.added.length,
      rssMiB: memory.rss,
      peakRssMiB: memory.peak,
      mismatches,
      upBytesPerTurn: r.up / c.turns,
    };
  }

  const encoder = new TextEncoder();
  const results: CaseResult[] = [];
  for (const c of job.cases) {
    if (c.kind === "transport") {
      results.push(await transport(c));
      writeFileSync(job.out, JSON.stringify(results));
      continue;
    }
    const direct: number[] = [];
    const ficta: number[] = [];
    const added: number[] = [];
    let cpuStart = 0;
    let mismatches = 0;
    const record = (r: Awaited<ReturnType<typeof pair>>) => {
      direct.push(r.direct);
      ficta.push(r.ficta);
      added.push(r.ficta - r.direct);
      if (!r.same) mismatches++;
    };
    let rssByTurn: [number, number][] | undefined;
    let bytes = 0;
    if (c.kind === "fixed") {
      const body = encoder.encode(new CodexSession({ secrets }).growTo(c.bytes).body());
      bytes = body.length;
      const warmup = warmupFor(c);
      for (let i = 0; i < warmup; i++) await pair(body, c.answer, i % 2 === 0);
      cpuStart = cpuMs(proxyPid);
      for (let i = 0; i < c.iterations; i++) record(await pair(body, c.answer, i % 2 === 0));
    } else {
      rssByTurn = [];
      const session = new CodexSession({ secrets, turnBytes: Math.ceil(c.bytes / c.turns) });
      let body: Uint8Array<ArrayBuffer> = new Uint8Array();
      const sample = new Set([1, 5, 10, 25, 50, 100, 150, 200, 250, c.turns]);
      cpuStart = cpuMs(proxyPid);
      for (let t = 1; t <= c.turns; t++) {
        session.turn();
        body = encoder.encode(session.body());
        record(await pair(body, "sse", t % 2 === 0));
        if (sample.has(t) || t % 50 === 0) rssByTurn.push([t, memoryMiB(proxyPid).rss]);
      }
      bytes = body.length;
      for (let i = 0; i < c.steady; i++) record(await pair(body, "sse", i % 2 === 0));
      rssByTurn.push([-c.steady, memoryMiB(proxyPid).rss]);
    }
    // Everything ficta did meanwhile, work it deferred past an answer's end included.
    await Bun.sleep(50);
    const cpu = cpuMs(proxyPid) - cpuStart;
    const memory = memoryMiB(proxyPid);
    const result: CaseResult = {
      label: c.label,
      bytes,
      n: added.length,
      direct: percentiles(direct),
      ficta: percentiles(ficta),
      added: percentiles(added),
      cpuMsPerRequest: cpu / added.length,
      rssMiB: memory.rss,
      peakRssMiB: memory.peak,
      mismatches,
      rssByTurn,
    };
    results.push(result);
    writeFileSync(job.out, JSON.stringify(results));
  }
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    console.error(`stand-in codex: ${(error as Error).stack ?? error}`);
    process.exit(1);
  }
}
