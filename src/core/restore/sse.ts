/**
 * Server-sent events framing, as the restorer needs it: find where events end in a byte stream
 * (LF or CRLF line ends), locate an event's `data` payload and its `type`, without parsing JSON
 * on the fast path. Web standards only.
 */

const LF = 0x0a;
const CR = 0x0d;

/**
 * End (exclusive) of the last complete event in `bytes`: just past the blank line that closes it,
 * or 0 when no event is complete. `before1`/`before2` are the one or two bytes that preceded
 * `bytes` in the stream (-1 when none), so a blank line split across network chunks is found.
 */
export function lastEventEnd(bytes: Uint8Array, before1: number, before2: number): number {
  const at = (i: number) => (i >= 0 ? bytes[i] : i === -1 ? before1 : before2);
  let i = bytes.length;
  while (i > 0) {
    i = bytes.lastIndexOf(LF, i - 1);
    if (i < 0) return 0;
    const p = at(i - 1);
    if (p === LF || (p === CR && at(i - 2) === LF)) return i + 1;
  }
  return 0;
}

/** End (exclusive) of the first complete event in `bytes`, as `lastEventEnd` counts it, or 0. */
export function firstEventEnd(bytes: Uint8Array, before1: number, before2: number): number {
  const at = (i: number) => (i >= 0 ? bytes[i] : i === -1 ? before1 : before2);
  for (let i = bytes.indexOf(LF); i >= 0; i = bytes.indexOf(LF, i + 1)) {
    const p = at(i - 1);
    if (p === LF || (p === CR && at(i - 2) === LF)) return i + 1;
  }
  return 0;
}

/** End (exclusive) of the event starting at `from` in text, or -1 when it is not complete. */
export function nextEventEnd(text: string, from: number): number {
  let i = from;
  while (true) {
    i = text.indexOf("\n", i);
    if (i < 0) return -1;
    const next = text.charCodeAt(i + 1);
    if (next === LF) return i + 2;
    if (next === CR && text.charCodeAt(i + 2) === LF) return i + 3;
    i++;
  }
}

/** Whether a stream's first bytes are SSE; undefined while too few bytes have arrived to tell. */
export function looksLikeSse(head: Uint8Array, complete: boolean): boolean | undefined {
  let i = 0;
  // A UTF-8 byte order mark and leading blank lines are allowed before the first field.
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  while (i < head.length && (head[i] === LF || head[i] === CR)) i++;
  if (i < head.length && head[i] === 0x3a) return true; // ":" starts a comment line
  const line = String.fromCharCode(...head.subarray(i, i + 7));
  for (const field of ["data:", "event:", "id:", "retry:"]) {
    if (line.startsWith(field)) return true;
    if (!complete && field.startsWith(line)) return undefined;
  }
  return false;
}

/**
 * Start of the payload of the event's first `data:` line in text[from, to), or -1. `nl`: where
 * the event's first line break is, if known.
 */
export function dataStart(
  text: string,
  from: number,
  to: number,
  nl = text.indexOf("\n", from),
): number {
  let line: number;
  if (text.startsWith("data:", from)) line = from;
  else {
    // Usually the data line comes right after an `event:` line.
    line = nl >= 0 && text.startsWith("data:", nl + 1) ? nl + 1 : text.indexOf("\ndata:", from) + 1;
    if (line <= 0 || line >= to) return -1;
  }
  return text.charCodeAt(line + 5) === 0x20 ? line + 6 : line + 5;
}

/** The `event:` field of the event, if its first line is one. */
export function eventName(text: string, from: number): string | undefined {
  if (!text.startsWith("event:", from)) return undefined;
  let start = from + 6;
  if (text.charCodeAt(start) === 0x20) start++;
  return text.slice(start, lineEnd(text, start));
}

/** End of the line holding offset `from` (where its CR LF or LF starts). */
export function lineEnd(text: string, from: number): number {
  const nl = text.indexOf("\n", from);
  const end = nl < 0 ? text.length : nl;
  return end > from && text.charCodeAt(end - 1) === CR ? end - 1 : end;
}
