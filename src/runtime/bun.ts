/**
 * The Bun adapter: the runtime ficta is compiled with and ships on. The only file in `src/` that
 * uses `Bun.` APIs; each one here is either the only way to do the job on Bun (`serve`'s idle
 * timeout, `spawn`), or measurably faster than the portable spelling (`which`, `Glob`).
 * Measured choices (docs in NOTES / issue 18): `DecompressionStream` is as fast as or faster than
 * `node:zlib` streams on Bun for 5 MB bodies, so decoding stays on the web standard.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type {
  Child,
  Coding,
  Runtime,
  ServeOptions,
  Server,
  ServerSocket,
  SocketHandlers,
  SpawnOptions,
} from "./types.ts";

const FORMATS: Record<Coding, CompressionFormat> = {
  gzip: "gzip",
  deflate: "deflate",
  "deflate-raw": "deflate-raw",
  br: "brotli" as CompressionFormat,
  zstd: "zstd" as CompressionFormat,
};

/** The socket's handlers travel as its `data`, set at upgrade time. */
type SocketData = { handlers: SocketHandlers; socket?: ServerSocket };

function socketOf(ws: Bun.ServerWebSocket<SocketData>): ServerSocket {
  return ws.data.socket ??= {
    // 0: dropped (backpressure limit); -1: queued; > 0: sent.
    send: (data) => ws.send(data) !== 0,
    close: (code, reason) => ws.close(code, reason),
  };
}

function serve(options: ServeOptions): Server {
  const server: Server = {
    get port() {
      return bunServer.port ?? 0;
    },
    noIdleTimeout: (request) => bunServer.timeout(request, 0),
    upgradeWebSocket: (request, handlers) =>
      bunServer.upgrade(request, { data: { handlers } }) ? undefined : null,
    stop: () => bunServer.stop(true),
  };
  const bunServer = Bun.serve<SocketData>({
    ...(options.unix === undefined
      ? {
        hostname: options.hostname,
        port: options.port,
        ...(options.idleTimeout === undefined ? {} : { idleTimeout: options.idleTimeout }),
      }
      : { unix: options.unix }),
    // Never Bun's development error page (bundled source, working directory) nor its console dump.
    development: false,
    // The caller enforces its own body limit, so an oversized body gets a message and a log line.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    fetch: (request) => options.handler(request, server),
    websocket: {
      perMessageDeflate: true,
      // A model may think for minutes: Bun pings the client before its idle timeout.
      sendPings: true,
      ...(options.webSocket?.maxPayloadLength === undefined
        ? {}
        : { maxPayloadLength: options.webSocket.maxPayloadLength }),
      open: (ws) => ws.data.handlers.open?.(socketOf(ws)),
      message: (ws, message) =>
        ws.data.handlers.message(
          socketOf(ws),
          typeof message === "string" ? message : new Uint8Array(message),
        ),
      close: (ws, code, reason) => ws.data.handlers.close?.(socketOf(ws), code, reason),
    },
    error: options.error,
  });
  return server;
}

function spawn(argv: string[], options: SpawnOptions): Child {
  const child = Bun.spawn(argv, {
    env: options.env,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: [options.stdin ?? "ignore", options.stdout ?? "ignore", options.stderr ?? "ignore"],
    ...(options.detached ? { detached: true } : {}),
  });
  return {
    pid: child.pid,
    stdout: options.stdout === "pipe" ? child.stdout as ReadableStream<Uint8Array> : null,
    exited: child.exited,
    get signalCode() {
      const signal = child.signalCode;
      return typeof signal === "string" ? signal : null;
    },
    kill: (signal) => {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    },
  };
}

export const bun: Runtime = {
  name: "bun",
  serve,
  connectWebSocket: (url, options) =>
    new (WebSocket as unknown as new (url: string, options: object) => WebSocket)(url, {
      ...options,
      perMessageDeflate: true,
    }),
  spawn,
  which: (command, options) => Bun.which(command, options),
  glob: (pattern) => new Bun.Glob(pattern),
  decompression: (coding) =>
    new DecompressionStream(FORMATS[coding]) as unknown as TransformStream<Uint8Array, Uint8Array>,
  fetchUpstream: (url, init) =>
    // Compressed answers are passed through as sent; a model may think for minutes.
    fetch(url, { ...init, redirect: "manual", decompress: false, timeout: false }),
  collectGarbage: () => Bun.gc(true),
  mainPath: () => Bun.main,
  sourceCommand: (root) => {
    const bunfig = join(root, "bunfig.toml");
    return [
      process.execPath,
      "--no-env-file",
      ...(existsSync(bunfig) ? [`--config=${bunfig}`] : []),
      join(root, "src", "main.ts"),
    ];
  },
};
