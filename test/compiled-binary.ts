/**
 * The compiled binary the suite runs: `FICTA_TEST_BINARY` (CI builds it once), or `dist/ficta`,
 * rebuilt by `buildIfStale()` when any source file is newer.
 */
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");

export const BINARY = process.env.FICTA_TEST_BINARY
  ? resolve(ROOT, process.env.FICTA_TEST_BINARY)
  : join(ROOT, "dist", "ficta");

/** Builds the binary unless CI gave one or it is newer than every source file (for beforeAll). */
export async function buildIfStale(): Promise<void> {
  if (process.env.FICTA_TEST_BINARY) return;
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= newestSource()) return;
  const built = await Bun.$`bun run build`.cwd(ROOT).quiet().nothrow();
  if (built.exitCode !== 0) throw new Error(`bun run build failed:\n${built.stderr}`);
}

function newestSource(): number {
  let newest = 0;
  for (const file of new Bun.Glob("src/**/*").scanSync({ cwd: ROOT })) {
    newest = Math.max(newest, statSync(join(ROOT, file)).mtimeMs);
  }
  return newest;
}
