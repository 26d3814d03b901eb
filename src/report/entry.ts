/** One proxied request as the metadata log keeps it: names and counts, never a value or a body. */
import type { Counts } from "../core/mod.ts";

export interface RequestEntry {
  /** When the request arrived (ISO 8601). */
  time: string;
  method: string;
  /** The local path the agent's client called, without the query. */
  path: string;
  /** The route's name in the agent's route table; null when refused before routing. */
  route: string | null;
  /** `turn`, `models`, `housekeeping`, `unlisted` (the proxy's `RouteKind`); null when refused before routing. */
  kind: string | null;
  /** Where it went (or would have gone), without the query. */
  upstream: string | null;
  /** Status the client got; 0 when it went away before any answer. */
  status: number;
  /** Body bytes as received from the client (before decoding). */
  bytesIn: number;
  /** Body bytes sent upstream (decoded and redacted). */
  bytesUp: number;
  /** Answer bytes sent to the client. */
  bytesOut: number;
  /** From arrival until the answer was fully sent, the client left, or the upstream failed. */
  durationMs: number;
  /**
   * Where that time went, in ms, for the stages the request reached: `read` (arrival to the
   * decoded body), `redact`, `gate`, `upstream` (until the upstream's answer began); the rest of
   * `durationMs` is the answer streaming back.
   */
  stagesMs: Record<string, number>;
  /** Replacements by surface (`body`, `query`, `path`, `headers`), then by name. */
  redacted: Record<string, Counts>;
  /** Whether surrogates in the answer were turned back into values. */
  restore: boolean;
  restored: number;
  /** Surrogate-shaped tokens in the answer that this session cannot restore. */
  unknownSurrogates: number;
  /** Known surrogates left in tool calls by `restore_into_tools = "none"`. */
  keptInTools: number;
  blocked: boolean;
  /** Names (never values) that made the gate refuse the request. */
  blockedNames: string[];
  /** Why ficta answered itself (`blocked`, `token`, `host`, `not-allowed`, ...); null when forwarded. */
  refused: string | null;
  /** `complete`; `aborted` when the client went away; `failed` when the upstream broke off. */
  outcome: "complete" | "aborted" | "failed";
}

/** The entry for a request that just arrived; the proxy fills it in as the request goes. */
export function newEntry(method: string): RequestEntry {
  return {
    time: new Date().toISOString(),
    method,
    path: "",
    route: null,
    kind: null,
    upstream: null,
    status: 0,
    bytesIn: 0,
    bytesUp: 0,
    bytesOut: 0,
    durationMs: 0,
    stagesMs: {},
    redacted: {},
    restore: false,
    restored: 0,
    unknownSurrogates: 0,
    keptInTools: 0,
    blocked: false,
    blockedNames: [],
    refused: null,
    outcome: "complete",
  };
}

/** Records stages of `entry` as laps: each call stores the time since the previous one. */
export function stageClock(entry: RequestEntry, started: number): (stage: string) => void {
  let last = started;
  return (stage) => {
    const now = performance.now();
    entry.stagesMs[stage] = Math.round((now - last) * 1000) / 1000;
    last = now;
  };
}

export function redactedTotal(entry: RequestEntry): number {
  let total = 0;
  for (const counts of Object.values(entry.redacted)) {
    for (const n of Object.values(counts)) total += n;
  }
  return total;
}

/** The per-request stderr line (without the `ficta: ` prefix that `say` adds). */
export function requestLine(entry: RequestEntry): string {
  const target = entry.upstream ? ` -> ${entry.upstream} [${entry.route}]` : "";
  let line = `-> ${entry.method} ${entry.path}${target} ${entry.status || "-"} ` +
    `${Math.round(entry.durationMs)}ms`;
  const notes: string[] = [];
  if (entry.blocked) notes.push(`blocked (${entry.blockedNames.join(", ")})`);
  else if (entry.refused) notes.push(`refused (${entry.refused})`);
  const redacted = redactedTotal(entry);
  if (redacted && !entry.blocked) notes.push(`${redacted} redacted`);
  if (entry.restored) notes.push(`${entry.restored} restored`);
  if (entry.unknownSurrogates) notes.push(`${entry.unknownSurrogates} unrestorable`);
  if (entry.outcome !== "complete") notes.push(entry.outcome);
  if (notes.length) line += `, ${notes.join(", ")}`;
  return line;
}

/**
 * `log.quiet` keeps model turns, endpoints new to ficta and anything ficta refused; models and
 * housekeeping calls stay in the file only.
 */
export function showWhenQuiet(entry: RequestEntry): boolean {
  return entry.kind === "turn" || entry.kind === "unlisted" || entry.refused !== null ||
    entry.outcome === "failed";
}

/** A request ficta answered itself, as the summary lists it. */
export interface RefusedRequest {
  time: string;
  method: string;
  path: string;
  status: number;
  reason: string;
}
