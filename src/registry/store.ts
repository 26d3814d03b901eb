/**
 * The protected-value store: every value ficta has protected stays protected in later launches,
 * from any directory, until the user forgets it. Agents keep conversations with the real values
 * restored in their session files, so a resumed session, a rotated secret or another project's
 * value would otherwise go out raw.
 *
 * One file, `$FICTA_HOME/store/values` (0600 in a 0700 directory), written whole to a temporary
 * file and renamed into place:
 *
 *     {"version":1,"count":N}                     header (the launch report reads only this line)
 *     {"name":..,"source":..,"first":..,"last":..} one line per value: metadata, never the value
 *     <base64: 12-byte IV + AES-256-GCM ciphertext of [[value, spellings?], ...] in line order>
 *
 * The AES key is HMAC-SHA256(surrogate key, 0xFF "ficta store v1"): it lives in no file of its
 * own, and no value can collide with the label (UTF-8 text never holds 0xFF). The header names the
 * key by a public id (another HMAC), so a store sealed under another key (`FICTA_SURROGATE_KEY`
 * in CI, a replaced key file) is told apart from a damaged one: it is left as it is and nothing is
 * stored this time; a damaged store or one of another version is moved aside, never silently
 * overwritten. Everything before the ciphertext line is the ciphertext's additional data, so
 * metadata cannot be swapped or edited unnoticed.
 *
 * Dates are days (`YYYY-MM-DD`), so an ordinary launch writes nothing. Bounded by
 * `registry.store_max`: beyond it the least recently seen values are dropped.
 */
import { runtime } from "../runtime/mod.ts";
import { closeSync, openSync, readFileSync, readSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type Env, paths } from "../config/paths.ts";
import { writePrivateFile } from "../config/private-files.ts";

const STORE_VERSION = 1;

export interface StoredEntry {
  name: string;
  /** Where it was last seen: a dotenv path (absolute), `environment`, a command's name. */
  source: string;
  /** Days, `YYYY-MM-DD`. */
  first: string;
  last: string;
}

export interface StoredValue extends StoredEntry {
  value: string;
  spellings?: string[];
}

/** What a launch or a watcher hands to the store. */
export interface Remembered {
  name: string;
  source: string;
  value: string;
  spellings?: string[];
}

export class StoreError extends Error {
  /** Sealed under another key (FICTA_SURROGATE_KEY, or a replaced key file): kept as it is. */
  readonly otherKey: boolean;
  constructor(message: string, otherKey = false) {
    super(message);
    this.name = "StoreError";
    this.otherKey = otherKey;
  }
}

/** The AES key, and a public id of it (so a store sealed under another key is told apart). */
export interface StoreKey {
  aes: CryptoKey;
  id: string;
}

const LABEL = new Uint8Array([0xff, ...new TextEncoder().encode("ficta store v1")]);
const ID_LABEL = new Uint8Array([0xff, ...new TextEncoder().encode("ficta store key id")]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function storePath(env: Env): string {
  return join(paths(env).home, "store", "values");
}

/** The AES-GCM key of the store, derived from the surrogate key (see the file comment). */
export async function storeKey(surrogateKey: CryptoKey): Promise<StoreKey> {
  const [raw, id] = await Promise.all([
    crypto.subtle.sign("HMAC", surrogateKey, LABEL),
    crypto.subtle.sign("HMAC", surrogateKey, ID_LABEL),
  ]);
  return {
    aes: await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]),
    id: new Uint8Array(id, 0, 8).toHex(),
  };
}

export function today(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** How many values the store holds, from its first line only; 0 without a store. */
export function storedCount(env: Env): number {
  let fd: number;
  try {
    fd = openSync(storePath(env), "r");
  } catch {
    return 0;
  }
  try {
    const buffer = new Uint8Array(256);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const line = decoder.decode(buffer.subarray(0, n)).split("\n", 1)[0];
    const count = (JSON.parse(line) as { count?: unknown }).count;
    return typeof count === "number" ? count : 0;
  } catch {
    return 0;
  } finally {
    closeSync(fd);
  }
}

interface Parsed {
  key: unknown;
  entries: StoredEntry[];
  /** The header and entry lines, the ciphertext's additional data. */
  head: string;
  sealed: string;
}

function parse(text: string): Parsed {
  const cut = text.lastIndexOf("\n", text.length - 2);
  if (cut < 0) throw new StoreError("truncated");
  const head = text.slice(0, cut + 1);
  const lines = head.split("\n");
  lines.pop();
  const header = JSON.parse(lines[0]) as { version?: unknown; count?: unknown; key?: unknown };
  if (header.version !== STORE_VERSION) {
    throw new StoreError(`version ${String(header.version)} is not ${STORE_VERSION}`);
  }
  // One parse of all lines as an array: several times faster than a parse per line.
  const entries = JSON.parse(`[${lines.slice(1).join(",")}]`) as StoredEntry[];
  if (entries.length !== header.count) throw new StoreError("count does not match");
  return { key: header.key, entries, head, sealed: text.slice(cut + 1).trim() };
}

/** The store file's text; null when there is none. */
function readStoreText(env: Env): string | null {
  try {
    return readFileSync(storePath(env), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    throw new StoreError(`cannot read (${code})`);
  }
}

/** Metadata only (for listing): no key needed, no value decrypted. */
export function readStoredEntries(env: Env): StoredEntry[] {
  const text = readStoreText(env);
  if (text === null) return [];
  try {
    return parse(text).entries;
  } catch (error) {
    throw new StoreError(`unreadable (${(error as Error).message})`);
  }
}

/** Every stored value; an empty list without a store. Throws StoreError when it cannot be opened. */
export async function readStore(env: Env, key: StoreKey): Promise<StoredValue[]> {
  const text = readStoreText(env);
  if (text === null) return [];
  let parsed: Parsed;
  let plain: ArrayBuffer;
  try {
    parsed = parse(text);
  } catch (error) {
    throw new StoreError(`unreadable (${(error as Error).message})`);
  }
  if (parsed.key !== key.id) throw new StoreError("sealed under another key", true);
  try {
    const bytes = Uint8Array.fromBase64(parsed.sealed);
    plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.subarray(0, 12), additionalData: encoder.encode(parsed.head) },
      key.aes,
      bytes.subarray(12),
    );
  } catch {
    throw new StoreError("unreadable (damaged)");
  }
  const values = JSON.parse(decoder.decode(plain)) as [string, string[]?][];
  if (values.length !== parsed.entries.length) throw new StoreError("unreadable (value count)");
  return parsed.entries.map((entry, i) => {
    const [value, spellings] = values[i];
    return spellings?.length ? { ...entry, value, spellings } : { ...entry, value };
  });
}

