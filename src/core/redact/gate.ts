/**
 * The gate: the last look at what will be sent. It scans with the same compiled matcher as the
 * redaction (learned shape values included) and reports every value of which any form is still
 * present, whether or not it overlaps another. One scan, stopping work per value at its first
 * hit, so it never costs more than the redaction pass.
 */
import type { Matcher } from "./matcher.ts";

/** Names of the values still present in `input`, sorted; empty means safe to send. */
export function valuesPresent(
  matcher: Matcher,
  input: Uint8Array,
  nameOf: (id: number) => string,
): string[] {
  const ids = matcher.present(input);
  if (ids.size === 0) return [];
  return [...new Set([...ids].map(nameOf))].sort();
}
