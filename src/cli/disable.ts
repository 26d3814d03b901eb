/**
 * `ficta disable`: the shim runs the real Codex untouched until `ficta enable`. Refused while
 * registry.require is on: fail-closed must not be one command away from running unprotected.
 */
import { existsSync } from "node:fs";
import { paths } from "../config/paths.ts";
import { writePrivateFile } from "../config/private-files.ts";
import { REFUSED_EXIT } from "../session/exit-codes.ts";
import { requireOn } from "../registry/require.ts";
import { parseFlags, USAGE_EXIT } from "./flags.ts";
import { say } from "./say.ts";
import { loadSettings } from "../session/settings.ts";

export const USAGE = "ficta disable";

export function run(args: string[]): Promise<number> {
  if (!parseFlags(args, {}, USAGE)) return Promise.resolve(USAGE_EXIT);
  const settings = loadSettings(process.env);
  if (typeof settings === "number") return Promise.resolve(settings);
  if (requireOn(settings)) {
    say(
      "refusing to disable: registry.require / FICTA_REQUIRE_REGISTRY is on, and a disabled " +
        "ficta would run Codex without the airlock; turn registry.require off first",
    );
    return Promise.resolve(REFUSED_EXIT);
  }
  const flag = paths(process.env).disabledFlag;
  if (existsSync(flag)) {
    say(`already disabled (${flag}); \`ficta enable\` turns protection back on.`);
  } else {
    writePrivateFile(flag, `disabled by \`ficta disable\` at ${new Date().toISOString()}\n`);
    say("disabled: `codex` now runs the real Codex WITHOUT protection, until `ficta enable`.");
  }
  return Promise.resolve(0);
}
