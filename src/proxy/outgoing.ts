/**
 * What leaves the machine for one request: path, query, non-auth headers and body, each redacted,
 * then gated as it will actually be sent.
 */
import type { Counts, Engine } from "../engine/types.ts";
import { AUTH_HEADERS } from "./headers.ts";
import type { GateHit } from "./refusals.ts";

export interface Outgoing {
  pathname: string;
  /** `?...` or empty. */
  search: string;
  headers: Headers;
  body: Uint8Array | null;
}

/** Redacts each query key and value (decoded); the raw query is kept when nothing changed. */
export async function redactQuery(
  engine: Engine,
  search: string,
): Promise<{ search: string; counts: Counts }> {
  if (search.length <= 1) return { search: "", counts: {} };
  const params = new URLSearchParams(search);
  const rebuilt = new URLSearchParams();
  const counts: Counts = {};
  let changed = false;
  for (const [key, value] of params) {
    const k = await engine.redactText(key);
    const v = await engine.redactText(value);
    if (k.output !== key || v.output !== value) changed = true;
    addCounts(counts, k.counts);
    addCounts(counts, v.counts);
    rebuilt.append(k.output, v.output);
  }
  return { search: changed ? `?${rebuilt}` : search, counts };
}

/** Redacts every header value except credentials, in place. */
export async function redactHeaders(engine: Engine, headers: Headers): Promise<Counts> {
  const checked = [...headers].filter(([name]) => !AUTH_HEADERS.has(name));
  // The common case in one engine call: nothing in any value (a value never holds a line break).
  const joined = checked.map(([, value]) => value).join("\n");
  if (isAscii(joined) && !Object.keys((await engine.redactText(joined)).counts).length) return {};
  const counts: Counts = {};
  for (const [name, value] of checked) {
    let output: string;
    let found: Counts;
    if (isAscii(value)) ({ output, counts: found } = await engine.redactText(value));
    else {
      const redacted = await engine.redactBytes(headerBytes(value));
      output = headerText(redacted.output);
      found = redacted.counts;
    }
    if (output !== value) headers.set(name, output);
    addCounts(counts, found);
  }
  return counts;
}

function gateHeader(engine: Engine, value: string): string[] {
  return isAscii(value) ? engine.gateText(value) : engine.gateBytes(headerBytes(value));
}

// Bun hands header bytes over one char per byte (latin1), so a UTF-8 value arrives as mojibake:
// match non-ASCII header values as the bytes they were on the wire.
function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return false;
  return true;
}

function headerBytes(value: string): Uint8Array {
  return Uint8Array.from(value, (c) => c.charCodeAt(0));
}

function headerText(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

/** Every place a protected value is still present in what would be sent; empty means send. */
export function gate(engine: Engine, out: Outgoing): GateHit[] {
  const hits: GateHit[] = [];
  const add = (surface: string, names: string[]) => {
    if (names.length) hits.push({ surface, names });
  };
  add("URL path", engine.gateText(out.pathname));
  if (out.search) {
    const names = new Set(engine.gateText(out.search));
    for (const [key, value] of new URLSearchParams(out.search)) {
      for (const name of engine.gateText(key)) names.add(name);
      for (const name of engine.gateText(value)) names.add(name);
    }
    add("URL query", [...names]);
  }
  const checked = [...out.headers].filter(([name]) => !AUTH_HEADERS.has(name));
  const joined = checked.map(([, value]) => value).join("\n");
  if (!isAscii(joined) || engine.gateText(joined).length) {
    for (const [name, value] of checked) add(`${name} header`, gateHeader(engine, value));
  }
  if (out.body?.length) add("request body", engine.gateBytes(out.body));
  return hits;
}

function addCounts(into: Counts, from: Counts): void {
  for (const [name, n] of Object.entries(from)) into[name] = (into[name] ?? 0) + n;
}
