/**
 * Where JSON strings start and end, for every part of the core that scans JSON by hand (a quote
 * is escaped when an odd run of backslashes precedes it). Text and byte variants: restore reads
 * decoded text, redaction reads the request's bytes.
 *
 * ```ts
 * const end = stringEnd(text, bodyStart, text.length); // the closing quote, or `to`
 * const open = byteStringStart(bytes, matchStart);     // the opening quote before, or -1
 * ```
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** End of the JSON string whose body starts at `from` in text (its closing quote), or `to`. */
export function stringEnd(text: string, from: number, to: number): number {
  let q = text.indexOf('"', from);
  while (q >= 0 && q < to) {
    let k = q - 1;
    while (k >= from && text.charCodeAt(k) === BACKSLASH) k--;
    if ((q - 1 - k) % 2 === 0) return q;
    q = text.indexOf('"', q + 1);
  }
  return to;
}

/** The first unescaped quote in `bytes` at or after `from` (a string's end), or `bytes.length`. */
export function byteStringEnd(bytes: Uint8Array, from: number): number {
  for (let i = bytes.indexOf(QUOTE, from); i >= 0; i = bytes.indexOf(QUOTE, i + 1)) {
    if (!byteQuoteEscaped(bytes, i)) return i;
  }
  return bytes.length;
}

/** The last unescaped quote in `bytes` before `at` (the string holding `at` opens there), or -1. */
export function byteStringStart(bytes: Uint8Array, at: number): number {
  for (let i = bytes.lastIndexOf(QUOTE, at - 1); i >= 0; i = bytes.lastIndexOf(QUOTE, i - 1)) {
    if (!byteQuoteEscaped(bytes, i)) return i;
  }
  return -1;
}

/** Whether the quote at `q` is preceded by an odd run of backslashes. */
function byteQuoteEscaped(bytes: Uint8Array, q: number): boolean {
  let k = q - 1;
  while (k >= 0 && bytes[k] === BACKSLASH) k--;
  return (q - 1 - k) % 2 === 1;
}
