/**
 * `bun run bench:launch`: start-up costs of the compiled binary (build it first: `bun run build`).
 *
 * - `ficta --version`: wall time and peak memory (targets <= 15 ms, <= 40 MiB);
 * - `ficta codex --version` against `codex --version`, alternating (target: <= 20 ms more);
 * - start to Codex spawn with 100 values in `.env` (target <= 30 ms): the stand-in Codex is a
 *   shell script that records the wall clock as it starts, so the figure includes ficta's start,
 *   config, key, registry, proxy and spawn, plus about a millisecond of `sh` and `date`.
 * - the floor under that figure: a minimal `bun build --compile` binary that only spawns the same
 *   stand-in. What any Bun-compiled launcher pays on this machine; ficta's own share is the
 *   difference.
 *
 * Values are generated fakes; FICTA_HOME is a temporary directory. Whole processes are timed, so
 * other work on the machine shows in the figures: the load average is printed beside them.
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
  const usage = child.resourceUsage();
  return {
    ms: performance.now() - started,
    maxRss: usage?.maxRSS ?? 0,
    // CPU time (user + system) of the whole process: less sensitive to a busy machine than wall.
    cpuMs: Number(usage?.cpuTime.total ?? 0) / 1000,
  };
}

/** The 1, 5 and 15 minute load averages and the core count, printed beside the figures. */
function machineLoad(): string {
  try {
    const [one, five, fifteen] = readFileSync("/proc/loadavg", "utf8").split(" ");
    return `${one} / ${five} / ${fifteen} on ${navigator.hardwareConcurrency} cores`;
  } catch {
    return "unknown";
  }
}

const loadBefore = machineLoad();
const version: number[] = [];
const rss: number[] = [];
const plain: number[] = [];
const wrapped: number[] = [];
const cpu = { version: [] as number[], plain: [] as number[], wrapped: [] as number[] };
const toSpawn: number[] = [];
const floor: number[] = [];
// The same runtime and the same spawn, with nothing of ficta: one statement, compiled.
const floorSource = join(work, "floor.ts");
const floorBinary = join(work, "floor");
writeFileSync(
  floorSource,
  `await Bun.spawn([process.env.STAND_IN!], { stdio: ["ignore", "ignore", "ignore"] }).exited;\n`,
);
if (
  Bun.spawnSync(["bun", "build", "--compile", floorSource, "--outfile", floorBinary]).exitCode !== 0
) {
  throw new Error("could not compile the floor binary");
}

/** Wall time from before `argv` starts to the stand-in Codex writing its stamp. */
async function toStandIn(argv: string[], extraEnv: Record<string, string>): Promise<number> {
  rmSync(stamp, { force: true });
  const before = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
  await timed(argv, extraEnv);
  return Number(BigInt(readFileSync(stamp, "utf8").trim()) - before) / 1e6;
}

