/**
 * An engine still compiling, for the proxy to hold while Codex starts: Codex needs the proxy's
 * port before it is spawned, but sends its first request only after its own startup (hundreds
 * of milliseconds), so compiling can overlap it instead of delaying the launch.
 *
 * The proxy starts every request with a redact call, which waits for the compiled engine. The
 * synchronous methods are valid only after that; called earlier they throw, and the proxy
 * refuses the request (nothing is forwarded without the real engine).
 */
import type { Engine } from "../engine/types.ts";

export function deferredEngine(compiling: Promise<Engine>): Engine {
  let compiled: Engine | undefined;
  compiling.then((engine) => (compiled = engine), () => {});
  const ready = (): Engine => {
    if (!compiled) throw new Error("the engine is still compiling");
    return compiled;
  };
  return {
    redactBytes: async (input) => (compiled ?? await compiling).redactBytes(input),
    redactText: async (input) => (compiled ?? await compiling).redactText(input),
    gateBytes: (input) => ready().gateBytes(input),
    gateText: (input) => ready().gateText(input),
    restorer: (contentType) => ready().restorer(contentType),
    restoreText: (input) => ready().restoreText(input),
    stats: () => ready().stats(),
  };
}
