/** What a source hands to the registry before filtering and deduplication. */

export interface Found {
  name: string;
  value: string;
  /** Other literal texts of the same value (the dotenv spelling), mapped to the same surrogate. */
  spellings?: string[];
}

export interface SourceOutput {
  kind: "dotenv" | "env" | "command" | "codex";
  name: string;
  status: "loaded" | "not found" | "error" | "disabled";
  found: Found[];
  /** Reasons the source itself dropped candidates (e.g. `not secret-ish`), reason -> count. */
  skipped: Record<string, number>;
  /** File and line, exit code or timeout: never a value. */
  error?: string;
  /** Secret-ish (or included) names that are set but empty. */
  empty?: string[];
  /** Something the user should know about this source (never a value). */
  note?: string;
}

export function countSkip(skipped: Record<string, number>, reason: string): void {
  skipped[reason] = (skipped[reason] ?? 0) + 1;
}