try {
  for (let i = 0; i < RUNS; i++) {
    const v = await timed([BINARY, "--version"]);
    version.push(v.ms);
    rss.push(v.maxRss);
    cpu.version.push(v.cpuMs);
    const p = await timed([CODEX, "--version"]);
    plain.push(p.ms);
    cpu.plain.push(p.cpuMs);
    const w = await timed([BINARY, "codex", "--version"], { FICTA_REAL_CODEX: CODEX });
    wrapped.push(w.ms);
    cpu.wrapped.push(w.cpuMs);
    toSpawn.push(await toStandIn([BINARY, "codex", "exec", "hi"], { FICTA_REAL_CODEX: standIn }));
    floor.push(await toStandIn([floorBinary], { STAND_IN: standIn }));
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
  ["floor: minimal compiled Bun binary to the same spawn, p50 ms", median(floor), null],
  [
    "start to Codex spawn minus the floor (ficta's own share), ms",
    median(toSpawn) - median(floor),
    null,
  ],
  ["ficta --version, CPU ms (user + system), p50", median(cpu.version), null],
  [
    "ficta codex --version minus codex --version, CPU ms, p50",
    median(cpu.wrapped) - median(cpu.plain),
    null,
  ],
] as const;
console.log(`\n${RUNS} runs each, ${BINARY}`);
console.log(`load average (1 / 5 / 15 min): ${loadBefore} before, ${machineLoad()} after\n`);
console.log("| measure | value | target | met |\n|---|---:|---:|---|");
for (const [label, value, target] of rows) {
  const met = target === null ? "" : value <= target ? "yes" : "NO";
  console.log(
    `| ${label} | ${value.toFixed(1)} | ${target === null ? "" : `<= ${target}`} | ${met} |`,
  );
}

// ---------------------------------------------------------------------------------------------
// Protection that follows the secret (issue 11): start to Codex spawn with 5,000 values in the
// protected-value store and a 200-file monorepo below the launch directory, and the engine
// compile those values add (which the first request waits for, not the spawn).
await followsTheSecret();

async function followsTheSecret(): Promise<void> {
  const { writeStore, storeKey } = await import("../src/registry/store.ts");
  const { importSurrogateKey } = await import("../src/core/mod.ts");
  const { compileEngine } = await import("../src/core/mod.ts");
  const { loadRegistry, storedSecrets } = await import("../src/registry/index.ts");
  const { allCredentialFiles } = await import("../src/agents/mod.ts");
  const { responsesDialect } = await import("../src/agents/codex/wire.ts");
  const { readStore } = await import("../src/registry/store.ts");
  const { schema } = await import("../src/config/schema.ts");
  const { mkdirSync } = await import("node:fs");

  const root = mkdtempSync(join(tmpdir(), "ficta-bench-follows-"));
  const repo = join(root, "repo");
  const mark = join(root, "stamp");
  const fakeCodex = join(root, "codex");
  const home = join(root, "ficta-home");
  const stored = 5000;
  const files = 200;
  try {
    mkdirSync(join(repo, ".git"), { recursive: true });
    // 100 apps with .env and .env.local, 5 values each, plus source directories to walk past.
    for (let i = 0; i < files / 2; i++) {
      const app = join(repo, "apps", `app-${i}`);
      mkdirSync(join(app, "src", "lib"), { recursive: true });
      mkdirSync(join(app, "node_modules", "dep"), { recursive: true });
      for (const name of [".env", ".env.local"]) {
        writeFileSync(
          join(app, name),
          Array.from({ length: 5 }, (_, k) => `APP_${i}_KEY_${k}=${crypto.randomUUID()}\n`).join(
            "",
          ),
        );
      }
    }
    writeFileSync(fakeCodex, `#!/bin/sh\ndate +%s%N >> '${mark}'\n`, { mode: 0o755 });
    const benchEnv = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: root,
      FICTA_HOME: home,
      FICTA_SURROGATE_KEY: "cd".repeat(32),
    };
    const surrogateKey = await importSurrogateKey(Uint8Array.fromHex("cd".repeat(32)));
    const sealKey = await storeKey(surrogateKey);
    await writeStore(
      benchEnv,
      sealKey,
      Array.from({ length: stored }, (_, i) => ({
        name: `STORED_${i}`,
        source: `/elsewhere/project-${i % 50}/.env`,
        first: "2026-01-01",
        last: "2026-01-01",
        value: `stored-${crypto.randomUUID()}`,
      })),
    );

    const spawn: number[] = [];
    const runs = Math.max(5, Math.floor(RUNS / 2));
    for (let i = 0; i < runs; i++) {
      rmSync(mark, { force: true });
      const before = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
      const child = Bun.spawn([BINARY, "codex", "exec", "hi"], {
        cwd: repo,
        env: { ...benchEnv, FICTA_REAL_CODEX: fakeCodex },
        stdin: "ignore",
        stdout: "ignore",
        stderr: "ignore",
      });
      if ((await child.exited) !== 0) throw new Error("ficta codex exec exited non-zero");
      spawn.push(Number(BigInt(readFileSync(mark, "utf8").trim()) - before) / 1e6);
    }

    // In process: what the first request waits for (registry + store + compile), warm.
    const settings = schema.parse({});
    const compile: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const registry = await loadRegistry(settings, {
        cwd: repo,
        env: benchEnv,
        credentialFiles: allCredentialFiles(),
      });
      const values = await readStore(benchEnv, sealKey);
      const all = [...registry.secrets, ...storedSecrets(settings, values, registry.secrets)];
      await compileEngine(all, surrogateKey, {
        encoded: true,
        shapes: true,
        disabledFormats: [],
        restoreIntoTools: "all",
        dialect: responsesDialect,
      });
      compile.push(performance.now() - started);
    }
    console.log(
      `\nProtection that follows the secret: ${stored} stored values, ${files} dotenv files\n`,
    );
    console.log("| measure | value | target | met |\n|---|---:|---:|---|");
    const p50 = median(spawn);
    const floorP50 = median(floor);
    console.log(
      `| start to Codex spawn, ${stored} stored + ${files} files, p50 ms | ${
        p50.toFixed(1)
      } | <= 30 | ${p50 <= 30 ? "yes" : "NO"} |`,
    );
    console.log(
      `| the same minus the floor (${floorP50.toFixed(1)} ms), ficta's own share, ms | ${
        (p50 - floorP50).toFixed(1)
      } |  |  |`,
    );
    console.log(
      `| registry + store + compile (first request waits), p50 ms | ${
        median(compile).toFixed(1)
      } |  |  |`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
