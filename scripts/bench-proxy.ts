/**
 * Proxy benchmark (`bun run bench:proxy`), black-box: builds `dist/ficta` and launches it the way
 * a user does, `ficta codex exec …`, with FICTA_REAL_CODEX pointing at a stand-in Codex
 * (bench-proxy/stand-in-codex.ts) in its own process. The stand-in takes the proxy's base URL
 * from the `-c` overrides and its token from the environment, as Codex does, and sends
 * turn-by-turn Codex-shaped sessions (bench-proxy/codex-session.ts) through ficta and straight to
 * the same loopback upstream (bench-proxy/upstream.ts, a third process), alternating. Answers
 * are SSE carrying surrogates, so restore is measured, and every answer through ficta must equal
 * the direct one.
 *
 * Reported per row: p50/p95/p99 of the added time (ficta minus direct, paired), ficta's CPU time
 * per request (/proc schedstat of all its threads) and its memory. Baselines: the same proxy with
 * an identity engine (bench-proxy/identity-host.ts) and the binary with nothing registered (only
 * its own token, which never occurs). A 300-turn session growing to 5 MB checks memory over time.
 * Ends with a ready-to-paste markdown table.
 *
 *   bun run bench:proxy             # full run (a few minutes)
 *   bun run bench:proxy --quick     # fewer iterations (a minute or two)
 *   bun run bench:proxy --no-build  # use dist/ficta as it is
 *   bun run bench:proxy --only=1000 # launches whose name contains this
 *   bun run bench:proxy --keep      # keep the work directory (logs, first differing answer)
 *   bun run bench:proxy --profile=DIR  # CPU profiles (bun --cpu-prof-md) of every process in DIR
 *
 * All values are seeded fakes; HOME and FICTA_HOME are temporary directories.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { benchSecrets, dotenvText } from "./bench-proxy/codex-session.ts";
import {
  type CaseResult,
  type FixedCase,
  type Job,
  type SessionCase,
  type TransportCase,
  warmupFor,
} from "./bench-proxy/stand-in-codex.ts";
import type { RequestEntry } from "../src/report/index.ts";

const quick = process.argv.includes("--quick");
const build = !process.argv.includes("--no-build");
const keep = process.argv.includes("--keep");
const profile = process.argv.find((a) => a.startsWith("--profile="))?.slice("--profile=".length);
const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length);
const BINARY = resolve(process.env.FICTA_TEST_BINARY ?? "dist/ficta");
const HERE = join(import.meta.dir, "bench-proxy");

const KB = 1_000;
const MB = 1_000_000;
const n = (full: number, short: number) => (quick ? short : full);

function fixed(label: string, bytes: number, iterations: number, answer: "sse" | "json" = "sse") {
  return { kind: "fixed", label, bytes, iterations, answer } satisfies FixedCase;
}

interface Launch {
  name: string;
  /** `identity`: the proxy with an engine that changes nothing; `binary`: dist/ficta. */
  via: "identity" | "binary";
  /** Values registered in the project's `.env`. */
  values: number;
  /** Values the stand-in's sessions carry (default: the registered ones). */
  bodyValues?: number;
  /** The agent ficta launches (default codex): `ficta claude -p` speaks the Messages API. */
  agent?: "codex" | "claude";
  cases: (FixedCase | SessionCase | TransportCase)[];
}

const LAUNCHES: Launch[] = [
  {
    name: "identity engine",
    via: "identity",
    values: 0,
    bodyValues: 1000,
    cases: [
      fixed("50 KB", 50 * KB, n(300, 60)),
      fixed("500 KB", 500 * KB, n(100, 25)),
      fixed("5 MB", 5 * MB, n(30, 8)),
    ],
  },
  {
    name: "nothing registered",
    via: "binary",
    values: 0,
    bodyValues: 1000,
    cases: [
      fixed("50 KB", 50 * KB, n(300, 60)),
      fixed("500 KB", 500 * KB, n(100, 25)),
      fixed("5 MB", 5 * MB, n(30, 8)),
    ],
  },
  {
    name: "100 values",
    via: "binary",
    values: 100,
    cases: [
      fixed("50 KB", 50 * KB, n(300, 60)),
      fixed("50 KB, JSON answer", 50 * KB, n(300, 60), "json"),
    ],
  },
  {
    name: "1000 values",
    via: "binary",
    values: 1000,
    cases: [fixed("500 KB", 500 * KB, n(100, 25)), fixed("5 MB", 5 * MB, n(30, 8))],
  },
  { name: "10000 values", via: "binary", values: 10_000, cases: [fixed("5 MB", 5 * MB, n(30, 8))] },
  {
    name: "1000 values, session",
    via: "binary",
    values: 1000,
    cases: [{
      kind: "session",
      label: `${n(300, 100)} turns to 5 MB`,
      turns: n(300, 100),
      bytes: 5 * MB,
      steady: n(30, 8),
    }],
  },
  // Claude Code's Messages API (issue 16), over ficta's Unix socket: the same sizes and targets.
  {
    name: "claude, 100 values",
    agent: "claude",
    via: "binary",
    values: 100,
    cases: [fixed("50 KB", 50 * KB, n(300, 60))],
  },
  {
    name: "claude, 1000 values",
    agent: "claude",
    via: "binary",
    values: 1000,
    cases: [fixed("500 KB", 500 * KB, n(100, 25)), fixed("5 MB", 5 * MB, n(30, 8))],
  },
  // Issue 17: the same session over HTTP (the whole history every turn) and over the Responses
  // WebSocket (new items only, chained by previous_response_id), each in its own launch.
  ...(["http", "websocket"] as const).map((transport): Launch => ({
    name: `1000 values, ${transport === "http" ? "HTTP" : "WebSocket"} session`,
    via: "binary",
    values: 1000,
    cases: [{
      kind: "transport",
      label: `${n(100, 30)} turns to 2 MB`,
      turns: n(100, 30),
      bytes: 2 * MB,
      transport,
    }],
  })),
];

