/**
 * Codex's TUI ends with "run codex resume <id>". Through the shim that command runs through ficta
 * again; without it, it would run Codex unprotected, so ficta names its own spelling.
 */
import { runtime } from "../../runtime/mod.ts";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { shimPathFor } from "../../config/install-record.ts";
import type { Env } from "../../config/paths.ts";
import { realPath } from "../../config/real-path.ts";
import { codexHome } from "./auth.ts";
import { EXECUTABLES } from "./executable.ts";

const ROLLOUT =
  /^rollout-.*-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/;

/** The line to print after an interactive session, or undefined when none is needed. */
export function resumeHint(env: Env, startedMs: number): string | undefined {
  if (shimFirstOnPath(env)) return undefined;
  const id = sessionSince(env, startedMs);
  return id ? `to resume this session through ficta: ficta codex resume ${id}` : undefined;
}

function shimFirstOnPath(env: Env): boolean {
  const first = runtime.which(EXECUTABLES.posix, { PATH: env.PATH ?? "" });
  if (!first) return false;
  const shim = realPath(
    shimPathFor(env, process.platform === "win32" ? EXECUTABLES.windows : EXECUTABLES.posix),
  );
  return shim !== undefined && realPath(first) === shim;
}

/** The id of the newest session file Codex wrote since `startedMs` (sessions/YYYY/MM/DD). */
function sessionSince(env: Env, startedMs: number): string | undefined {
  const days = new Set([startedMs, Date.now()].map((ms) => {
    const d = new Date(ms);
    const pad = (n: number) => String(n).padStart(2, "0");
    return join(String(d.getFullYear()), pad(d.getMonth() + 1), pad(d.getDate()));
  }));
  let newest: { id: string; mtime: number } | undefined;
  for (const day of days) {
    const dir = join(codexHome(env), "sessions", day);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const id = ROLLOUT.exec(name)?.[1];
      if (!id) continue;
      const mtime = statSync(join(dir, name)).mtimeMs;
      if (mtime >= startedMs && (!newest || mtime > newest.mtime)) newest = { id, mtime };
    }
  }
  return newest?.id;
}
