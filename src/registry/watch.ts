/**
 * Live sources: during a session, the dotenv files the launch read, new ones appearing where the
 * registry looked, and the agents' credential files (rewritten on every token refresh) are watched. A value
 * added or changed is registered and the engine recompiled before the next request is redacted.
 *
 * Directories are watched, not files: editors save by writing a new file and renaming it over the
 * old one, which a file watch would lose. Each event re-reads the one file it names,
 * synchronously, so a request the agent sends right after a write already waits for the new engine.
 * A watcher error is logged and the watch goes on without that directory; what is known stays
 * protected.
 */
import { runtime } from "../runtime/mod.ts";
import { type FSWatcher, watch } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Env } from "../config/paths.ts";
import type { Settings } from "../config/schema.ts";
import type { Secret } from "../core/mod.ts";
import { displayPath, isDotenvCandidate, readDotenvFile } from "./dotenv.ts";
import type { CredentialFile, SourceOutput } from "./found.ts";
import { collect, type Registry } from "./index.ts";
import type { Remembered } from "./store.ts";

/** Directories watched at most (inotify watches are a shared, per-user resource). */
const MAX_WATCHED_DIRECTORIES = 256;

export interface LiveUpdate {
  /** Where the new values came from, as reports name it. */
  source: string;
  /** Names of the values added (never a value). */
  added: string[];
  /** All secrets known now, for the next engine. */
  secrets: Secret[];
  /** The new values for the protected-value store. */
  remember: Remembered[];
}

export interface Watching {
  directories: number;
  close(): void;
}

/**
 * The directories a session watches: dotenv search dirs, dirs of files read, the directories of
 * the agents' credential files.
 */
export function watchedDirectories(registry: Registry, env: Env): string[] {
  const dirs = new Set<string>(registry.dotenvDirs);
  for (const file of registry.dotenvFiles) dirs.add(dirname(file));
  for (const file of registry.credentialFiles) dirs.add(dirname(file.path(env)));
  return [...dirs].slice(0, MAX_WATCHED_DIRECTORIES);
}

export function watchSources(options: {
  settings: Settings;
  env: Env;
  cwd: string;
  directories: string[];
  /** Files read before the watch began: read again once it has, so no change falls between. */
  files: string[];
  /** Everything registered so far (registry, stored values, the proxy token). */
  secrets: Secret[];
  /** The agents' credential files, read again when they change. */
  credentialFiles?: readonly CredentialFile[];
  onUpdate(update: LiveUpdate): void;
  onError(message: string): void;
}): Watching {
  const { settings, env, cwd } = options;
  const globs = settings.registry.dotenv_files.map((pattern) => runtime.glob(pattern));
  const credentialFiles = new Map(
    (options.credentialFiles ?? []).map((file) => [resolve(file.path(env)), file]),
  );
  const secrets = [...options.secrets];
  const known = new Set<string>();
  const learn = (secret: Secret) => {
    known.add(secret.value);
    for (const spelling of secret.spellings ?? []) known.add(spelling);
  };
  secrets.forEach(learn);

  function reread(path: string): void {
    let output: SourceOutput;
    const credentialFile = credentialFiles.get(path);
    if (credentialFile) output = credentialFile.read(env);
    else if (settings.registry.dotenv && globs.some((g) => g.match(basename(path)))) {
      if (!isDotenvCandidate(basename(path))) return;
      output = readDotenvFile(path, displayPath(cwd, path));
    } else return;
    if (output.status === "not found") return;
    if (output.status === "error" && output.found.length === 0) {
      // A file deleted between the event and the read, or one being written: nothing new.
      return;
    }
    const fresh = collect(settings, [output]).secrets.filter((s) =>
      !known.has(s.value) || (s.spellings ?? []).some((spelling) => !known.has(spelling))
    );
    if (fresh.length === 0) return;
    fresh.forEach(learn);
    secrets.push(...fresh);
    const remember: Remembered[] = fresh
      .filter((s) => !/ \(line \d+\)$/.test(s.name))
      .map((s) => {
        const item: Remembered = { name: s.name, source: resolve(path), value: s.value };
        if (s.spellings) item.spellings = s.spellings;
        return item;
      });
    options.onUpdate({
      source: output.name,
      added: [...new Set(fresh.map((s) => s.name))],
      secrets: [...secrets],
      remember,
    });
  }

  const watchers: FSWatcher[] = [];
  for (const dir of options.directories) {
    try {
      const watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (!name) return;
        try {
          reread(join(dir, name.toString()));
        } catch (error) {
          options.onError(`${displayPath(cwd, dir)}: ${(error as Error).name}`);
        }
      });
      watcher.on("error", (error) => {
        options.onError(
          `${displayPath(cwd, dir)}: ${(error as NodeJS.ErrnoException).code ?? error.name}`,
        );
        watcher.close();
      });
      watchers.push(watcher);
    } catch (error) {
      // A directory that vanished or cannot be watched: the others still are.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT") options.onError(`${displayPath(cwd, dir)}: ${code ?? "error"}`);
    }
  }
  for (const file of [...options.files, ...credentialFiles.keys()]) {
    try {
      reread(file);
    } catch {
      // as in the watch callback: what is known stays protected
    }
  }
  return {
    directories: watchers.length,
    close: () => watchers.forEach((w) => w.close()),
  };
}
