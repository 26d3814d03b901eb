/**
 * An engine still compiling, for the proxy to hold while the agent starts: the agent needs the proxy's
 * port before it is spawned, but sends its first request only after its own startup (hundreds
 * of milliseconds), so compiling can overlap it instead of delaying the launch.
 *
 * The proxy starts every request with a redact call, which waits for the compiled engine. The
 * synchronous methods are valid only after that; called earlier they throw, and the proxy
 * refuses the request (nothing is forwarded without the real engine).
 *
 * The engine can be replaced mid-session (a value appeared in a watched file): from the next
 * request on, redaction waits for the new one. A replacement that fails to compile leaves the
 * current engine in place: a watcher's trouble never stops protection of what is known.
 * Surrogates are deterministic, so answers restore the same under either engine.
 *
 * ```ts
 * const engine = deferredEngine(compileEngine(secrets, key, options)); // hand to the proxy now
 * engine.replace(compileEngine(more, key, options));                   // a watched file changed
 * ```
 */
import type { Engine } from "../core/mod.ts";

export interface ReplaceableEngine extends Engine {
  replace(next: Promise<Engine>): void;
}

export function deferredEngine(compiling: Promise<Engine>): ReplaceableEngine {
  let compiled: Engine | undefined;
  let current: Promise<Engine> = compiling;
  let settled = false;
  compiling.then((engine) => {
    compiled = engine;
    settled = current === compiling;
  }, () => {});
  const ready = (): Engine => {
    if (!compiled) throw new Error("the engine is still compiling");
    return compiled;
  };
  const latest = async (): Promise<Engine> => (settled ? compiled! : await current);
  return {
    redactBytes: async (input) => (await latest()).redactBytes(input),
    redactText: async (input) => (await latest()).redactText(input),
    gateBytes: (input) => ready().gateBytes(input),
    gateText: (input) => ready().gateText(input),
    restorer: (response) => ready().restorer(response),
    replace(next) {
      const previous = current;
      settled = false;
      const replacing: Promise<Engine> = next.then(
        (engine) => engine,
        () => previous, // keep protecting with what is known (or fail as the first compile did)
      ).then((engine) => {
        if (current === replacing) {
          compiled = engine;
          settled = true;
        }
        return engine;
      });
      current = replacing;
    },
  };
}
