/**
 * Redaction of one buffer: every match replaced by its value's surrogate, everything else copied
 * through untouched. The input is never parsed or re-serialized, so bytes around a value stay
 * byte-identical, and an input without matches comes back as the very same object.
 */
import type { Counts } from "../types.ts";
import type { Match } from "./matcher.ts";

/**
 * `matches` must be sorted and disjoint (as `Matcher.find` returns them); `surrogates[i]` replaces
 * `matches[i]`, and `names[i]` lists the values it stood for (for the counts).
 */
export function replaceMatches(
  input: Uint8Array,
  matches: readonly Match[],
  surrogates: readonly Uint8Array[],
  names: readonly (readonly string[])[],
): { output: Uint8Array; counts: Counts } {
  const counts: Counts = {};
  if (matches.length === 0) return { output: input, counts };
  let size = input.length;
  for (let i = 0; i < matches.length; i++) {
    size += surrogates[i].length - (matches[i].end - matches[i].start);
  }
  const output = new Uint8Array(size);
  let from = 0;
  let to = 0;
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i];
    output.set(input.subarray(from, m.start), to);
    to += m.start - from;
    const surrogate = surrogates[i];
    output.set(surrogate, to);
    to += surrogate.length;
    from = m.end;
    for (const name of names[i]) counts[name] = (counts[name] ?? 0) + 1;
  }
  output.set(input.subarray(from), to);
  return { output, counts };
}
