/** `ficta uninstall`: removes ficta's shims and PATH blocks, nothing else. */
import { paths } from "../config/paths.ts";
import { uninstall } from "../install/install.ts";
import { parseFlags, USAGE_EXIT } from "./flags.ts";
import { say } from "./say.ts";

export const USAGE = "ficta uninstall [--dir DIR]";

export function run(args: string[]): Promise<number> {
  const parsed = parseFlags(args, { dir: { type: "string" } }, USAGE);
  if (!parsed) return Promise.resolve(USAGE_EXIT);
  const files = uninstall({ env: process.env, dir: parsed.values.dir });
  if (files.length === 0) say("nothing to remove: no ficta shim or PATH block found.");
  const width = Math.max(0, ...files.map((f) => f.outcome.length));
  for (const file of files) say(`${file.outcome.padEnd(width)}  ${file.path} (${file.note})`);
  say(
    `kept ${paths(process.env).home} (config, key, logs); delete it yourself to remove everything.`,
  );
  if (files.some((f) => f.outcome === "removed")) {
    say("open a new shell: `codex` runs the real Codex again.");
  }
  return Promise.resolve(0);
}
