/** `ficta enable`: undoes `ficta disable`. */
import { existsSync, rmSync } from "node:fs";
import { disabledBy } from "../config/disabled.ts";
import { paths } from "../config/paths.ts";
import { parseFlags, USAGE_EXIT } from "./flags.ts";
import { say } from "./say.ts";

export const USAGE = "ficta enable";

export function run(args: string[]): Promise<number> {
  if (!parseFlags(args, {}, USAGE)) return Promise.resolve(USAGE_EXIT);
  const flag = paths(process.env).disabledFlag;
  if (!existsSync(flag)) {
    say("already enabled: `codex` runs through ficta wherever the shim is first on PATH.");
    return Promise.resolve(0);
  }
  rmSync(flag);
  say("enabled: `codex` runs through ficta again.");
  if (disabledBy({ FICTA_DISABLE: process.env.FICTA_DISABLE, FICTA_HOME: "/nonexistent" })) {
    say("note: FICTA_DISABLE is set in this shell and still bypasses ficta.");
  }
  return Promise.resolve(0);
}