/** Targets from issue 13: added p50 per row, by launch and case label (Messages rows alike). */
const TARGETS: Record<string, number> = {
  "100 values|50 KB": 0.7,
  "100 values|50 KB, JSON answer": 0.7,
  "1000 values|500 KB": 5,
  "1000 values|5 MB": 40,
  "claude, 100 values|50 KB": 0.7,
  "claude, 1000 values|500 KB": 5,
  "claude, 1000 values|5 MB": 40,
};

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    if (text.includes("\n")) break;
  }
  return text.split("\n")[0].trim();
}

function load(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

async function run(launch: Launch, work: string, origin: string): Promise<CaseResult[]> {
  const dir = join(work, launch.name.replace(/\W+/g, "-"));
  const project = join(dir, "project");
  mkdirSync(join(project, ".git"), { recursive: true });
  writeFileSync(join(project, ".env"), dotenvText(benchSecrets(launch.values)));
  const secretsFile = join(dir, "secrets.json");
  writeFileSync(secretsFile, JSON.stringify(benchSecrets(launch.bodyValues ?? launch.values)));
  const out = join(dir, "results.json");
  const job: Job = { upstream: origin, secretsFile, out, cases: launch.cases };
  const jobFile = join(dir, "job.json");
  writeFileSync(jobFile, JSON.stringify(job));
  const standIn = join(dir, "codex");
  writeFileSync(
    standIn,
    `#!/bin/sh\nexec '${process.execPath}' '${join(HERE, "stand-in-codex.ts")}' "$@"\n`,
    { mode: 0o755 },
  );
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dir,
    FICTA_HOME: join(dir, "ficta-home"),
    FICTA_SURROGATE_KEY: "ab".repeat(32),
    FICTA_REAL_CODEX: standIn,
    FICTA_REAL_CLAUDE: standIn,
    FICTA_OPENAI_UPSTREAM: origin,
    FICTA_ANTHROPIC_UPSTREAM: origin,
    BENCH_JOB: jobFile,
    // Read by Bun itself, compiled binaries included.
    ...(profile ? { BUN_OPTIONS: `--cpu-prof-md --cpu-prof-dir=${resolve(profile)}` } : {}),
  };
  const argv = launch.via === "binary"
    ? launch.agent === "claude"
      ? [BINARY, "claude", "-p", "bench"]
      : [BINARY, "codex", "exec", "--skip-git-repo-check", "bench"]
    : [process.execPath, join(HERE, "identity-host.ts"), standIn, "exec", "bench"];
  // stderr is a file, read afterwards: a terminal-like sink (ficta stays silent, as under the TUI).
  const errFile = join(dir, "stderr.txt");
  const child = Bun.spawn(argv, {
    cwd: project,
    env,
    stdin: "ignore",
    stdout: "inherit",
    stderr: Bun.file(errFile),
  });
  const code = await child.exited;
  const stderr = readFileSync(errFile, "utf8");
  if (code !== 0) {
    throw new Error(`${launch.name}: exited ${code}\n${stderr.split("\n").slice(-20).join("\n")}`);
  }
  const results = JSON.parse(readFileSync(out, "utf8")) as CaseResult[];
  addStages(results, launch, join(env.FICTA_HOME, "logs"));
  return results;
}

