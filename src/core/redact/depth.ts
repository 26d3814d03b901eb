/**
 * Transport depth: how many layers of transport JSON a position in a request body sits under.
 * 0 outside any string (or in a body that is not JSON), 1 in a string of the body, 2 in a string
 * of the JSON text that a JSON-text key carries (the agent's data: the `json` and `opaque` fields
 * of its dialect's tool calls, e.g. a Responses function call's `arguments`). A file's own JSON (a
 * `config.json` printed by `cat`, inside a tool output) is content, not transport: it stays at 1.
 * The same bytes spell a different text at each depth, so the depth decides which spelling (and
 * surrogate) a matched form stands for.
 *
 * ```ts
 * const keys = jsonTextKeys(["arguments"]);
 * const depth = isJsonBody(body) ? transportDepth(body, matchStart, keys) : 0;
 * ```
 */

import { byteStringStart } from "../json-strings.ts";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
/** Keys whose string value is JSON text written by the transport, as bytes. */
export type JsonTextKeys = readonly Uint8Array[];

/** The keys as `transportDepth` reads them (made once per engine). */
export function jsonTextKeys(keys: readonly string[]): JsonTextKeys {
  const encoder = new TextEncoder();
  return [...new Set(keys)].map((key) => encoder.encode(key));
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Whether the body is JSON (an object or array), by its first non-space byte. */
function looksLikeJson(body: Uint8Array): boolean {
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (!isSpace(c)) return c === 0x7b || c === 0x5b;
  }
  return false;
}

/** Whether the quote at `q` opens the value of one of `keys` (`"arguments":"`). */
function opensJsonText(body: Uint8Array, q: number, keys: JsonTextKeys): boolean {
  if (keys.length === 0) return false;
  let k = q - 1;
  while (k >= 0 && isSpace(body[k])) k--;
  if (body[k] !== COLON) return false;
  k--;
  while (k >= 0 && isSpace(body[k])) k--;
  if (body[k] !== QUOTE) return false;
  for (const key of keys) if (isKeyBefore(body, k, key)) return true;
  return false;
}

/** Whether `"key` ends just before the closing quote at `k`. */
function isKeyBefore(body: Uint8Array, k: number, key: Uint8Array): boolean {
  const start = k - key.length - 1;
  if (start < 0 || body[start] !== QUOTE) return false;
  for (let i = 0; i < key.length; i++) if (body[start + 1 + i] !== key[i]) return false;
  return true;
}

/** Whether the body is JSON; compute once per body and pass to `transportDepth`. */
export function isJsonBody(body: Uint8Array): boolean {
  return looksLikeJson(body);
}

/**
 * The transport depth at `target`, a byte offset inside a string of a JSON body: 2 inside a
 * nested string of a JSON-text value (`arguments`), else 1. Reads back to the string's opening
 * quote (inside a string every quote is escaped), so only the string holding the match is read.
 */
export function transportDepth(body: Uint8Array, target: number, keys: JsonTextKeys): number {
  const q = byteStringStart(body, target);
  if (q < 0) return 0;
  if (!opensJsonText(body, q, keys)) return 1;
  // JSON text inside the string: a quote of its own strings is `\"` whose backslash run has
  // length 1 mod 4 (an escaped quote inside them, 3 mod 4).
  let nested = false;
  for (let p = body.indexOf(QUOTE, q + 1); p >= 0 && p < target; p = body.indexOf(QUOTE, p + 1)) {
    let k = p - 1;
    while (k > q && body[k] === BACKSLASH) k--;
    if ((p - 1 - k) % 4 === 1) nested = !nested;
  }
  return nested ? 2 : 1;
}

/** The transport depth at each of `starts`; 0 throughout a body that is not JSON. */
export function transportDepths(
  body: Uint8Array,
  starts: readonly number[],
  keys: JsonTextKeys,
): number[] {
  if (!looksLikeJson(body)) return starts.map(() => 0);
  return starts.map((start) => transportDepth(body, start, keys));
}
