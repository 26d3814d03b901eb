/**
 * Settings for a launch: from the settings cache when this binary, the config file's text and the
 * `FICTA_*` environment are those of an earlier launch (no schema loaded: see
 * config/settings-cache.ts), otherwise loaded and validated by the schema, then cached. A broken
 * config is its message, as with `loadSettingsOrProblem`.
 */
import { readFileSync } from "node:fs";
import { type Env, paths } from "../config/paths.ts";
import type { Settings } from "../config/schema.ts";
import { cachedSettings, configFileWarnings, saveSettings } from "../config/settings-cache.ts";
import { say } from "../report/say.ts";

export async function launchSettings(env: Env): Promise<Settings | { problem: string }> {
  const file = paths(env).config;
  const read = readText(file);
  const hit = read && await cachedSettings(env, file, read.text);
  if (read && hit) {
    for (const warning of [...hit.warnings, ...configFileWarnings(file, read.text)]) say(warning);
    return hit.settings;
  }
  const { ConfigError, loadConfig } = await import("../config/load.ts");
  try {
    // The text the cache is keyed by is the text validated: the file is read once.
    const loaded = loadConfig(env, read);
    for (const warning of loaded.warnings) say(warning);
    if (read) {
      const fromText = loaded.warnings.filter((w) =>
        !configFileWarnings(file, read.text).includes(w)
      );
      await saveSettings(env, file, read.text, { settings: loaded.settings, warnings: fromText });
    }
    return loaded.settings;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { problem: error.message };
  }
}

/** The config file's text (undefined: no file); undefined when reading failed otherwise. */
function readText(file: string): { text: string | undefined } | undefined {
  try {
    return { text: readFileSync(file, "utf8") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Anything else is for the full load to explain (and refuse).
    return code === "ENOENT" || code === "ENOTDIR" ? { text: undefined } : undefined;
  }
}
