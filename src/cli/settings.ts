/** Settings for a command: warnings printed once, a broken config is its message and exit 2. */
import { ConfigError, loadConfig } from "../config/load.ts";
import type { Env } from "../config/paths.ts";
import type { Settings } from "../config/schema.ts";
import { USAGE_EXIT } from "./flags.ts";
import { say } from "./say.ts";

/** The settings, or the exit code of a configuration error (already explained on stderr). */
export function loadSettings(env: Env): Settings | number {
  try {
    const loaded = loadConfig(env);
    for (const warning of loaded.warnings) say(warning);
    return loaded.settings;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    say(error.message);
    return USAGE_EXIT;
  }
}
