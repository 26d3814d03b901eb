/**
 * What a launch protects, and for how long: the registry (dotenv files, the monorepo below the
 * launch directory, the environment, secret managers, the agents' credential files), values
 * remembered from earlier launches (the protected-value store), and values that appear in watched
 * files during the session. All of it joins the engine that the proxy holds. None of it is on the
 * path to the agent's spawn unless the launch needs it to decide whether it may run (see
 * launch.ts): the registry, the store and the compile run while the agent starts, and the proxy
 * holds every request until the engine has every source compiled in (deferred-engine.ts).
 *
 * ```ts
 * const protection = startProtection({ settings, env, cwd, extra, key, log,
 *   compile: (secrets) => compileEngine(secrets, key, engineOptions(settings, { dialect })) });
 * serve({ engine: protection.engine, ... }); // then spawn the child, and:
 * const lines = await protection.begin(loadRegistry(...), stopChild); // compile, store, watch
 * ```
 */
import type { Env } from "../config/paths.ts";
import type { Settings } from "../config/schema.ts";
import type { Engine, Secret } from "../core/mod.ts";
import type { Registry } from "../registry/index.ts";
import type { Remembered, StoredValue, StoreKey } from "../registry/store.ts";
import type { Watching } from "../registry/watch.ts";
import { deferredEngine, type ReplaceableEngine } from "./deferred-engine.ts";

export interface Protection {
  /** For the proxy: compiles once `begin` is called, replaced when a watched file changes. */
  engine: ReplaceableEngine;
  /**
   * Compile the registry (once it is loaded) and the stored values, store this launch's values,
   * start watching. Resolves to the launch-report lines (no `ficta: ` prefix: stored and watched
   * counts) once the registry is known; a registry that fails to load fails the compile.
   */
  begin(registry: Promise<Registry>, onCompileError: (error: unknown) => void): Promise<string[]>;
  /** Stops watching, waits for the store; returns lines for the exit report. */
  stop(): Promise<string[]>;
}

export function startProtection(options: {
  settings: Settings;
  env: Env;
  cwd: string;
  /** Secrets that belong to this launch only (the proxy token). */
  extra: Secret[];
  key: CryptoKey;
  /** Takes the one metadata line per live update (into the session's requests.jsonl). */
  log(entry: Record<string, unknown>): void;
  compile(secrets: readonly Secret[]): Promise<Engine>;
}): Protection {
  const { settings, env } = options;
  const config = settings.registry;
  const compiling = Promise.withResolvers<Engine>();
  const engine = deferredEngine(compiling.promise);
  const problems: string[] = [];
  // Loaded by `begin`, after the spawn: nothing of the store or the watcher before it.
  let loadingModules:
    | Promise<[typeof import("../registry/store.ts"), typeof import("../registry/watch.ts")]>
    | undefined;
  const modules = () =>
    loadingModules ??= Promise.all([
      import("../registry/store.ts"),
      import("../registry/watch.ts"),
    ]);
  let watching: Watching | undefined;
  let storing: Promise<unknown> = Promise.resolve();
  /** Settles once this launch's values are queued for the store (after the first compile). */
  let queued: Promise<unknown> = Promise.resolve();
  let sealing: Promise<StoreKey> | undefined;
  const sealKey = () => (sealing ??= modules().then(([{ storeKey }]) => storeKey(options.key)));

  let storeUsable = config.store;
  let stopped = false;
  const store = (items: readonly Remembered[]) => {
    if (!storeUsable || items.length === 0) return;
    // One write at a time: each reads the store again just before writing.
    storing = storing.then(async () => {
      try {
        const [{ remember }] = await modules();
        await remember(env, await sealKey(), items, config.store_max);
      } catch (error) {
        problems.push(
          `store: could not save (${(error as Error).message || (error as Error).name})`,
        );
      }
    });
  };

  const log = (entry: Record<string, unknown>) => {
    try {
      options.log(entry);
    } catch {
      // logging must never stop protection
    }
  };

  return {
    engine,
    begin(loading, onCompileError) {
      const ready = Promise.all([loading, modules(), import("../registry/index.ts")]);
      const all = ready.then(async ([registry, [{ readStore, StoreError }], { storedSecrets }]) => {
        const base = [...registry.secrets, ...options.extra];
        let stored: StoredValue[] = [];
        if (config.store) {
          try {
            stored = await readStore(env, await sealKey());
          } catch (error) {
            if (!(error instanceof StoreError)) throw error;
            if (error.otherKey) {
              storeUsable = false;
              problems.push(
                "store: sealed under another surrogate key (FICTA_SURROGATE_KEY, or a new key " +
                  "file): its values were not protected and nothing was stored; " +
                  "`ficta registry forget --all` starts a new store",
              );
            } else {problems.push(
                `store: ${error.message}; its values were not protected this time`,
              );}
          }
        }
        return [...base, ...storedSecrets(settings, stored, base)];
      });
      const first = all.then((secrets) => options.compile(secrets));
      first.then(compiling.resolve, (error) => {
        compiling.reject(error);
        onCompileError(error);
      });
      // Stored after the compile, so the first request does not wait for the write.
      queued = Promise.all([ready, first]).then(
        ([[registry]]) => store(registry.remembered),
        () => {},
      );
      const lines = ready.then(([registry, [{ storedCount }, { watchedDirectories }]]) => {
        const reportLines: string[] = [];
        const directories = config.watch ? watchedDirectories(registry, env) : [];
        if (config.store) {
          const count = storedCount(env);
          if (count > 0) {
            reportLines.push(`registry: store (${count} values from earlier launches)`);
          }
        }
        if (directories.length) {
          reportLines.push(`registry: watching ${directories.length} directories for new values`);
        }
        if (directories.length === 0) return reportLines;
        Promise.all([all, modules()]).then(([secrets, [, { watchSources }]]) => {
          if (stopped) return;
          watching = watchSources({
            settings,
            env,
            cwd: options.cwd,
            directories,
            files: registry.dotenvFiles,
            credentialFiles: registry.credentialFiles,
            secrets,
            onUpdate(update) {
              engine.replace(options.compile(update.secrets));
              log({
                time: new Date().toISOString(),
                event: "registry",
                source: update.source,
                added: update.added,
              });
              store(update.remember);
            },
            onError(message) {
              log({ time: new Date().toISOString(), event: "watch-error", error: message });
            },
          });
        }, () => {});
        return reportLines;
      });
      // The caller's failure path is the compile's: no unhandled rejection from here.
      lines.catch(() => {});
      return lines;
    },
    async stop() {
      stopped = true;
      watching?.close();
      // A session shorter than the compile still stores what it protected.
      await queued;
      await storing;
      return problems;
    },
  };
}
