/** `ficta install`: the `codex` shim and the PATH block that puts it first. */
import type { Env } from "../config/paths.ts";
import { install } from "../install/install.ts";
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
  const result = install({ env, ...options });
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
