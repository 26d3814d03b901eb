/** `ficta install`: the `codex` shim and the PATH block that puts it first. */
import type { Env } from "../config/paths.ts";
import { realpathSync } from "node:fs";
import { findRealCodex } from "../agents/codex/codex.ts";
import { install } from "../install/install.ts";
import { fictaCommand } from "../install/shim.ts";
import { parseFlags, USAGE_EXIT } from "./flags.ts";
import { say } from "./say.ts";

export const USAGE = "ficta install [--dir DIR] [--force] [--no-shell]";

export function run(args: string[]): Promise<number> {
  const parsed = parseFlags(args, {
    dir: { type: "string" },
    force: { type: "boolean" },
    "no-shell": { type: "boolean" },
  }, USAGE);
  if (!parsed) return Promise.resolve(USAGE_EXIT);
  const { dir, force, "no-shell": noShell } = parsed.values;
  return Promise.resolve(installAndReport(process.env, { dir, force, shell: !noShell }));
}

/** Shared with `ficta setup`; returns the exit code. */
export function installAndReport(
  env: Env,
  options: { dir?: string; force?: boolean; shell: boolean },
): number {
  // A shim in front of nothing would turn every `codex` into an error.
  const configured = env.FICTA_CODEX_PATH || env.FICTA_REAL_CODEX || "";
  const codex = findRealCodex(configured, env, process.execPath);
  if (codex.path === null) {
    say(
      `no real Codex CLI found (looked in ${codex.looked}); nothing installed. ` +
        "Install Codex first (npm install -g @openai/codex) or set FICTA_REAL_CODEX to its path.",
    );
    return 1;
  }
  const command = fictaCommand();
  const result = install({ env, ...options, command, selfShim: !onPath(env, command) });
  const width = Math.max(...result.files.map((f) => f.outcome.length));
  for (const file of result.files) {
    say(`${file.outcome.padEnd(width)}  ${file.path} (${file.note})`);
  }
  if (result.files[0].outcome === "skipped") {
    say(`${result.shim} exists and was not written by ficta; nothing installed.`);
    return 1;
  }
  for (const line of result.manual) say(`to do: ${line}`);
  say(
    result.manual.length > 0
      ? "then open a new shell: `codex` runs through ficta (check with `ficta doctor`)."
      : "open a new shell: `codex` now runs through ficta (check with `ficta doctor`).",
  );
  say("bypass once: FICTA_DISABLE=1 codex ...; off until `ficta enable`: ficta disable");
  return 0;
}

/**
 * Whether `ficta` on PATH is this very ficta. A source run never is; a binary run from where it
 * was unpacked usually is not either, and then `ficta install` puts ficta in the shim directory.
 */
function onPath(env: Env, command: string[]): boolean {
  if (command.length !== 1) return false;
  const found = Bun.which("ficta", { PATH: env.PATH ?? "" });
  if (!found) return false;
  try {
    return realpathSync(found) === realpathSync(command[0]);
  } catch {
    return false;
  }
}