/** Where the time went, from the proxy's own log (`stagesMs` of each request): medians per case. */
function addStages(results: CaseResult[], launch: Launch, logs: string) {
  const entries: RequestEntry[] = [];
  for (const session of readdirSync(logs)) {
    const file = join(logs, session, "requests.jsonl");
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (line) entries.push(JSON.parse(line) as RequestEntry);
    }
  }
  // Transport cases interleave HTTP and WebSocket turns: their rows carry no stage split.
  if (launch.cases.some((c) => c.kind === "transport")) return;
  const turns = entries.filter((e) => e.kind === "turn");
  let at = 0;
  launch.cases.forEach((c, i) => {
    at += warmupFor(c);
    const measured = turns.slice(at, at + results[i].n);
    at += results[i].n;
    const stages: Record<string, number> = {};
    for (const stage of ["read", "redact", "gate", "upstream", "answer"]) {
      stages[stage] = median(
        measured.map((e) =>
          stage === "answer"
            ? e.durationMs - Object.values(e.stagesMs).reduce((sum, ms) => sum + ms, 0)
            : e.stagesMs[stage] ?? 0
        ),
      );
    }
    results[i].stagesMs = stages;
  });
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

const r2 = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

async function main() {
  if (build) {
    const b = Bun.spawnSync([process.execPath, "scripts/build.ts"], { stderr: "inherit" });
    if (b.exitCode !== 0) throw new Error("build failed");
  }
  const upstream = Bun.spawn([process.execPath, join(HERE, "upstream.ts")], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const origin = await firstLine(upstream.stdout);
  const work = mkdtempSync(join(tmpdir(), "ficta-bench-proxy-"));
  const rows: string[] = [];
  const notes: string[] = [];
  const byKey = new Map<string, CaseResult>();
  const loads: string[] = [];
  try {
    for (const launch of LAUNCHES) {
      if (only && !launch.name.includes(only)) continue;
      loads.push(load());
      const results = await run(launch, work, origin);
      for (const r of results) {
        const key = `${launch.name}|${r.label}`;
        byKey.set(key, r);
        const target = TARGETS[key];
        const tail = r.added.p99 <= 2 * Math.max(r.added.p50, 0.1);
        const met = target === undefined ? "" : r.added.p50 <= target && tail ? "yes" : "NO";
        console.log(JSON.stringify({ launch: launch.name, load: loads.at(-1), ...r }));
        if (r.mismatches) notes.push(`${key}: ${r.mismatches} answer(s) differed from direct`);
        rows.push(
          `| ${launch.name} | ${r.label} | ${(r.bytes / MB).toFixed(2)} | ${r.n} | ` +
            `${r2(r.direct.p50)} | **${r2(r.added.p50)}** | ${r2(r.added.p95)} | ` +
            `${r2(r.added.p99)} | ${r2(r.cpuMsPerRequest)} | ${r.peakRssMiB.toFixed(0)} | ` +
            `${target === undefined ? "" : `<= ${target}`} | ${met} |`,
        );
        if (r.rssByTurn) {
          notes.push(
            `${key}: RSS MiB by turn ${
              r.rssByTurn.map((
                [t, m],
              ) => (t < 0 ? `after ${-t} more: ${m.toFixed(0)}` : `${t}: ${m.toFixed(0)}`))
                .join(", ")
            }`,
          );
        }
      }
    }
  } finally {
    upstream.kill();
    if (keep) console.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }

  const ten = byKey.get("10000 values|5 MB");
  const one = byKey.get("1000 values|5 MB");
  const session = [...byKey.entries()].find(([k]) => k.startsWith("1000 values, session"))?.[1];
  console.log(
    `\nBun ${Bun.version}, ${navigator.hardwareConcurrency} cores, ${
      quick ? "quick" : "full"
    } run; load average before each launch: ${loads.join(" / ")}`,
  );
  console.log(
    "\n| launch | request | MB | n | direct p50 ms | added p50 ms | added p95 | added p99 | " +
      "ficta CPU ms/req | ficta peak RSS MiB | target p50 | met (p50, p99 <= 2 x p50) |",
  );
  console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const row of rows) console.log(row);
  console.log(
    "\nWhere ficta's time went (medians of its log's `stagesMs`; `answer` is the rest of its " +
      "duration, the answer streaming back through restore):\n",
  );
  console.log("| launch | request | read | redact | gate | upstream | answer | ficta total |");
  console.log("|---|---|---:|---:|---:|---:|---:|---:|");
  for (const [key, r] of byKey) {
    const s = r.stagesMs;
    if (!s) continue;
    const [launch, label] = key.split("|");
    const total = Object.values(s).reduce((sum, ms) => sum + ms, 0);
    console.log(
      `| ${launch} | ${label} | ${r2(s.read)} | ${r2(s.redact)} | ${r2(s.gate)} | ` +
        `${r2(s.upstream)} | ${r2(s.answer)} | ${r2(total)} |`,
    );
  }
  if (ten && one) {
    const ratio = ten.added.p50 / one.added.p50;
    console.log(
      `\n10,000 vs 1,000 values at 5 MB, added p50: ${r2(ten.added.p50)} / ${
        r2(one.added.p50)
      } ms = ${ratio.toFixed(2)}x (target <= 1.5x: ${ratio <= 1.5 ? "yes" : "NO"}); CPU per ` +
        `request ${r2(ten.cpuMsPerRequest)} / ${r2(one.cpuMsPerRequest)} ms`,
    );
  }
  if (session?.rssByTurn) {
    const last = session.rssByTurn.at(-1)![1];
    const atEnd = session.rssByTurn.at(-2)![1];
    const ok = session.peakRssMiB <= 150 && last <= atEnd * 1.1;
    console.log(
      `Session: peak RSS ${session.peakRssMiB.toFixed(0)} MiB, ${
        atEnd.toFixed(0)
      } MiB at the last ` +
        `turn, ${last.toFixed(0)} MiB after the steady phase (target <= 150 MiB, not growing: ${
          ok ? "yes" : "NO"
        })`,
    );
  }
  transportRows(byKey);
  for (const note of notes) console.log(`- ${note}`);
  readmeRows(byKey);
  if (notes.some((n) => n.includes("differed"))) process.exitCode = 1;
}

