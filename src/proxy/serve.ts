/**
 * The thin server adapter: one server of the runtime's (src/runtime) on 127.0.0.1 (a free port),
 * every request handed to `createHandler`'s function. Only what needs the server lives here: the port (hence the one
 * `Host` answered), the idle timeout lifted once a body is in, and, later, WebSocket upgrades.
 *
 * ```ts
 * const proxy = serve({ agent, engine, settings, session, token });
 * // ... the agent's client talks to proxy.origin ...
 * await proxy.stop();
 * ```
 */
import { createHandler, type HandlerOptions } from "./handler.ts";
import { internal } from "./refusals.ts";
import { runtime } from "../runtime/mod.ts";

export type ServeOptions = Omit<HandlerOptions, "host" | "onBodyReceived"> & {
  /** Bun's idle timeout in seconds (tests shorten it to prove every request opts out of it). */
  idleTimeout?: number;
};

export interface RunningProxy {
  port: number;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  stop(): Promise<void>;
}

export function serve(options: ServeOptions): RunningProxy {
  const { idleTimeout, ...handlerOptions } = options;
  const render = options.agent.render;
  // The runtime's server (src/runtime: Bun's server when compiled, Deno's from source), with no
  // development error page and no body limit of its own (ficta enforces proxy.max_body_mb itself,
  // so an oversized body gets a message and a log line).
  const server = runtime.serve({
    hostname: "127.0.0.1",
    port: 0,
    ...(idleTimeout === undefined ? {} : { idleTimeout }),
    // WebSocket upgrades (issue 17) go here, before `handle`: for a request that asks for one,
    // the same caller checks (`createAdmission(options)` from handler.ts: Host, Origin, token),
    // then `server.upgradeWebSocket(request, handlers)` (src/runtime/types.ts). Until then the
    // handler refuses every upgrade with 426.
    handler: (request) => handle(request),
    error: () => render(internal("Error", { forwarded: false })),
  });
  const host = `127.0.0.1:${server.port}`;
  // Defined before any request can arrive (this runs in the same turn): it needs the port.
  const handle = createHandler({
    ...handlerOptions,
    host,
    onBodyReceived: (request) => server.noIdleTimeout(request),
  });
  return {
    port: server.port,
    origin: `http://${host}`,
    stop: () => server.stop(),
  };
}
