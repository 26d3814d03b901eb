/**
 * What leaves the machine for one request: path, query, non-auth headers and body, each redacted,
 * then gated as it will actually be sent.
 */
import type { Counts, Engine } from "../core/mod.ts";
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

/**
 * Protocol headers ficta never rewrites: a surrogate there breaks the request (a real upstream
 * rejects an unknown `Content-Type`). The gate still checks them: a registered value equal to one
 * refuses the request instead.
 */
const PROTOCOL_HEADERS = new Set(["content-type", "accept", "content-encoding", "accept-encoding"]);

/**
 * Redacts every header value except the identity headers (the agent's credentials, see
 * `ProxyAgent.identityHeaders`) and protocol headers, in place.
 */
export async function redactHeaders(
  engine: Engine,
  headers: Headers,
  identity: ReadonlySet<string>,
): Promise<Counts> {
  const checked = [...headers].filter(([name]) =>
    !identity.has(name) && !PROTOCOL_HEADERS.has(name)
  );
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

/**
 * Every place a protected value is still present in what would be sent; empty means send. The
 * identity headers are not looked at: they are the user's own credentials, sent as they came.
 */
export function gate(engine: Engine, out: Outgoing, identity: ReadonlySet<string>): GateHit[] {
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
  const checked = [...out.headers].filter(([name]) => !identity.has(name));
  const joined = checked.map(([, value]) => value).join("\n");
  if (!isAscii(joined) || engine.gateText(joined).length) {
    for (const [name, value] of checked) add(`${name} header`, gateHeader(engine, value));
  }
  if (out.body?.length) add("request body", engine.gateBytes(out.body));
  return hits;
}

const MODEL_KEY = new TextEncoder().encode('"model":"');
/** Where clients put the model: the body's first key; never searched further than this. */
const MODEL_WINDOW = 512;

/** The text of the body's leading `"model":"…"` string, or null. */
function modelField(body: Uint8Array | null): string | null {
  if (!body) return null;
  const window = body.subarray(0, Math.min(body.length, MODEL_WINDOW));
  outer: for (let i = 0; i + MODEL_KEY.length <= window.length; i++) {
    for (let k = 0; k < MODEL_KEY.length; k++) if (window[i + k] !== MODEL_KEY[k]) continue outer;
    const start = i + MODEL_KEY.length;
    const end = window.indexOf(0x22, start);
    return end < 0 ? null : new TextDecoder().decode(window.subarray(start, end));
  }
  return null;
}

/**
 * The body's `model` field must reach the upstream as the client wrote it: when redaction changed it
 * (a registered value equals the model name), the request is refused like any gate hit, naming
 * the value, instead of sending a model the upstream does not know.
 */
export function protocolHits(
  engine: Engine,
  before: Uint8Array | null,
  after: Uint8Array | null,
): GateHit[] {
  if (before === after) return [];
  const model = modelField(before);
  if (model === null || model === modelField(after)) return [];
  const names = engine.gateText(model);
  return [{ surface: "model field", names: names.length ? names : ["(model name)"] }];
}

function addCounts(into: Counts, from: Counts): void {
  for (const [name, n] of Object.entries(from)) into[name] = (into[name] ?? 0) + n;
}