/** HTTP and WebSocket side by side for the transport session (issue 17). */
function transportRows(byKey: Map<string, CaseResult>) {
  const rows = [...byKey.entries()].filter(([k]) =>
    /^1000 values, (HTTP|WebSocket) session\|/.test(k)
  );
  if (!rows.length) return;
  console.log(
    "\nTransport, one session turn by turn through ficta (HTTP re-sends the whole history; the " +
      "WebSocket sends the new items, chained by previous_response_id):\n",
  );
  console.log(
    "| transport | session | KB uploaded per turn | direct p50 ms | added p50 ms | added p95 | " +
      "added p99 | ficta CPU ms/turn |",
  );
  console.log("|---|---|---:|---:|---:|---:|---:|---:|");
  for (const [key, r] of rows) {
    const [launch, session] = key.split("|");
    const transport = launch.includes("WebSocket") ? "WebSocket" : "HTTP";
    console.log(
      `| ${transport} | ${session} | ${r2((r.upBytesPerTurn ?? 0) / KB)} | ${r2(r.direct.p50)} | ` +
        `**${r2(r.added.p50)}** | ${r2(r.added.p95)} | ${r2(r.added.p99)} | ` +
        `${r2(r.cpuMsPerRequest)} |`,
    );
  }
}

/** The README's speed rows, in its table's columns (what | ficta | target | anchor). */
function readmeRows(byKey: Map<string, CaseResult>) {
  const get = (key: string) => byKey.get(key);
  const ms = (r: CaseResult | undefined) =>
    r ? `${r2(r.added.p50)} ms (p99 ${r2(r.added.p99)})` : "not run";
  const sse50 = get("100 values|50 KB");
  const json50 = get("100 values|50 KB, JSON answer");
  const kb500 = get("1000 values|500 KB");
  const mb5 = get("1000 values|5 MB");
  const ten = get("10000 values|5 MB");
  const session = [...byKey.entries()].find(([k]) => k.startsWith("1000 values, session"))?.[1];
  const cpu = [sse50, kb500, mb5].map((r) => (r ? r2(r.cpuMsPerRequest) : "-")).join(" / ");
  const rows = [
    [
      "proxy adds, 50 KB request, 100 values, SSE / JSON answer (p50)",
      `${ms(sse50)} / ${ms(json50)}`,
      "<= 0.7 ms, p99 <= 2 x p50",
      "9 / 11 ms",
    ],
    [
      "proxy adds, 500 KB request, 1000 values (p50)",
      ms(kb500),
      "<= 5 ms, p99 <= 2 x p50",
      "380 ms",
    ],
    [
      "proxy adds, 5 MB request, 1000 values (p50)",
      ms(mb5),
      "<= 40 ms, p99 <= 2 x p50",
      "4,200 ms",
    ],
    [
      "5 MB request, 10,000 vs 1,000 values",
      ten && mb5 ? `${(ten.added.p50 / mb5.added.p50).toFixed(2)}x` : "not run",
      "<= 1.5x",
      "",
    ],
    ["ficta CPU time per request, 50 KB / 500 KB / 5 MB", `${cpu} ms`, "", ""],
    [
      `ficta peak memory, a session of ${session?.label ?? "300 turns to 5 MB"}`,
      session ? `${session.peakRssMiB.toFixed(0)} MiB` : "not run",
      "<= 150 MiB",
      "",
    ],
  ];
  console.log("\nREADME rows (black-box, through dist/ficta; say how loaded the machine was):\n");
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
}

await main();
