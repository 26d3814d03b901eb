/**
 * What a launch protects beyond its registry, and for how long: values remembered from earlier
 * launches (the protected-value store), and values that appear in watched files during the
 * session. Both join the engine that the proxy holds; nothing here is on the path to the agent's
 * spawn except reading the store's one-line header for the launch report.
 *
 * ```ts
 * const protection = startProtection({ settings, env, cwd, registry, extra, key, log,
 *   compile: (secrets) => compileEngine(secrets, key, engineOptions(settings, { dialect })) });
 * serve({ engine: protection.engine, ... }); // then spawn the child, and:
 * protection.begin(stopChild);                 // compile, store, watch
 * ```
 */
import type { Env } from "../config/paths.ts";
import type { Settings } from "../config/schema.ts";
import type { Engine, Secret } from "../core/mod.ts";
import { type Registry, storedSecrets } from "../registry/index.ts";
import {
  readStore,
  remember,
  type Remembered,
  storedCount,
  type StoredValue,
  StoreError,
  type StoreKey,
  storeKey,
} from "../registry/store.ts";
import { watchedDirectories, type Watching, watchSources } from "../registry/watch.ts";
import { deferredEngine, type ReplaceableEngine } from "./deferred-engine.ts";

export interface Protection {
  /** For the proxy: compiles once `begin` is called, replaced when a watched file changes. */
  engine: ReplaceableEngine;
  /** Launch-report lines (no `ficta: ` prefix): stored and watched counts. */
  reportLines: string[];
  /** After the spawn: compile (registry + stored), store this launch's values, start watching. */
  begin(onCompileError: (error: unknown) => void): void;
  /** Stops watching, waits for the store; returns lines for the exit report. */
  stop(): Promise<string[]>;
}

export function startProtection(options: {
  settings: Settings;
  env: Env;
  cwd: string;
  registry: Registry;
  /** Secrets that belong to this launch only (the proxy token). */
  extra: Secret[];
  key: CryptoKey;
  /** Takes the one metadata line per live update (into the session's requests.jsonl). */
  log(entry: Record<string, unknown>): void;
  compile(secrets: readonly Secret[]): Promise<Engine>;
}): Protection {
  const { settings, env, registry } = options;
  const config = settings.registry;
  const compiling = Promise.withResolvers<Engine>();
  const engine = deferredEngine(compiling.promise);
  const problems: string[] = [];
  const reportLines: string[] = [];
  const directories = config.watch ? watchedDirectories(registry, env) : [];
  if (config.store) {
    const count = storedCount(env);
    if (count > 0) reportLines.push(`registry: store (${count} values from earlier launches)`);
  }
  if (directories.length) {
    reportLines.push(`registry: watching ${directories.length} directories for new values`);
  }
  let watching: Watching | undefined;
  let storing: Promise<unknown> = Promise.resolve();
  /** Settles once this launch's values are queued for the store (after the first compile). */
  let queued: Promise<unknown> = Promise.resolve();
  let sealing: Promise<StoreKey> | undefined;
  const sealKey = () => (sealing ??= storeKey(options.key));

  let storeUsable = config.store;
  const store = (items: readonly Remembered[]) => {
    if (!storeUsable || items.length === 0) return;
    // One write at a time: each reads the store again just before writing.
    storing = storing.then(async () => {
      try {
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
    reportLines,
    begin(onCompileError) {
      const base = [...registry.secrets, ...options.extra];
      const all = (async () => {
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
      })();
      const first = all.then((secrets) => options.compile(secrets));
      first.then(compiling.resolve, (error) => {
        compiling.reject(error);
        onCompileError(error);
      });
      // Stored after the compile, so the first request does not wait for the write.
      queued = first.then(() => store(registry.remembered), () => {});
      if (directories.length === 0) return;
      all.then((secrets) => {
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
    },
    async stop() {
      watching?.close();
      // A session shorter than the compile still stores what it protected.
      await queued;
      await storing;
      return problems;
    },
  };
}
