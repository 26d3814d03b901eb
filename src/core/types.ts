/**
 * The engine's contract with the rest of ficta. Web-standard TypeScript only: nothing in
 * src/core imports from Bun or Node.
 */
import type { Dialect } from "./restore/dialect.ts";

/** One protected value as the registry hands it over. Never printed or logged. */
export interface Secret {
  /** What reports may show: a variable name such as `OPENAI_API_KEY` (never the value). */
  name: string;
  /** Where it came from, for reports: a file path, `env`, or a command source's name. */
  source: string;
  /** The decoded value. */
  value: string;
  /**
   * Other literal spellings of the same value that map to the same surrogate, e.g. the quoted,
   * escaped text of a dotenv line (what `cat .env` prints).
   */
  spellings?: string[];
}

/** Per-name counts, e.g. `{ OPENAI_API_KEY: 2 }`. Names only, never values. */
export type Counts = Record<string, number>;

export interface EngineOptions {
  /** Also match base64 (standard and URL-safe, all alignments) and hex forms of values >= 12 chars. */
  encoded: boolean;
  /** Detect well-known credential formats nobody registered, and protect them for the session. */
  shapes: boolean;
  /** Shape formats switched off by the user. */
  disabledFormats: string[];
  /** `none`: surrogates in tool-call arguments and custom tool inputs are left as they are. */
  restoreIntoTools: "all" | "none";
  /**
   * The agent's wire API: redaction reads its JSON-text fields and truncation markers from it
   * (restorers take theirs per response, `ResponseOptions.dialect`).
   */
  dialect: Dialect;
}

/** What one response needs to be restored. */
export interface ResponseOptions {
  /** The response's `content-type`; null: sniffed from the first bytes (SSE, JSON or text). */
  contentType: string | null;
  /** The wire API the answer speaks (which events carry text and tool input). */
  dialect: Dialect;
}

export interface RestoreStats {
  /** Surrogates turned back into real values. */
  restored: number;
  /** Surrogate-shaped tokens this engine does not know, passed through unchanged. */
  unknown: number;
  /** Known surrogates left in place by the `none` policy. */
  keptInTools: number;
}

export interface Restorer {
  stream: TransformStream<Uint8Array, Uint8Array>;
  /** Filled in as the stream runs; final once the stream has closed. */
  stats: RestoreStats;
}

export interface Engine {
  /** Every form of every value replaced by its surrogate. Unchanged input comes back as is. */
  redactBytes(input: Uint8Array): Promise<{ output: Uint8Array; counts: Counts }>;
  redactText(input: string): Promise<{ output: string; counts: Counts }>;
  /** Names of values of which some form is still present; empty means safe to send. */
  gateBytes(input: Uint8Array): string[];
  gateText(input: string): string[];
  /**
   * A streaming restore for one response: `contentType` null is sniffed (SSE, JSON or text);
   * `dialect` tells which events carry text and tool input (the agent's, e.g. `responsesDialect`).
   */
  restorer(options: ResponseOptions): Restorer;
}
