/**
 * One multi-pattern matcher over UTF-8 bytes for every form of every protected value.
 *
 * Sampled q-gram filter with verification. Every pattern is at least `minLength` bytes long, so
 * with a stride `s = minLength - q + 1` any occurrence contains a q-gram starting at a text
 * position that is a multiple of `s`, at an offset within a window of `s` consecutive offsets of
 * the pattern. Each pattern registers the `s` q-grams of one such window (placed away from common
 * prefixes like `sk-proj-`); the scan reads one q-gram every `s` bytes, tests a bit filter, and
 * only on a hit looks the gram up and verifies the few candidate patterns. The scan reads `n / s`
 * grams whatever the number of patterns: its cost does not grow with the registry.
 *
 * Storage is flat typed arrays (pattern bytes, a gram hash table, candidate lists), so compiling
 * thousands of patterns allocates a handful of buffers, not thousands of objects.
 */

/** Gram length in bytes: four bytes fit one 32-bit integer. */
const Q = 4;
/** Fibonacci hashing multiplier. */
const HASH_MULTIPLIER = 0x9e3779b1;
/** Second hash of the two-bit filter (a Bloom filter with k = 2). */
const SECOND_MULTIPLIER = 0x85ebca6b;
/**
 * No candidate: a free slot's head, a list's end. Candidate records start at 1, so a freshly
 * allocated (zeroed) table is all free slots without a fill.
 */
const EMPTY = 0;
/** Largest share of gram table slots in use before it grows. */
const MAX_LOAD = 0.5;
/** Fields of a gram table slot after the gram itself. */
const HEAD = 1;
const TAIL = 2;
const SIZE = 3;
/** Fields of a pattern's record. */
const START = 0;
const LENGTH = 1;
const ID = 2;
const RANK = 3;
/** Fields of a candidate's record. */
const PATTERN = 0;
const OFFSET = 1;
const NEXT = 2;
const C_LENGTH = 3;

/** A verified occurrence: bytes `[start, end)` hold a form of value `id`. */
export interface Match {
  start: number;
  end: number;
  id: number;
  /**
   * Set when overlapping occurrences were merged into one span (neither contained the other):
   * the ids of all of them, `id` being the first.
   */
  ids?: number[];
}

const encoder = new TextEncoder();

/** A copy of `array` with twice the room. */
function grown(array: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const next = new Int32Array(array.length * 2);
  next.set(array);
  return next;
}

/**
 * Patterns added with a higher `rank` lose to lower-ranked ones where they overlap, whatever
 * their position or length (registered values win over values learned by shape detection).
 */
export class Matcher {
  readonly minLength: number;
  private readonly q: number;
  private readonly stride: number;
  private readonly gramMask: number;
  /** Pattern bytes, back to back. */
  private bytes: Uint8Array;
  private bytesView: DataView;
  private used = 0;
  /** Per pattern, four integers: START (in `bytes`), LENGTH, ID, RANK. */
  private meta: Int32Array<ArrayBuffer>;
  private count = 0;
  /**
   * Open-addressing table, four integers per slot so a lookup touches one cache line: the gram,
   * its first and last candidate (EMPTY head: free slot), and their count.
   */
  private table = new Int32Array(0);
  private slots = 0;
  /**
   * Per candidate, four integers: the PATTERN whose gram at OFFSET is the key, the NEXT candidate
   * of the same gram, and the pattern's length (C_LENGTH), so most rejections touch one record.
   * Record 0 is unused (see EMPTY).
   */
  private cands = new Int32Array(256 * 4);
  private candidates = 1;
  /** Table slots in use (distinct grams). */
  private grams = 0;
  /**
   * Int32, not Uint32: JavaScriptCore's optimizing tiers read typed array words as int32, so a
   * Uint32 word with its top bit set failed that speculation and dropped the scan to the baseline
   * tier for the rest of the call (a 50 KB scan in the proxy took 0.26 ms instead of 0.03).
   */
  private filter = new Int32Array(0);
  private filterShift = 0;

