/**
 * The gate: the last look at what will be sent. It scans with the same compiled matcher as the
 * redaction (learned shape values included) and reports every value of which any form is still
 * present, whether or not it overlaps another. One scan, stopping work per value at its first
 * hit, so it never costs more than the redaction pass; with encoded forms on, a second look at
 * base64 that a tool wrapped into lines (wrapped-base64.ts), joined.
 */
import type { Matcher } from "./matcher.ts";
import { unwrappedBase64Runs } from "./wrapped-base64.ts";

export interface GateOptions {
  /** Report name of a form's value. */
  nameOf: (id: number) => string;
  /** Also join wrapped base64 lines and look there (the matcher holds base64 forms). */
  wrappedBase64: boolean;
}

/** Names of the values still present in `input`, sorted; empty means safe to send. */
export function valuesPresent(matcher: Matcher, input: Uint8Array, options: GateOptions): string[] {
  const ids = matcher.present(input);
  if (options.wrappedBase64) {
    for (const joined of unwrappedBase64Runs(input)) {
      for (const id of matcher.present(joined)) ids.add(id);
    }
  }
  if (ids.size === 0) return [];
  return [...new Set([...ids].map(options.nameOf))].sort();
}
