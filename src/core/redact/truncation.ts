/**
 * Truncation-aware matching. An agent may shorten a long tool output in the middle, keeping its
 * head and tail around a marker, before it sends the output back to the model. Which markers it
 * writes and where its tool outputs sit is the agent's data (`Dialect.truncation` in its
 * `src/agents/<name>/wire.ts`, e.g. `…N tokens truncated…`); this module only finds the edges.
 * A value cut by the marker is no longer whole, so the matcher misses both pieces, and a model
 * that reads the file twice with different output limits can join a head piece and a tail piece.
 *
 * So, at the edges where a cut can fall, a piece of a value is replaced like the whole value:
 * - just before a marker, and at the end of a tool output: a prefix of any form of a value;
 * - just after a marker, and at the start of a tool output (after the agent's output header, if
 *   it writes one): a suffix of any form.
 *
 * The minimum piece is MIN_PIECE bytes, or a quarter of the form for forms shorter than
 * 4 x MIN_PIECE, never below FLOOR_PIECE. What can still leak is the piece below the minimum at
 * each end: at most 2 x (MIN_PIECE - 1) = 14 bytes of a long value, a little under half of a
 * short one, however many reads are combined, since every read cuts at one of these edges.
 *
 * Elsewhere (a piece in the middle of a line, `cut -c`, `dd skip=`) nothing is caught: those are
 * not cuts an agent makes.
 *
 * ```ts
 * const pieces = truncationFinder(formsById, dialect.truncation);
 * const matches = pieces(requestBytes); // value pieces at cut edges, sorted and disjoint
 * ```
 */
import type { Match } from "./matcher.ts";
import { byteStringEnd, byteStringStart } from "../json-strings.ts";

/**
 * A marker an agent writes where it cut a tool output: `open`, at most `within` bytes, `close`
 * (e.g. `…`, `12 tokens truncated`, `…`). Matched in the request's JSON as written and, when it
 * has non-ASCII characters, as `\uXXXX` escapes too.
 */
export interface CutMarker {
  readonly open: string;
  readonly close: string;
  /** The most bytes between the end of `open` and the start of `close`. */
  readonly within: number;
  /** What the text between must be (tested on one character per byte); absent: anything. */
  readonly between?: RegExp;
}

/** How one agent cuts long tool outputs, as data (see the module comment). */
export interface Truncation {
  readonly markers: readonly CutMarker[];
  /** Keys of the JSON strings that hold whole tool outputs (e.g. `output`, `text`). */
  readonly outputKeys: readonly string[];
  /**
   * A header the agent writes before a tool's own output (e.g. `Output:\n`), looked for
   * in the first `within` bytes of an output: the output's start edge is after it.
   */
  readonly outputHeader?: { readonly text: string; readonly within: number };
}

export const MIN_PIECE = 8;
const FLOOR_PIECE = 4;
/** Longer forms are left to their own lines (PEM values register each line as a value). */
const MAX_FORM = 512;

const encoder = new TextEncoder();
/** Short slices only (the marker's middle): bytes 0x80-0x9f decode to other characters, still one each. */
const latin1 = new TextDecoder("latin1");

/** Smallest piece of a form of `length` bytes that is replaced. */
export function minimumPiece(length: number): number {
  return Math.max(FLOOR_PIECE, Math.min(MIN_PIECE, Math.ceil(length / 4)));
}

/**
 * A byte pattern and the index of its rarest byte in request JSON: the scans below jump with the
 * native `indexOf` from one occurrence of that byte to the next, instead of decoding the body.
 */
interface Pattern {
  bytes: Uint8Array;
  anchor: number;
}
/**
 * The anchor: the first byte that is not a letter, a quote, a backslash, a slash or a space, the
 * bytes JSON text is mostly made of (`…` -> its first byte, `"output":"` -> `:`, `/>` -> `>`).
 */
