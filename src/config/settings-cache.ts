/**
 * The last validated settings, so that a launch whose inputs have not changed skips the schema:
 * loading zod and building and running the schema is the largest part of a launch before the
 * agent's spawn (tens of milliseconds of a compiled binary's start-up).
 *
 * The entry is keyed by a SHA-256 over everything the settings are computed from: this binary
 * (its path, size and modification time, and ficta's version line), the config file's path and
 * exact text (or its absence), and every non-empty `FICTA_*` environment variable but the
 * surrogate key, which is no setting (every variable the schema reads is a `FICTA_*` one;
 * test/config/settings-cache.test.ts checks it). Any change to any of them is a miss, and a miss
 * is the full load, whose errors refuse the launch as before. Only settings that validated are
 * written; the entry is 0600 in ficta's home, next to the config itself. A file that cannot be
 * read, parsed, or is writable by others is a miss. Run from source (`bun src/main.ts`), where
 * the schema can change under the same binary, nothing is cached; nor when the environment gives
 * secret-manager commands (their argv could hold a credential, which the entry would write down).
 *
 * ```ts
 * const hit = await cachedSettings(env, file, text); // undefined: load with the schema, then
 * await saveSettings(env, file, text, loaded);
 * ```
 */
import { readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Env, paths } from "./paths.ts";
import { writePrivateFile } from "./private-files.ts";
import type { Settings } from "./schema.ts";
import { COMPILED, versionLine } from "../version.ts";

export interface CachedSettings {
  settings: Settings;
  /** The load's warnings that come from the text (unknown keys); file modes are checked live. */
  warnings: string[];
}

/** ficta's surrogate key is read from the environment but is not a setting. */
const NOT_SETTINGS = new Set(["FICTA_SURROGATE_KEY"]);

/**
 * Settings the environment gives are not written to disk when they may carry a credential:
 * secret-manager commands' argv (a CI job's `FICTA_REGISTRY_COMMAND`). Such a launch is not cached.
 */
function cacheable(env: Env): boolean {
  return COMPILED && !env.FICTA_REGISTRY_COMMAND;
}

export function settingsCachePath(env: Env): string {
  return join(paths(env).home, "settings-cache.json");
}

/** What the config file's mode says, checked on every load (not part of what is cached). */
export function configFileWarnings(file: string, text: string | undefined): string[] {
  if (text === undefined || process.platform === "win32") return [];
  if ((statSync(file).mode & 0o077) === 0) return [];
  return [`config file ${file} is readable by group or others; run: chmod 600 ${file}`];
}

/**
 * The key of this binary, config text and environment. Web Crypto, not node:crypto: loading that
 * module costs a compiled binary ~10 ms.
 */
export async function settingsKey(
  env: Env,
  file: string,
  text: string | undefined,
): Promise<string> {
  let input = "";
  const part = (value: string) => (input += `${value.length}:${value};`);
  part(versionLine());
  part(process.execPath);
  try {
    const binary = statSync(process.execPath);
    part(`${binary.size}/${binary.mtimeMs}`);
  } catch {
    part("?");
  }
  part(file);
  part(text === undefined ? "no file" : `file ${text}`);
  // Upper-cased: Windows' environment is case-insensitive, so `ficta_registry_require` is read
  // by the schema as FICTA_REGISTRY_REQUIRE and must change the key too.
  const names = Object.keys(env)
    .filter((name) => {
      const upper = name.toUpperCase();
      return upper.startsWith("FICTA_") && !NOT_SETTINGS.has(upper) && env[name];
    })
    .sort();
  for (const name of names) {
    part(name);
    part(env[name]!);
  }
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(input));
  return new Uint8Array(digest).toHex();
}

/** The settings validated for exactly these inputs, or undefined. */
export async function cachedSettings(
  env: Env,
  file: string,
  text: string | undefined,
): Promise<CachedSettings | undefined> {
  if (!cacheable(env)) return undefined;
  try {
    const path = settingsCachePath(env);
    if (process.platform !== "win32" && (statSync(path).mode & 0o022) !== 0) return undefined;
    const entry = JSON.parse(readFileSync(path, "utf8"));
    if (entry?.key !== await settingsKey(env, file, text)) return undefined;
    if (typeof entry.settings !== "object" || !Array.isArray(entry.warnings)) return undefined;
    return { settings: entry.settings, warnings: entry.warnings };
  } catch {
    return undefined;
  }
}

/** Remembers settings that validated; a cache that cannot be written is no error. */
export async function saveSettings(
  env: Env,
  file: string,
  text: string | undefined,
  loaded: CachedSettings,
): Promise<void> {
  if (!cacheable(env)) return;
  const path = settingsCachePath(env);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    const entry = { key: await settingsKey(env, file, text), ...loaded };
    writePrivateFile(temporary, JSON.stringify(entry));
    renameSync(temporary, path);
  } catch {
    // The next launch loads with the schema again; a full disk keeps no half-written file.
    try {
      rmSync(temporary, { force: true });
    } catch {
      // nothing was left, or nothing can be removed there
    }
  }
}
