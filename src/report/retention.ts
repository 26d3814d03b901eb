/** Log retention: keep the newest `keep` sessions and at most `maxBytes` in total; prune at launch. */
import { lstatSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

/** `YYYYMMDD-HHMMSS-xxxxxx`: sorts by start time; nothing else in the logs directory is touched. */
export const SESSION_DIR = /^\d{8}-\d{6}-[0-9a-f]{6}$/;
/** Holds the pid of the ficta still writing the session; removed when the session closes. */
export const PID_FILE = "pid";

export interface PruneResult {
  removed: string[];
}

/**
 * Removes the oldest session directories under `logs` so that, with one slot kept for the session
 * being created, at most `keep` sessions remain and they weigh at most `maxBytes`. A session whose
 * ficta is still running is never removed (its log would silently vanish).
 */
export function pruneSessions(logs: string, keep: number, maxBytes: number): PruneResult {
  let names: string[];
  try {
    names = readdirSync(logs).filter((name) => SESSION_DIR.test(name)).sort();
  } catch {
    return { removed: [] };
  }
  const removed: string[] = [];
  const candidates = names.filter((name) => !isRunning(join(logs, name)));
  const remove = (name: string) => {
    rmSync(join(logs, name), { recursive: true, force: true });
    removed.push(name);
    names = names.filter((n) => n !== name);
  };
  while (names.length > Math.max(keep - 1, 0) && candidates.length) remove(candidates.shift()!);
  let total = names.reduce((sum, name) => sum + sizeOf(join(logs, name)), 0);
  while (total > maxBytes && candidates.length) {
    const name = candidates.shift()!;
    total -= sizeOf(join(logs, name));
    remove(name);
  }
  return { removed };
}

function isRunning(dir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, PID_FILE), "utf8"));
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, owned by someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function sizeOf(dir: string): number {
  let bytes = 0;
  try {
    for (const name of readdirSync(dir)) {
      const stat = lstatSync(join(dir, name));
      bytes += stat.isDirectory() ? sizeOf(join(dir, name)) : stat.size;
    }
  } catch {
    // Vanished while we looked (another ficta pruning): it weighs nothing now.
  }
  return bytes;
}