  /**
   * `minLength`: the shortest pattern this matcher will ever be given (at least 1); the expected
   * pattern count and total length size the storage up front (it grows past them if needed).
   */
  constructor(minLength: number, expectedPatterns = 0, expectedBytes = 0) {
    this.minLength = Math.max(1, Math.floor(minLength));
    this.q = Math.min(Q, this.minLength);
    this.stride = this.minLength - this.q + 1;
    this.gramMask = this.q === 4 ? -1 : (1 << (8 * this.q)) - 1;
    this.bytes = new Uint8Array(Math.max(1024, expectedBytes));
    this.bytesView = new DataView(this.bytes.buffer);
    const capacity = Math.max(64, expectedPatterns);
    this.meta = new Int32Array(capacity * 4);
    this.resize(expectedPatterns * this.stride);
  }

  /**
   * Registers the UTF-8 bytes of `pattern` for value `id`. Among identical patterns the first
   * registered is found first, so it wins ties. `rank`: a small non-negative integer.
   */
  add(pattern: string, id: number, rank = 0): void {
    const start = this.used;
    let { read, written: length } = encoder.encodeInto(pattern, this.bytes.subarray(start));
    if (read < pattern.length) {
      // Grown only when it did not fit (UTF-8 takes at most three bytes per UTF-16 code unit):
      // sized up front from the forms' lengths, ASCII patterns fill the store exactly.
      const next = new Uint8Array(Math.max(this.bytes.length * 2, start + pattern.length * 3));
      next.set(this.bytes.subarray(0, start));
      this.bytes = next;
      this.bytesView = new DataView(next.buffer);
      ({ read, written: length } = encoder.encodeInto(pattern, next.subarray(start)));
    }
    if (length < this.minLength) {
      throw new RangeError(`pattern shorter than the matcher's minimum (${this.minLength})`);
    }
    this.used += length;
    const index = this.count++;
    if (index * 4 === this.meta.length) this.meta = grown(this.meta);
    const m = index * 4;
    this.meta[m + START] = start;
    this.meta[m + LENGTH] = length;
    this.meta[m + ID] = id;
    this.meta[m + RANK] = rank;
    if (this.grams + this.stride > this.slots * MAX_LOAD) this.resize(2 * this.grams + this.stride);
    const base = this.windowFor(start, length);
    for (let offset = base; offset < base + this.stride; offset++) {
      this.insert(this.patternGram(start + offset), index, offset);
    }
  }

  /**
   * Leftmost-longest non-overlapping matches in `text`, in order: a value that contains another
   * wins as a whole; occurrences that overlap without containment are merged into one span. Identical spans go to the pattern registered first, so the result is
   * deterministic. Lower ranks win over higher ranks they overlap.
   */
  find(text: Uint8Array): Match[] {
    const found = this.scan(text, false);
    if (found.length === 0) return [];
    // Ranks are small non-negative integers: an array indexed by rank visits them in order.
    const byRank: Match[][] = [];
    for (let i = 0; i < found.length; i += 3) {
      const pattern = found[i + 2];
      const rank = this.meta[pattern * 4 + RANK];
      const match = { start: found[i], end: found[i + 1], id: this.meta[pattern * 4 + ID] };
      (byRank[rank] ??= []).push(match);
    }
    let chosen: Match[] = [];
    for (const list of byRank) if (list) chosen = mergeDisjoint(chosen, leftmostLongest(list));
    return chosen;
  }

  /** Ids of every value with some form in `text`, overlapping or not; empty when clean. */
  present(text: Uint8Array): Set<number> {
    const found = this.scan(text, true);
    const ids = new Set<number>();
    for (let i = 2; i < found.length; i += 3) ids.add(this.meta[found[i] * 4 + ID]);
    return ids;
  }

