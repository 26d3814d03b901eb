/**
 * `bun run bench:launch`: start-up costs of the compiled binary (build it first: `bun run build`).
 *
 * - `ficta --version`: wall time and peak memory (targets <= 15 ms, <= 40 MiB);
 * - `ficta codex --version` against `codex --version`, alternating (target: <= 20 ms more);
 * - start to Codex spawn with 100 values in `.env` (target <= 30 ms): the stand-in Codex is a
 *   shell script that records the wall clock as it starts, so the figure includes ficta's start,
 *   config, key, registry, proxy and spawn, plus about a millisecond of `sh` and `date`.
 *
 * Values are generated fakes; FICTA_HOME is a temporary directory.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const BINARY = resolve(process.env.FICTA_TEST_BINARY ?? "dist/ficta");
const CODEX = resolve("node_modules/.bin/codex");
const RUNS = Number(process.argv.find((a) => a.startsWith("--runs="))?.slice(7) ?? 40);

const work = mkdtempSync(join(tmpdir(), "ficta-bench-launch-"));
const project = join(work, "project");
const stamp = join(work, "stamp");
const standIn = join(work, "codex");
Bun.spawnSync(["mkdir", "-p", join(project, ".git")]);
writeFileSync(
  join(project, ".env"),
  Array.from({ length: 100 }, (_, i) => `KEY_${i}=${crypto.randomUUID()}\n`).join(""),
);
writeFileSync(standIn, `#!/bin/sh\ndate +%s%N >> '${stamp}'\n`, { mode: 0o755 });

const env = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: work,
  FICTA_HOME: join(work, "ficta-home"),
  FICTA_SURROGATE_KEY: "ab".repeat(32),
};

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timed(argv: string[], extraEnv: Record<string, string> = {}) {
  const started = performance.now();
  const child = Bun.spawn(argv, {
    cwd: project,
    env: { ...env, ...extraEnv },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
  const code = await child.exited;
  if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}`);
  return { ms: performance.now() - started, maxRss: child.resourceUsage()?.maxRSS ?? 0 };
}

const version: number[] = [];
const rss: number[] = [];
const plain: number[] = [];
const wrapped: number[] = [];
const toSpawn: number[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const v = await timed([BINARY, "--version"]);
    version.push(v.ms);
    rss.push(v.maxRss);
    plain.push((await timed([CODEX, "--version"])).ms);
    wrapped.push((await timed([BINARY, "codex", "--version"], { FICTA_REAL_CODEX: CODEX })).ms);
    rmSync(stamp, { force: true });
    const before = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
    await timed([BINARY, "codex", "exec", "hi"], { FICTA_REAL_CODEX: standIn });
    const started = BigInt(readFileSync(stamp, "utf8").trim());
    toSpawn.push(Number(started - before) / 1e6);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const rows = [
  ["ficta --version, p50 ms", median(version), 15],
  ["ficta --version, peak MiB", median(rss) / 1024 / 1024, 40],
  ["codex --version, p50 ms", median(plain), null],
  ["ficta codex --version, p50 ms", median(wrapped), null],
  ["ficta codex --version minus codex --version, ms", median(wrapped) - median(plain), 20],
  ["start to Codex spawn, 100 values, p50 ms", median(toSpawn), 30],
] as const;
console.log(`\n${RUNS} runs each, ${BINARY}\n`);
console.log("| measure | value | target | met |\n|---|---:|---:|---|");
for (const [label, value, target] of rows) {
  const met = target === null ? "" : value <= target ? "yes" : "NO";
  console.log(
    `| ${label} | ${value.toFixed(1)} | ${target === null ? "" : `<= ${target}`} | ${met} |`,
  );
}
