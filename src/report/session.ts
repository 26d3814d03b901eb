/**
 * One launch's log: `~/.ficta/logs/<session>/requests.jsonl` (0600, directory 0700), the session's
 * totals, the exit summary and the requests the CI summary lists. Counts and names only, never a
 * value.
 */
import { appendFileSync, closeSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Settings } from "../config/schema.ts";
import { type Env, paths } from "../config/paths.ts";
import { ensurePrivateDir, writePrivateFile } from "../config/private-files.ts";
import { redactedTotal, type RefusedRequest, type RequestEntry } from "./entry.ts";
import { PID_FILE, pruneSessions } from "./retention.ts";

export interface SessionTotals {
  requests: number;
  blocked: number;
  /** Requests ficta answered itself for another reason (403, 404, 413, ...). */
  refused: number;
  /** Distinct protected values (by name) replaced at least once. */
  valuesKeptOut: number;
  /** Replacements over all requests; a value in the history counts again on every turn. */
  replacements: number;
  restored: number;
  unrestorable: number;
  /** Requests the upstream could not be reached for (not counted as refused). */
  unreachable: number;
}

export interface Session {
  readonly id: string;
  readonly dir: string;
  /** `<dir>/requests.jsonl` */
  readonly requestsLog: string;
  /** `<dir>/bodies.jsonl`, written only when `log.bodies` is on. */
  readonly bodiesLog: string | null;
  /** Old session directories removed at creation. */
  readonly pruned: string[];
  /** Appends one entry to requests.jsonl and the totals. Never throws: logging must not break the agent. */
  record(entry: RequestEntry): void;
  /** Appends another kind of metadata line (a live registry update) to requests.jsonl. */
  note(entry: Record<string, unknown>): void;
  /** With `log.bodies`: a body exactly as sent upstream (already redacted). No-op otherwise. */
  recordBody(time: string, method: string, upstream: string, body: Uint8Array): void;
  totals(): SessionTotals;
  /** Requests ficta answered itself or the upstream failed (the first 100), for the CI summary. */
  refusedRequests(): RefusedRequest[];
  /** The exit line, for `say()` (no `ficta: ` prefix). */
  summaryLine(): string;
  /** Appends the Markdown summary to `$GITHUB_STEP_SUMMARY` when set; returns whether it did. */
  close(): void;
}

const MiB = 1024 * 1024;
const MAX_LISTED = 100;

/**
 * Prunes old sessions, then creates this one's directory and log file under `logs` (default:
 * `~/.ficta/logs`). With `logs` null nothing is written: `log.enabled = false`.
 */
export function createSession(
  settings: Settings,
  env: Env,
  now: Date = new Date(),
  logs: string | null = paths(env).logs,
): Session {
  const id = sessionId(now);
  const removed = logs === null
    ? []
    : pruneSessions(logs, settings.log.keep_sessions, settings.log.max_total_mb * MiB).removed;
  const dir = logs === null ? "" : join(logs, id);
  const requestsLog = logs === null ? "" : join(dir, "requests.jsonl");
  const bodiesLog = logs !== null && settings.log.bodies ? join(dir, "bodies.jsonl") : null;
  // Created with the first line: a run that made no request leaves no empty folder behind.
  let fd: number | null = null;
  let closed = false;
  const open = (): number => {
    if (closed || logs === null) throw new Error("closed");
    if (fd !== null) return fd;
    ensurePrivateDir(logs);
    ensurePrivateDir(dir);
    // Tells a ficta launched meanwhile not to prune this session while it runs.
    writePrivateFile(join(dir, PID_FILE), String(process.pid));
    fd = openSync(requestsLog, "a", 0o600);
    return fd;
  };
  let failedWrites = 0;
  const refused: RefusedRequest[] = [];

  const names = new Set<string>();
  const totals: SessionTotals = {
    requests: 0,
    blocked: 0,
    refused: 0,
    valuesKeptOut: 0,
    replacements: 0,
    restored: 0,
    unrestorable: 0,
    unreachable: 0,
  };

  const session: Session = {
    id,
    dir,
    requestsLog,
    bodiesLog,
    pruned: removed,
    record(entry) {
      totals.requests++;
      if (entry.blocked) totals.blocked++;
      else if (entry.refused === "unreachable") totals.unreachable++;
      else if (entry.refused) totals.refused++;
      for (const counts of Object.values(entry.redacted)) {
        for (const name of Object.keys(counts)) names.add(name);
      }
      totals.valuesKeptOut = names.size;
      totals.replacements += redactedTotal(entry);
      totals.restored += entry.restored;
      totals.unrestorable += entry.unknownSurrogates;
      if ((entry.refused || entry.status >= 500) && refused.length < MAX_LISTED) {
        const { time, method, path, status } = entry;
        refused.push({ time, method, path, status, reason: entry.refused ?? "upstream error" });
      }
      if (logs === null) return;
      try {
        writeSync(open(), JSON.stringify(entry) + "\n");
      } catch {
        failedWrites++;
      }
    },
    note(entry) {
      if (logs === null) return;
      try {
        writeSync(open(), JSON.stringify(entry) + "\n");
      } catch {
        failedWrites++;
      }
    },
    recordBody(time, method, upstream, body) {
      if (!bodiesLog) return;
      const text = utf8(body);
      const line = JSON.stringify(
        text === null
          ? { time, method, upstream, bodyBase64: body.toBase64() }
          : { time, method, upstream, body: text },
      );
      try {
        open();
        appendFileSync(bodiesLog, line + "\n", { mode: 0o600 });
      } catch {
        failedWrites++;
      }
    },
    totals: () => ({ ...totals }),
    refusedRequests: () => [...refused],
    summaryLine() {
      const t = totals;
      const parts = [
        count(t.valuesKeptOut, "value") + " protected",
        count(t.requests, "request"),
        `${t.blocked + t.refused} refused` +
        (t.blocked ? ` (${t.blocked} held a protected value)` : ""),
      ];
      if (t.unreachable) parts.push(`upstream unreachable for ${count(t.unreachable, "request")}`);
      if (t.unrestorable) parts.push(count(t.unrestorable, "unrestorable surrogate"));
      let log = logs === null
        ? "log: off"
        : t.requests
        ? `log: ${requestsLog}`
        : "no log (no request)";
      if (failedWrites) log += ` (incomplete: ${failedWrites} write(s) failed)`;
      parts.push(log);
      return parts.join("; ");
    },
    close() {
      if (fd !== null) {
        closeSync(fd);
        rmSync(join(dir, PID_FILE), { force: true });
      }
      fd = null;
      closed = true;
    },
  };
  return session;
}

/** `1 request`, `2 requests`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function sessionId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const random = crypto.getRandomValues(new Uint8Array(3)).toHex();
  return `${stamp}-${random}`;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function utf8(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}
