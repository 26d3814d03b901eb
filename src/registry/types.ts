/** The registry's result and its per-source report: types only, shared by index and report. */
import type { Secret } from "../core/mod.ts";
import type { CredentialFile, SourceKind } from "./found.ts";
import type { Remembered } from "./store.ts";

export type SourceStatus = "loaded" | "not found" | "error" | "disabled";

export interface SourceReport {
  kind: SourceKind;
  /** A file path (relative to the launch directory), `environment`, or a command's name. */
  name: string;
  status: SourceStatus;
  /** Values registered from this source (lines of multi-line values not counted). */
  values: number;
  /** Reason -> count, e.g. `shorter than min_len`, `excluded name`, `duplicate`, `not secret-ish`. */
  skipped: Record<string, number>;
  /** File and line, exit code or timeout; never a value. */
  error?: string;
  /** Names skipped as plain settings, with the reason (`OPENAI_MODEL`: `a model name`). */
  settings?: { name: string; reason: string }[];
  /** Secret-ish names that are set but empty (the environment). */
  empty?: string[];
  note?: string;
}

export interface Registry {
  secrets: Secret[];
  sources: SourceReport[];
  /** What the protected-value store keeps from this launch (sources absolute); never printed. */
  remembered: Remembered[];
  /** Dotenv files read (absolute), for the watcher. */
  dotenvFiles: string[];
  /** Where the dotenv search looked (absolute), for the watcher. */
  dotenvDirs: string[];
  /** The agents' credential files read, for the watcher. */
  credentialFiles: readonly CredentialFile[];
}