export async function writeStore(env: Env, key: StoreKey, values: StoredValue[]): Promise<void> {
  const file = storePath(env);
  if (values.length === 0) {
    rmSync(file, { force: true });
    return;
  }
  let head = JSON.stringify({ version: STORE_VERSION, count: values.length, key: key.id }) + "\n";
  for (const { name, source, first, last } of values) {
    head += JSON.stringify({ name, source, first, last }) + "\n";
  }
  const plain = JSON.stringify(values.map((v) => v.spellings ? [v.value, v.spellings] : [v.value]));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: encoder.encode(head) },
      key.aes,
      encoder.encode(plain),
    ),
  );
  const bytes = new Uint8Array(12 + sealed.length);
  bytes.set(iv);
  bytes.set(sealed, 12);
  const temporary = `${file}.${crypto.randomUUID()}.tmp`;
  writePrivateFile(temporary, head + bytes.toBase64() + "\n");
  renameSync(temporary, file);
}

/** Moves an unreadable store aside (kept for the user, never overwritten); returns its new path. */
function moveAside(env: Env, now: Date = new Date()): string {
  const file = storePath(env);
  const aside = `${file}.unreadable-${now.toISOString().replace(/[:.]/g, "-")}`;
  renameSync(file, aside);
  return aside;
}

/**
 * `stored` updated with `seen` (new values added, known ones' last day, name and source
 * refreshed), least recently seen dropped beyond `max`; null when nothing changed.
 */
export function merged(
  stored: StoredValue[],
  seen: readonly Remembered[],
  max: number,
  day: string,
): StoredValue[] | null {
  const byValue = new Map(stored.map((entry) => [entry.value, entry]));
  let changed = false;
  for (const item of seen) {
    const known = byValue.get(item.value);
    if (!known) {
      const entry: StoredValue = {
        name: item.name,
        source: item.source,
        first: day,
        last: day,
        value: item.value,
      };
      if (item.spellings?.length) entry.spellings = [...item.spellings];
      byValue.set(item.value, entry);
      changed = true;
      continue;
    }
    if (known.last !== day || known.name !== item.name || known.source !== item.source) {
      known.last = day;
      known.name = item.name;
      known.source = item.source;
      changed = true;
    }
    for (const spelling of item.spellings ?? []) {
      if (known.spellings?.includes(spelling)) continue;
      (known.spellings ??= []).push(spelling);
      changed = true;
    }
  }
  let out = [...byValue.values()];
  if (out.length > max) {
    // Stable: among equal days, the earlier stored go first.
    out = out.map((entry, i) => ({ entry, i }))
      .sort((
        a,
        b,
      ) => (a.entry.last < b.entry.last ? 1 : a.entry.last > b.entry.last ? -1 : a.i - b.i))
      .slice(0, max)
      .sort((a, b) => a.i - b.i)
      .map(({ entry }) => entry);
    changed = true;
  }
  return changed ? out : null;
}

/** Adds or refreshes `seen` in the store; true when it wrote. */
export async function remember(
  env: Env,
  key: StoreKey,
  seen: readonly Remembered[],
  max: number,
  now: Date = new Date(),
): Promise<boolean> {
  // Read just before writing, so values another launch stored meanwhile are kept.
  let stored: StoredValue[];
  try {
    stored = await readStore(env, key);
  } catch (error) {
    if (!(error instanceof StoreError) || error.otherKey || error.message.startsWith("cannot")) {
      throw error;
    }
    moveAside(env, now);
    stored = [];
  }
  const next = merged(stored, seen, max, today(now));
  if (!next) return false;
  await writeStore(env, key, next);
  return true;
}

/** What to forget: names or sources as `*` patterns, or everything. */
export type Forget = { names: string[] } | { sources: string[] } | { all: true };

/**
 * Removes matching values; returns how many were removed. Sources are absolute paths: `**` spans
 * directories (`--source '**\/apps/web/.env*'`). `all` needs no key.
 */
export async function forget(env: Env, key: StoreKey | null, what: Forget): Promise<number> {
  if ("all" in what) {
    const count = readStoredEntries(env).length;
    rmSync(storePath(env), { force: true });
    return count;
  }
  if (key === null) throw new StoreError("needs the key to forget by name or source");
  const stored = await readStore(env, key);
  const patterns = ("names" in what ? what.names : what.sources).map((p) => runtime.glob(p));
  const field = "names" in what ? "name" : "source";
  const kept = stored.filter((entry) => !patterns.some((glob) => glob.match(entry[field])));
  if (kept.length !== stored.length) await writeStore(env, key, kept);
  return stored.length - kept.length;
}
