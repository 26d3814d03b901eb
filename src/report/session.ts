/**
 * One launch's log: `~/.ficta/logs/<session>/requests.jsonl` (0600, directory 0700), the session's
 * totals, the exit summary and the CI step summary. Counts and names only, never a value.
 */
import { appendFileSync, closeSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Settings } from "../config/schema.ts";
import { type Env, paths } from "../config/paths.ts";
import { ensurePrivateDir, writePrivateFile } from "../config/private-files.ts";
import { redactedTotal, type RequestEntry } from "./entry.ts";
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
  /** Appends one entry to requests.jsonl and the totals. Never throws: logging must not break Codex. */
  record(entry: RequestEntry): void;
  /** With `log.bodies`: a body exactly as sent upstream (already redacted). No-op otherwise. */
  recordBody(time: string, method: string, upstream: string, body: Uint8Array): void;
  totals(): SessionTotals;
  /** The exit line, for `say()` (no `ficta: ` prefix). */
  summaryLine(): string;
  /** Appends the Markdown summary to `$GITHUB_STEP_SUMMARY` when set; returns whether it did. */
  writeStepSummary(env: Env): boolean;
  close(): void;
}

const MiB = 1024 * 1024;

/** Prunes old sessions, then creates this one's directory and log file. */
export function createSession(settings: Settings, env: Env, now: Date = new Date()): Session {
  const logs = paths(env).logs;
  ensurePrivateDir(logs);
  const { removed } = pruneSessions(
    logs,
    settings.log.keep_sessions,
    settings.log.max_total_mb * MiB,
  );
  const id = sessionId(now);
  const dir = join(logs, id);
  ensurePrivateDir(dir);
  // Tells a ficta launched meanwhile not to prune this session while it runs.
  writePrivateFile(join(dir, PID_FILE), String(process.pid));
  const requestsLog = join(dir, "requests.jsonl");
  const bodiesLog = settings.log.bodies ? join(dir, "bodies.jsonl") : null;
  let fd: number | null = openSync(requestsLog, "a", 0o600);
  let failedWrites = 0;

  const names = new Set<string>();
  const totals: SessionTotals = {
    requests: 0,
    blocked: 0,
    refused: 0,
    valuesKeptOut: 0,
    replacements: 0,
    restored: 0,
    unrestorable: 0,
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
      else if (entry.refused) totals.refused++;
      for (const counts of Object.values(entry.redacted)) {
        for (const name of Object.keys(counts)) names.add(name);
      }
      totals.valuesKeptOut = names.size;
      totals.replacements += redactedTotal(entry);
      totals.restored += entry.restored;
      totals.unrestorable += entry.unknownSurrogates;
      try {
        if (fd === null) throw new Error("closed");
        writeSync(fd, JSON.stringify(entry) + "\n");
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
        appendFileSync(bodiesLog, line + "\n", { mode: 0o600 });
      } catch {
        failedWrites++;
      }
    },
    totals: () => ({ ...totals }),
    summaryLine() {
      const t = totals;
      let line = `kept ${t.valuesKeptOut} protected value(s) out of ${t.requests} request(s)` +
        ` (${t.replacements} replacement(s)), ${t.blocked} blocked`;
      if (t.refused) line += `, ${t.refused} refused`;
      line += `, ${t.unrestorable} unrestorable surrogate token(s); log: ${requestsLog}`;
      if (failedWrites) line += ` (incomplete: ${failedWrites} write(s) failed)`;
      return line;
    },
    writeStepSummary(env) {
      const file = env.GITHUB_STEP_SUMMARY;
      if (!file) return false;
      try {
        appendFileSync(file, stepSummary(totals));
        return true;
      } catch {
        // A summary that cannot be written must not change the job's exit code.
        return false;
      }
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
      rmSync(join(dir, PID_FILE), { force: true });
    },
  };
  return session;
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

/** GitHub Actions job summary: counts only (the page may be visible to everyone with read access). */
export function stepSummary(t: SessionTotals): string {
  const lines = [
    // A blank line first, so the heading never runs on from an earlier step's last line.
    "",
    "### ficta",
    "",
    "| Protected values kept out | Requests | Blocked | Unrestorable surrogates |",
    "|---:|---:|---:|---:|",
    `| ${t.valuesKeptOut} | ${t.requests} | ${t.blocked} | ${t.unrestorable} |`,
    "",
  ];
  if (t.blocked) {
    lines.push(
      `ficta refused ${t.blocked} request(s) that would have sent a protected value to the model; ` +
        "Codex's output shows why.",
      "",
    );
  }
  return lines.join("\n");
}
