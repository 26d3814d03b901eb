/**
 * Loaded before every test file (bunfig.toml): all temporary files of one `bun test` run go
 * into one directory, removed when the run ends, so tests need no cleanup of their own.
 */
import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = mkdtempSync(join(tmpdir(), "ficta-test-run-"));
process.env.TMPDIR = root;

afterAll(() => rmSync(root, { recursive: true, force: true }));
