/**
 * Redaction of one buffer: every match replaced by its value's surrogate, everything else copied
 * through untouched. The input is never parsed or re-serialized, so bytes around a value stay
 * byte-identical, and an input without matches comes back as the very same object.
 */
import type { Counts } from "./types.ts";
import type { Match } from "./matcher.ts";

export interface Replacements {
  /** Surrogate bytes per value id. */
  surrogates: readonly Uint8Array[];
  /** Report name per value id. */
  names: readonly string[];
}

/** `matches` must be sorted and disjoint (as `Matcher.find` returns them). */
export function replaceMatches(
  input: Uint8Array,
  matches: readonly Match[],
  table: Replacements,
): { output: Uint8Array; counts: Counts } {
  const counts: Counts = {};
  if (matches.length === 0) return { output: input, counts };
  let size = input.length;
  for (const m of matches) size += table.surrogates[m.id].length - (m.end - m.start);
  const output = new Uint8Array(size);
  let from = 0;
  let to = 0;
  for (const m of matches) {
    output.set(input.subarray(from, m.start), to);
    to += m.start - from;
    const surrogate = table.surrogates[m.id];
    output.set(surrogate, to);
    to += surrogate.length;
    from = m.end;
    const name = table.names[m.id];
    counts[name] = (counts[name] ?? 0) + 1;
  }
  output.set(input.subarray(from), to);
  return { output, counts };
}
