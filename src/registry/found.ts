/** What a source hands to the registry before filtering and deduplication. */
import type { Env } from "../config/paths.ts";
import type { DotenvEntry } from "./dotenv-parse.ts";

export interface Found {
  name: string;
  value: string;
  /** Other literal texts of the same value (the dotenv spelling), mapped to the same surrogate. */
  spellings?: string[];
}

export interface SourceOutput {
  kind: SourceKind;
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

/**
 * Where a value came from: the project's sources, or an agent's own credential file (the kind is
 * the agent's name), which is protected whatever the settings say.
 */
export type SourceKind = "dotenv" | "env" | "command" | AgentName;
/** An agent's name: the kind of the source its credential file is. */
export type AgentName = string & { readonly agent?: never };

/** The sources that hold a project's values (not an agent's own credentials). */
export const PROJECT_KINDS: ReadonlySet<string> = new Set(["dotenv", "env", "command"]);

/**
 * An agent's credential file (a login's tokens), declared by the agent (`Agent.credentialFiles`)
 * and read by the registry: always protected, stored, watched.
 */
export interface CredentialFile {
  /** The agent's name; the source's kind. */
  agent: AgentName;
  /** Where the file is for this environment. */
  path(env: Env): string;
  /** Its values, or `not found`. */
  read(env: Env): SourceOutput;
  /** A dotenv file the agent loads into its own environment, read like the project's. */
  dotenv?(env: Env): string;
  /**
   * Variables that say where the agent keeps its files (its home directory): paths, not secrets, so
   * `process_env = "all"` leaves them like the system's own variables.
   */
  locationVariables?: readonly string[];
}

/** One parsed dotenv line as the registry takes it: the literal spelling kept when it differs. */
export function dotenvFound(entry: DotenvEntry): Found {
  return entry.literal === entry.value
    ? { name: entry.name, value: entry.value }
    : { name: entry.name, value: entry.value, spellings: [entry.literal] };
}

export function countSkip(skipped: Record<string, number>, reason: string): void {
  skipped[reason] = (skipped[reason] ?? 0) + 1;
}