  /**
   * Verified occurrences as flat (start, end, pattern index) triples, in discovery order.
   * `firstPerId` stops recording a value after its first occurrence (the gate only needs to
   * know which values are present).
   */
  private scan(text: Uint8Array, firstPerId: boolean): number[] {
    const found: number[] = [];
    const n = text.length;
    if (n < this.minLength || this.count === 0) return found;
    const { stride, filter, filterShift, gramMask, table } = this;
    const mask = this.slots - 1;
    const seen = firstPerId ? new Set<number>() : undefined;
    const last = n - Q;
    // One unaligned little-endian load per sample: measured faster than four byte loads.
    const view = new DataView(text.buffer, text.byteOffset, text.byteLength);
    let p = 0;
    for (; p <= last; p += stride) {
      const gram = view.getInt32(p, true) & gramMask;
      const hash = Math.imul(gram, HASH_MULTIPLIER);
      const h = hash >>> filterShift;
      if ((filter[h >>> 5] & (1 << (h & 31))) === 0) continue;
      // Most misses stop at the first bit; the second one keeps table lookups (cache misses in
      // a large table) for grams that are really there.
      const h2 = Math.imul(gram, SECOND_MULTIPLIER) >>> filterShift;
      if ((filter[h2 >>> 5] & (1 << (h2 & 31))) === 0) continue;
      let at = (hash & mask) << 2;
      while (table[at + HEAD] !== EMPTY && table[at] !== gram) at = (at + 4) & (mask << 2);
      if (table[at + HEAD] !== EMPTY) this.verify(text, p, table[at + HEAD], found, seen);
    }
    // Grams shorter than four bytes can also start in the last three bytes.
    for (; p + this.q <= n; p += stride) {
      const at = this.slotOf(this.gramAt(text, p));
      if (table[at + HEAD] !== EMPTY) this.verify(text, p, table[at + HEAD], found, seen);
    }
    return found;
  }

  /** Checks the candidates from `first` on (one gram's list) against the text around `p`. */
  private verify(
    text: Uint8Array,
    p: number,
    first: number,
    found: number[],
    seen: Set<number> | undefined,
  ): void {
    const { bytes, meta, cands } = this;
    for (let c = first; c !== EMPTY; c = cands[c + NEXT]) {
      const start = p - cands[c + OFFSET];
      const length = cands[c + C_LENGTH];
      if (start < 0 || start + length > text.length) continue;
      const index = cands[c + PATTERN];
      if (seen?.has(meta[index * 4 + ID])) continue;
      const from = meta[index * 4 + START];
      let i = 0;
      while (i < length && text[start + i] === bytes[from + i]) i++;
      if (i < length) continue;
      found.push(start, start + length, index);
      seen?.add(meta[index * 4 + ID]);
    }
  }

  /**
   * Where the pattern's window of grams starts. Key-shaped values share prefixes (`sk-proj-`,
   * `ghp_`, `-----BEGIN`) and some have runs of one character, so a few positions are tried
   * (the middle first) and the one whose grams have the fewest candidates so far is taken: the
   * scan then verifies few candidates per filter hit.
   */
  private windowFor(start: number, length: number): number {
    const room = length - (this.stride + this.q - 1);
    if (room <= 0) return 0;
    let best = room >> 1;
    let bestLoad = this.load(start + best);
    for (const offset of [room, 0, room >> 2, (3 * room) >> 2]) {
      // A few candidates per gram is as good as it gets for low-entropy forms such as hex.
      if (bestLoad <= 4 * this.stride) break;
      const load = this.load(start + offset);
      if (load < bestLoad) {
        best = offset;
        bestLoad = load;
      }
    }
    return best;
  }

  /** Candidates already registered under the grams of a window starting at `at` in `bytes`. */
  private load(at: number): number {
    let total = 0;
    for (let i = 0; i < this.stride; i++) {
      const slot = this.slotOf(this.patternGram(at + i));
      if (this.table[slot + HEAD] !== EMPTY) total += this.table[slot + SIZE];
    }
    return total;
  }

  /** Where in `table` the slot holding `gram` is, or the free slot where it would go. */
  private slotOf(gram: number): number {
    const { table } = this;
    const wrap = (this.slots - 1) << 2;
    let at = (Math.imul(gram, HASH_MULTIPLIER) << 2) & wrap;
    while (table[at + HEAD] !== EMPTY && table[at] !== gram) at = (at + 4) & wrap;
    return at;
  }

  /** The q-gram at `at` in the pattern store. */
  private patternGram(at: number): number {
    return this.q === Q ? this.bytesView.getInt32(at, true) : this.gramAt(this.bytes, at);
  }

