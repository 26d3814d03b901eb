/**
 * The thin server adapter: one `runtime.serve` on 127.0.0.1 (a free port) or on a Unix socket,
 * every request handed to `createHandler`'s function. Only what needs the server lives here: the
 * port (hence the one `Host` answered), the idle timeout lifted once a body is in, and WebSocket
 * upgrades (the handler checks them like any request, then hands them to the relay in
 * websocket.ts). The runtime's own APIs stay in src/runtime/.
 *
 * ```ts
 * const proxy = serve({ agent, engine, settings, session, token });
 * // ... the agent's client talks to proxy.origin ...
 * await proxy.stop();
 * ```
 */
import { chmodSync } from "node:fs";
import { requestLine, showWhenQuiet } from "../report/index.ts";
import { createHandler, type HandlerOptions, PROXY_TOKEN_HEADER, UPGRADED } from "./handler.ts";
import { internal } from "./refusals.ts";
import { createWebSocketRelay, targetOf } from "./websocket.ts";
import { runtime } from "../runtime/mod.ts";

export type ServeOptions = Omit<HandlerOptions, "host" | "onBodyReceived" | "upgrade"> & {
  /**
   * The runtime's idle timeout in seconds (Bun; tests shorten it to prove every request opts out
   * of it).
   */
  idleTimeout?: number;
  /**
   * Listen on this Unix socket instead of a loopback port (in a directory only this user can
   * enter; the socket itself is made 0600): no other local user can connect at all. The client
   * then sends `Host: localhost`.
   */
  unix?: string;
};

export interface RunningProxy {
  port: number;
  /** `http://127.0.0.1:PORT`, or `http://localhost` on a Unix socket. */
  origin: string;
  /** The Unix socket's path, when listening on one. */
  unix?: string;
  stop(): Promise<void>;
}

export function serve(options: ServeOptions): RunningProxy {
  const { idleTimeout, unix, ...handlerOptions } = options;
  const render = options.agent.render;
  const support = options.agent.webSocket;
  const relay = support
    ? createWebSocketRelay({
      engine: options.engine,
      dialect: options.dialect,
      support,
      identityHeaders: options.agent.identityHeaders,
      maxFrameBytes: options.settings.proxy.max_body_mb * 1024 * 1024,
      transport: options.settings.proxy.transport,
      tokenHeader: PROXY_TOKEN_HEADER,
      record: (entry) => {
        options.session.record(entry);
        if (options.requestLines && (!options.settings.log.quiet || showWhenQuiet(entry))) {
          options.requestLines(requestLine(entry));
        }
      },
    })
    : undefined;
  const server = runtime.serve({
    hostname: "127.0.0.1",
    port: 0,
    ...(unix === undefined ? {} : { unix }),
    ...(idleTimeout === undefined ? {} : { idleTimeout }),
    ...(relay ? { webSocket: relay.serverOptions } : {}),
    // An upgrade the handler lets through is the relay's from then on (Bun answers 101 itself;
    // Deno's 101 is the relay's answer).
    handler: async (request) => {
      const response = await handle(request);
      return response === UPGRADED ? undefined : response;
    },
    error: () => render(internal("Error", { forwarded: false })),
  });
  if (unix !== undefined) chmodSync(unix, 0o600);
  const host = unix === undefined ? `127.0.0.1:${server.port}` : "localhost";
  // Defined before any request can arrive (this runs in the same turn): it needs the port.
  const handle = createHandler({
    ...handlerOptions,
    host,
    onBodyReceived: (request) => server.noIdleTimeout(request),
    ...(relay
      ? {
        upgrade: (request, route, path) => {
          server.noIdleTimeout(request);
          return relay.upgrade(request, server, targetOf(route, path));
        },
      }
      : {}),
  });
  return {
    port: server.port,
    origin: `http://${host}`,
    ...(unix === undefined ? {} : { unix }),
    async stop() {
      await server.stop();
    },
  };
}
