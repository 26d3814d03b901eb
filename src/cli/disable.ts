/** `ficta disable`: the shim runs the real Codex untouched until `ficta enable`. */
import { existsSync } from "node:fs";
import { paths } from "../config/paths.ts";
import { writePrivateFile } from "../config/private-files.ts";
import { parseFlags, USAGE_EXIT } from "./flags.ts";
import { say } from "./say.ts";

export const USAGE = "ficta disable";

export function run(args: string[]): Promise<number> {
  if (!parseFlags(args, {}, USAGE)) return Promise.resolve(USAGE_EXIT);
  const flag = paths(process.env).disabledFlag;
  if (existsSync(flag)) {
    say(`already disabled (${flag}); \`ficta enable\` turns protection back on.`);
  } else {
    writePrivateFile(flag, `disabled by \`ficta disable\` at ${new Date().toISOString()}\n`);
    say("disabled: `codex` now runs the real Codex WITHOUT protection, until `ficta enable`.");
  }
  return Promise.resolve(0);
}