  /** The q-gram at `offset` as an integer, little-endian, the same way the scan reads text. */
  private gramAt(bytes: Uint8Array, offset: number): number {
    let gram = 0;
    for (let i = this.q - 1; i >= 0; i--) gram = (gram << 8) | bytes[offset + i];
    return gram & this.gramMask;
  }

  private insert(gram: number, index: number, offset: number): void {
    const c = this.candidates++ * 4;
    if (c === this.cands.length) this.cands = grown(this.cands);
    this.cands[c + PATTERN] = index;
    this.cands[c + OFFSET] = offset;
    this.cands[c + NEXT] = EMPTY;
    this.cands[c + C_LENGTH] = this.meta[index * 4 + LENGTH];
    const { table } = this;
    const slot = this.slotOf(gram);
    if (table[slot + HEAD] === EMPTY) {
      table[slot] = gram;
      table[slot + HEAD] = c;
      this.grams++;
      table[slot + SIZE] = 0;
      const h = Math.imul(gram, HASH_MULTIPLIER) >>> this.filterShift;
      this.filter[h >>> 5] |= 1 << (h & 31);
      const h2 = Math.imul(gram, SECOND_MULTIPLIER) >>> this.filterShift;
      this.filter[h2 >>> 5] |= 1 << (h2 & 31);
    } else {
      this.cands[table[slot + TAIL] + NEXT] = c;
    }
    table[slot + TAIL] = c;
    table[slot + SIZE]++;
  }

  /**
   * Sizes the gram table (at most MAX_LOAD full, so probe runs stay short) and the bit filter
   * for `grams` distinct grams, re-inserting what is there. The filter gets 32 bits per gram, two
   * set per gram: measured faster than 16 (more misses reach the table) and 64 (more cache
   * misses in the filter itself).
   */
  private resize(grams: number): void {
    let slots = 1024;
    while (slots * MAX_LOAD < grams) slots *= 2;
    let bits = 16;
    while (bits < 24 && (1 << bits) < grams * 32) bits++;
    const old = { table: this.table, cands: this.cands };
    const oldCandidates = this.candidates;
    this.slots = slots;
    this.table = new Int32Array(slots * 4);
    this.filter = new Int32Array(1 << (bits - 5));
    this.filterShift = 32 - bits;
    this.cands = new Int32Array(Math.max(256, grams + 1, oldCandidates * 2) * 4);
    this.candidates = 1;
    this.grams = 0;
    // Re-insert each old slot's list in order, keeping registration order among candidates.
    for (let slot = 0; slot < old.table.length; slot += 4) {
      for (let c = old.table[slot + HEAD]; c !== EMPTY; c = old.cands[c + NEXT]) {
        this.insert(old.table[slot], old.cands[c + PATTERN], old.cands[c + OFFSET]);
      }
    }
  }
}

/**
 * Sorts `matches` and keeps the leftmost-longest disjoint ones. A match that starts inside the
 * kept one and ends past it extends it: the union of both is protected, so no tail of either
 * value is left in clear.
 */
export function leftmostLongest(matches: Match[]): Match[] {
  // Discovery order is not start order; the sort is stable, so identical spans keep theirs.
  matches.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Match[] = [];
  let end = 0;
  for (const m of matches) {
    if (m.start >= end) {
      out.push(m);
      end = m.end;
    } else if (m.end > end) {
      const last = out[out.length - 1];
      out[out.length - 1] = {
        start: last.start,
        end: m.end,
        id: last.id,
        ids: [...(last.ids ?? [last.id]), m.id],
      };
      end = m.end;
    }
  }
  return out;
}

/** `kept` plus those of `extra` (both sorted, each disjoint) that overlap nothing in `kept`. */
export function mergeDisjoint(kept: Match[], extra: Match[]): Match[] {
  if (kept.length === 0) return extra;
  const out: Match[] = [];
  let k = 0;
  for (const m of extra) {
    while (k < kept.length && kept[k].end <= m.start) out.push(kept[k++]);
    if (k < kept.length && kept[k].start < m.end) continue;
    out.push(m);
  }
  while (k < kept.length) out.push(kept[k++]);
  return out;
}
