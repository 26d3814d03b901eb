/**
 * Loaded before every test file (bunfig.toml): all temporary files of one `bun test` run go
 * into one directory, removed when the run ends, so tests need no cleanup of their own.
 * The suite must not depend on the machine it runs on, so ficta's and Codex's own settings in
 * the developer's environment (FICTA_DISABLE, FICTA_SURROGATE_KEY, CODEX_HOME, an API key...)
 * are dropped; only the switches meant for the tests (FICTA_TEST_*, FICTA_DIST_DIR) stay.
 */
import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const KEPT = /^FICTA_(TEST_|DIST_DIR$)/;
for (const name of Object.keys(process.env)) {
  const ficta = name.startsWith("FICTA_") && !KEPT.test(name);
  if (ficta || ["CODEX_HOME", "CODEX_API_KEY", "OPENAI_API_KEY"].includes(name)) {
    delete process.env[name];
  }
}

const root = mkdtempSync(join(tmpdir(), "ficta-test-run-"));
process.env.TMPDIR = root;

// After the last file, with every file's leftovers: seconds on a loaded machine, not Bun's 5.
afterAll(() => rmSync(root, { recursive: true, force: true }), 120_000);
