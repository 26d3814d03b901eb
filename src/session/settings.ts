/**
 * Settings for a command: warnings printed once, a broken config is its message and exit 2.
 *
 * ```ts
 * const settings = loadSettings(process.env);
 * if (typeof settings === "number") return settings; // the problem was said
 * ```
 */
import { ConfigError, loadConfig } from "../config/load.ts";
import type { Env } from "../config/paths.ts";
import type { Settings } from "../config/schema.ts";
import { say } from "../report/say.ts";
import { USAGE_EXIT } from "./exit-codes.ts";

/** The settings (warnings printed), or the configuration error's message (not yet printed). */
export function loadSettingsOrProblem(env: Env): Settings | { problem: string } {
  try {
    const loaded = loadConfig(env);
    for (const warning of loaded.warnings) say(warning);
    return loaded.settings;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { problem: error.message };
  }
}

/** The settings, or the exit code of a configuration error (already explained on stderr). */
export function loadSettings(env: Env): Settings | number {
  const loaded = loadSettingsOrProblem(env);
  if (!("problem" in loaded)) return loaded;
  say(loaded.problem);
  return USAGE_EXIT;
}
