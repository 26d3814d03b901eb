/**
 * The release set the dist checks look at: every target built, packed and packaged once through
 * the real commands (`bun run build:all`, `bun run release`) into a temporary directory, or an
 * existing one named by FICTA_DIST_DIR (the release workflow checks the very files it is about to
 * upload that way). release-set.test.ts runs all the checks that need it in one file, so it is
 * built once per test run and removed after.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseChecksums } from "../../scripts/build-all.ts";

export const ROOT = join(import.meta.dir, "..", "..");

/** Cold: ~30 s on two cores (seven ~100 MB binaries deflated at level 9). */
export const BUILD_TIMEOUT_MS = 240_000;
/**
 * One check on the built set: it reads, hashes or unpacks ~100 MB archives, seconds on a quiet
 * machine and many more on a loaded one, far past Bun's 5 s default.
 */
export const CHECK_TIMEOUT_MS = 120_000;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(
  argv: string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<Run> {
  const child = Bun.spawn(argv, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr };
}

const created: string[] = [];
let built: Promise<string> | undefined;

/** A fresh directory, removed by removeTempDirs(). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ficta-${prefix}-`));
  created.push(dir);
  return dir;
}

/**
 * For each test file's afterAll (bun test fires no process exit event): removes every directory
 * tempDir() made, the built release set included (~1.2 GB), which the next releaseDir() rebuilds.
 */
export function removeTempDirs() {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
  built = undefined;
}

async function build(): Promise<string> {
  if (process.env.FICTA_DIST_DIR) return process.env.FICTA_DIST_DIR;
  const out = tempDir("dist");
  const built = await run(["bun", "scripts/build-all.ts", "--out", out]);
  if (built.code !== 0) throw new Error(`build:all failed:\n${built.stderr}`);
  const released = await run(["bun", "scripts/release.ts", "--dist", out]);
  if (released.code !== 0) throw new Error(`release failed:\n${released.stderr}`);
  return out;
}

/** The directory holding the archives, SHA256SUMS, ficta.rb, ficta.json and install.sh. */
export function releaseDir(): Promise<string> {
  built ??= build();
  return built;
}

export async function checksums(dir: string): Promise<Map<string, string>> {
  return parseChecksums(await Bun.file(join(dir, "SHA256SUMS")).text());
}

export async function headCommit(): Promise<string> {
  return (await run(["git", "rev-parse", "--short=12", "HEAD"])).stdout.trim();
}
