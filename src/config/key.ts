/**
 * The per-install surrogate key: 32 random bytes, kept as 64 hex characters in `~/.ficta/key`
 * (0600 in a 0700 directory), created on first use. `FICTA_SURROGATE_KEY` (64 hex characters,
 * or base64 of at least 32 bytes) overrides it, for tests and CI. No message ever quotes a key.
 */
import { chmodSync, linkSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { importSurrogateKey } from "../core/mod.ts";
import { type Env, paths } from "./paths.ts";
import { ensurePrivateDir } from "./private-files.ts";

export class SurrogateKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SurrogateKeyError";
  }
}

const KEY_BYTES = 32;

export async function loadSurrogateKey(env: Env): Promise<CryptoKey> {
  const override = env.FICTA_SURROGATE_KEY;
  if (override) {
    const raw = decodeKey(override);
    if (!raw) {
      throw new SurrogateKeyError(
        "FICTA_SURROGATE_KEY is malformed: expected 64 hex characters or base64 of at least 32 bytes",
      );
    }
    return await importSurrogateKey(raw);
  }
  const file = paths(env).key;
  const raw = decodeKey(readOrCreate(file));
  if (!raw) {
    throw new SurrogateKeyError(
      `surrogate key file ${file} is malformed (expected 64 hex characters); ` +
        "move it away to create a new key (surrogates then change)",
    );
  }
  return await importSurrogateKey(raw);
}

/** Hex (64+ characters) or base64 / base64url of at least 32 bytes; null otherwise. */
export function decodeKey(text: string): Uint8Array | null {
  const t = text.trim();
  if (/^(?:[0-9a-fA-F]{2}){32,}$/.test(t)) return Uint8Array.fromHex(t);
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return null;
  try {
    const alphabet = /[-_]/.test(t) ? "base64url" : "base64";
    const raw = Uint8Array.fromBase64(t, { alphabet, lastChunkHandling: "strict" });
    return raw.length >= KEY_BYTES ? raw : null;
  } catch {
    return null;
  }
}

/**
 * The key file's text, creating it when absent. A new key is written to a temporary file and
 * linked into place, so two first launches at once agree on one key and nobody reads a
 * half-written file.
 */
function readOrCreate(file: string): string {
  try {
    return readPrivate(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: the home is under a file; creating the key says so with the remedy.
    if (code !== "ENOENT" && code !== "ENOTDIR") {
      throw new SurrogateKeyError(
        `cannot read surrogate key file ${file} (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }
  const temporary = join(dirname(file), `.key.${process.pid}.${crypto.randomUUID()}`);
  try {
    ensurePrivateDir(dirname(file));
    const key = crypto.getRandomValues(new Uint8Array(KEY_BYTES)).toHex() + "\n";
    try {
      writeFileSync(temporary, key, { mode: 0o600, flag: "wx" });
      linkSync(temporary, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      rmSync(temporary, { force: true });
    }
    return readPrivate(file);
  } catch (error) {
    // A read-only or full home (EROFS, ENOSPC, EACCES, ENOTDIR): one line, no stack.
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).name;
    throw new SurrogateKeyError(
      `cannot create the surrogate key file ${file} (${code}): set FICTA_HOME to a writable ` +
        "directory (in GitHub Actions: FICTA_HOME=$RUNNER_TEMP/ficta) or FICTA_SURROGATE_KEY",
    );
  }
}

/** Reads the key file, tightening its mode to 0600 if someone loosened it. */
function readPrivate(file: string): string {
  const text = readFileSync(file, "utf8");
  if (process.platform !== "win32" && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return text;
}