function pattern(text: string): Pattern {
  const bytes = encoder.encode(text);
  const anchor = bytes.findIndex((c) =>
    !((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x22 || c === 0x5c ||
      c === 0x2f || c === 0x20)
  );
  return { bytes, anchor: anchor < 0 ? bytes.length - 1 : anchor };
}

/** A marker's spelling in request JSON: its bytes as patterns and its rules. */
interface MarkerPattern {
  open: Pattern;
  close: Pattern;
  within: number;
  between?: RegExp;
}

/** A `Truncation` as byte patterns, made once per value. */
interface Edges {
  markers: MarkerPattern[];
  keys: Pattern[];
  header?: { pattern: Pattern; within: number };
}

/** Non-ASCII characters as JSON `\uXXXX` escapes, as a serializer that escapes them writes. */
const asciiEscaped = (text: string) =>
  text.replace(/[\u0080-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));

const compiled = new WeakMap<Truncation, Edges>();
function edgesOf(truncation: Truncation): Edges {
  let edges = compiled.get(truncation);
  if (edges) return edges;
  const markers: MarkerPattern[] = [];
  for (const m of truncation.markers) {
    const rule = { within: m.within, between: m.between };
    markers.push({ open: pattern(m.open), close: pattern(m.close), ...rule });
    const [open, close] = [asciiEscaped(m.open), asciiEscaped(m.close)];
    if (open !== m.open || close !== m.close) {
      markers.push({ open: pattern(open), close: pattern(close), ...rule });
    }
  }
  const header = truncation.outputHeader;
  edges = {
    markers,
    keys: truncation.outputKeys.map((key) => pattern(`"${key}":"`)),
    header: header &&
      { pattern: pattern(JSON.stringify(header.text).slice(1, -1)), within: header.within },
  };
  compiled.set(truncation, edges);
  return edges;
}

/** The first occurrence of `p` in `bytes` starting in [`from`, `to`], or -1. */
function find(bytes: Uint8Array, p: Pattern, from: number, to = bytes.length): number {
  const { bytes: needle, anchor } = p;
  const byte = needle[anchor];
  for (let at = bytes.indexOf(byte, from + anchor); at >= 0; at = bytes.indexOf(byte, at + 1)) {
    const start = at - anchor;
    if (start > to || start + needle.length > bytes.length) return -1;
    if (same(bytes, start, needle, 0, needle.length)) return start;
  }
  return -1;
}

interface Form {
  bytes: Uint8Array;
  id: number;
  min: number;
}

/** A 4-byte key, big-endian, as a signed int (see bun-facts: top-bit words and JSC). */
function key4(bytes: Uint8Array, at: number): number {
  return (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
}

/**
 * A bit per 20-bit hash of a 4-byte key: every edge tries up to MAX_FORM start positions, and a
 * bit test rules out almost all of them before a Map lookup (which cost ~20 ms per 5 MB body).
 */
const BITS_SHIFT = 12;
const hashOf = (key: number) => Math.imul(key, 0x9e3779b1) >>> BITS_SHIFT;
const newBits = () => new Int32Array(1 << (32 - BITS_SHIFT - 5));
function setBit(bits: Int32Array, key: number): void {
  const h = hashOf(key);
  bits[h >>> 5] |= 1 << (h & 31);
}
function hasBit(bits: Int32Array, key: number): boolean {
  const h = hashOf(key);
  return (bits[h >>> 5] & (1 << (h & 31))) !== 0;
}

/**
 * A finder of value pieces at cut edges, for the forms of each value id. The index is built on
 * first use (most requests of a session carry tool outputs, but a launch should not pay for it).
 */
export function truncationFinder(
  forms: readonly (readonly string[])[],
  truncation: Truncation | undefined,
): (input: Uint8Array) => Match[] {
  if (truncation === undefined) return () => [];
  const edgesFor = edgesOf(truncation);
  let byFirst: Map<number, Form[]> | undefined;
  let byLast: Map<number, Form[]>;
  const firstBits = newBits();
  const lastBits = newBits();
  let longest = 0;
  function build(): void {
    byFirst = new Map();
    byLast = new Map();
    forms.forEach((list, id) => {
      for (const text of list) {
        const bytes = encoder.encode(text);
        if (bytes.length < FLOOR_PIECE + 1 || bytes.length > MAX_FORM) continue;
        const form = { bytes, id, min: minimumPiece(bytes.length) };
        longest = Math.max(longest, bytes.length);
        push(byFirst!, key4(bytes, 0), form);
        push(byLast, key4(bytes, bytes.length - 4), form);
        setBit(firstBits, key4(bytes, 0));
        setBit(lastBits, key4(bytes, bytes.length - 4));
      }
    });
  }

  /** The longest proper prefix of a form ending exactly at `end`. */
  function prefixAt(input: Uint8Array, end: number, floor: number): Match | null {
    for (let start = Math.max(floor, end - longest); start + FLOOR_PIECE <= end; start++) {
      const key = key4(input, start);
      if (!hasBit(firstBits, key)) continue;
      const candidates = byFirst!.get(key);
      if (!candidates) continue;
      const length = end - start;
      for (const form of candidates) {
        if (length < form.min || length >= form.bytes.length) continue;
        if (same(input, start, form.bytes, 0, length)) {
          return { start, end, id: form.id }; // scanning from the far end: the first is the longest
        }
      }
    }
    return null;
  }

  /** The longest proper suffix of a form starting exactly at `start`. */
  function suffixAt(input: Uint8Array, start: number, ceiling: number): Match | null {
    for (let end = Math.min(ceiling, start + longest); end - FLOOR_PIECE >= start; end--) {
      const key = key4(input, end - 4);
      if (!hasBit(lastBits, key)) continue;
      const candidates = byLast.get(key);
      if (!candidates) continue;
      const length = end - start;
      for (const form of candidates) {
        if (length < form.min || length >= form.bytes.length) continue;
        if (same(input, start, form.bytes, form.bytes.length - length, length)) {
          return { start, end, id: form.id };
        }
      }
    }
    return null;
  }

  return (input) => {
    if (forms.length === 0) return [];
    const edges = edgesIn(input, edgesFor);
    if (edges.before.length === 0 && edges.after.length === 0) return [];
    if (!byFirst) build();
    const found: Match[] = [];
    for (const [end, floor] of edges.before) {
      const m = prefixAt(input, end, floor);
      if (m) found.push(m);
    }
    for (const [start, ceiling] of edges.after) {
      const m = suffixAt(input, start, ceiling);
      if (m) found.push(m);
    }
    return disjoint(found);
  };
}

function push(map: Map<number, Form[]>, key: number, form: Form): void {
  const list = map.get(key);
  if (list) list.push(form);
  else map.set(key, [form]);
}

function same(a: Uint8Array, at: number, b: Uint8Array, from: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[at + i] !== b[from + i]) return false;
  return true;
}

/** Sorted, first of overlapping kept. */
function disjoint(matches: Match[]): Match[] {
  matches.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Match[] = [];
  for (const m of matches) if (out.length === 0 || m.start >= out[out.length - 1].end) out.push(m);
  return out;
}

/**
 * Where a cut can fall in `bytes`: `before` lists [edge, how far back a piece may start], `after`
 * lists [edge, how far on a piece may end]. A piece never crosses the start or end of the string
 * it is in, nor a marker.
 */
export function cutEdges(
  bytes: Uint8Array,
  truncation: Truncation,
): { before: [number, number][]; after: [number, number][] } {
  return edgesIn(bytes, edgesOf(truncation));
}

function edgesIn(
  bytes: Uint8Array,
  { markers, keys, header }: Edges,
): { before: [number, number][]; after: [number, number][] } {
  const before: [number, number][] = [];
  const after: [number, number][] = [];
  for (const { open, close, within, between } of markers) {
    const width = open.bytes.length;
    for (let at = find(bytes, open, 0); at >= 0; at = find(bytes, open, at + 1)) {
      const inside = at + width;
      const closing = find(bytes, close, inside, inside + within);
      if (closing < 0) continue;
      if (between && !between.test(latin1.decode(bytes.subarray(inside, closing)))) continue;
      const end = closing + close.bytes.length;
      before.push([at, stringStart(bytes, at)]);
      after.push([end, stringEnd(bytes, end)]);
      at = end - 1;
    }
  }
  for (const key of keys) {
    for (let at = find(bytes, key, 0); at >= 0; at = find(bytes, key, at + 1)) {
      let start = at + key.bytes.length;
      const end = stringEnd(bytes, start);
      if (header) {
        // The agent's header comes first: look no further than its first few hundred bytes.
        const limit = Math.min(end, start + header.within + header.pattern.bytes.length);
        const found = find(bytes.subarray(start, limit), header.pattern, 0);
        if (found >= 0) start += found + header.pattern.bytes.length;
      }
      after.push([start, end]);
      before.push([end, start]);
      at = end;
    }
  }
  return { before, after };
}

/** Index of the closing quote of the JSON string whose content starts at `from`. */
const stringEnd = byteStringEnd;

/** Index just after the opening quote of the JSON string that holds `at`. */
function stringStart(bytes: Uint8Array, at: number): number {
  return byteStringStart(bytes, at) + 1;
}
