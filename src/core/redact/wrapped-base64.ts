/**
 * Base64 as tools print it: wrapped into lines of one width (coreutils `base64` at 76 columns,
 * `openssl base64` and PEM at 64). A value's base64 form is then cut by a line break wherever the
 * wrap falls, so no compiled form matches the text as sent. The gate joins such runs of lines and
 * looks again: a value found there refuses the request (redaction does not rewrite across lines).
 *
 * A run is two or more lines of the base64 alphabet, every line but the last of one width (at
 * least MIN_WIDTH), separated by a line break as it appears in the body: raw (`\n`, `\r\n`) or
 * JSON-escaped at any depth (`\n`, `\\n`, `\r\n`, ...).
 *
 * ```ts
 * for (const joined of unwrappedBase64Runs(body)) matcher.present(joined);
 * ```
 */

/** Narrower lines than this are not taken for wrapped base64 (too common in ordinary text). */
const MIN_WIDTH = 16;
/** Wider lines are not a wrap: one long run is matched as it is. */
const MAX_WIDTH = 1024;

const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const N = 0x6e;
const R = 0x72;
const PAD = 0x3d;

const BASE64 = new Uint8Array(256);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
  BASE64[c.charCodeAt(0)] = 1;
}

/** End of the line break starting at `i` (raw or JSON-escaped, CR LF kept together), or -1. */
function breakEnd(input: Uint8Array, i: number): number {
  let j = i;
  let seen = false;
  while (j < input.length) {
    const c = input[j];
    if (c === LF || c === CR) {
      j++;
      seen = true;
      continue;
    }
    if (c !== BACKSLASH) break;
    let k = j;
    while (k < input.length && input[k] === BACKSLASH) k++;
    if (k < input.length && (input[k] === N || input[k] === R)) {
      j = k + 1;
      seen = true;
      continue;
    }
    break;
  }
  return seen ? j : -1;
}

/** End of the base64 line starting at `i` (padding allowed at its end). */
function lineEnd(input: Uint8Array, i: number): number {
  let j = i;
  while (j < input.length && BASE64[input[j]]) j++;
  while (j < input.length && input[j] === PAD && j - i < MAX_WIDTH) j++;
  return j;
}

/**
 * Each run of wrapped base64 lines in `input`, its lines joined. Only line breaks are visited
 * (found by the runtime's native byte search), so ordinary text costs a short look back per break.
 */
export function unwrappedBase64Runs(input: Uint8Array): Uint8Array[] {
  const runs: Uint8Array[] = [];
  let nextLf = input.indexOf(LF);
  let nextBackslash = input.indexOf(BACKSLASH);
  let from = 0;
  while (nextLf >= 0 || nextBackslash >= 0) {
    const p = nextBackslash < 0 || (nextLf >= 0 && nextLf < nextBackslash) ? nextLf : nextBackslash;
    let stop = p + 1;
    if (breakEnd(input, p) >= 0) {
      let end = p;
      if (end > from && input[end - 1] === CR) end--;
      let start = end;
      while (start > from && end - start <= MAX_WIDTH && input[start - 1] === PAD) start--;
      while (start > from && end - start <= MAX_WIDTH && BASE64[input[start - 1]]) start--;
      const width = end - start;
      if (width >= MIN_WIDTH && width <= MAX_WIDTH && !BASE64[input[start - 1] ?? 0]) {
        const run = runFrom(input, start, end);
        if (run) {
          runs.push(run.joined);
          stop = run.end;
        }
      }
    }
    from = stop;
    if (nextLf >= 0 && nextLf < stop) nextLf = input.indexOf(LF, stop);
    if (nextBackslash >= 0 && nextBackslash < stop) nextBackslash = input.indexOf(BACKSLASH, stop);
  }
  return runs;
}

/** The run whose first line is `start..end`, joined, or null if it has one line only. */
function runFrom(
  input: Uint8Array,
  start: number,
  end: number,
): { joined: Uint8Array; end: number } | null {
  const width = end - start;
  const lines: [number, number][] = [[start, end]];
  while (input[end - 1] !== PAD) { // padding ends the encoded text
    const next = breakEnd(input, end);
    if (next < 0) break;
    const after = lineEnd(input, next);
    const length = after - next;
    if (length === 0 || length > width) break;
    lines.push([next, after]);
    end = after;
    if (length < width) break; // the last, shorter line
  }
  if (lines.length < 2) return null;
  const joined = new Uint8Array(lines.reduce((n, [a, b]) => n + b - a, 0));
  let at = 0;
  for (const [a, b] of lines) {
    joined.set(input.subarray(a, b), at);
    at += b - a;
  }
  return { joined, end };
}
