/**
 * The Deno adapter, for running ficta from source: `deno run -A src/main.ts <command>`. Loaded
 * only when `globalThis.Bun` is absent (mod.ts), so nothing here is in Bun's start-up path.
 *
 * Differences from Bun that this file absorbs (measured on Deno 2.9.6):
 * - `DecompressionStream` has no "zstd": it comes from `node:zlib` here.
 * - `fetch` decodes gzip and br answers but keeps `Content-Encoding` and `Content-Length`, and has
 *   no `decompress: false`; with `Accept-Encoding: identity` it decodes nothing, so the upstream
 *   is asked for identity (the answer may still come encoded: it is then passed on as sent).
 * - `Deno.serve` has no idle timeout to lift and prints "Listening on" unless told not to;
 *   WebSockets have no permessage-deflate and no frame size limit (the relay checks sizes).
 * - `Deno.Command` inherits the environment unless `clearEnv` is set.
 * - With no Node.js on PATH, Deno prepends its own `node` to PATH: taken back out (below).
 * - No forced garbage collection without `--v8-flags=--expose-gc` (then `gc()` is used).
 */
import { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import { basename, delimiter, join } from "node:path";
import { createZstdDecompress } from "node:zlib";
import { globMatcher } from "./glob.ts";
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
import { whichOnPath } from "./which.ts";

/**
 * Deno puts a `node` that is Deno itself first on PATH when no real Node.js is on it (its "node
 * shim", marked by DENO_NODE_SHIM_ACTIVE). ficta hands the agent the user's environment as it
 * was: that entry and the marker are taken back out before anything reads the environment.
 */
function undoNodeShim(): void {
  const entries = (process.env.PATH ?? "").split(delimiter);
  if (!process.env.DENO_NODE_SHIM_ACTIVE || basename(entries[0] ?? "") !== "node_compat_bin") {
    return;
  }
  process.env.PATH = entries.slice(1).join(delimiter);
  delete process.env.DENO_NODE_SHIM_ACTIVE;
}
undoNodeShim();

/** How long `stop()` waits for open responses (an SSE stream may never end by itself). */
const STOP_GRACE_MS = 250;

function upgrade(request: Request, handlers: SocketHandlers): Response | null {
  let accepted;
  try {
    accepted = Deno.upgradeWebSocket(request);
  } catch {
    return null;
  }
  const { socket, response } = accepted;
  socket.binaryType = "arraybuffer";
  const side: ServerSocket = {
    send: (data) => {
      // Deno buffers without limit and never drops a frame.
      socket.send(data as Uint8Array<ArrayBuffer> | string);
      return true;
    },
    close: (code, reason) => socket.close(code, reason),
  };
  socket.onopen = () => handlers.open?.(side);
  socket.onmessage = (event) =>
    handlers.message(
      side,
      typeof event.data === "string" ? event.data : new Uint8Array(event.data as ArrayBuffer),
    );
  socket.onclose = (event) => handlers.close?.(side, event.code, event.reason);
  return response;
}

function serve(options: ServeOptions): Server {
  const stopping = new AbortController();
  const server: Server = {
    get port() {
      const address = denoServer.addr;
      return "port" in address ? address.port : 0;
    },
    noIdleTimeout: () => {},
    upgradeWebSocket: upgrade,
    async stop() {
      stopping.abort();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        denoServer.finished,
        new Promise((done) => timer = setTimeout(done, STOP_GRACE_MS)),
      ]);
      clearTimeout(timer);
    },
  };
  const common = { signal: stopping.signal, onListen: () => {}, onError: options.error };
  const handle = async (request: Request) =>
    (await options.handler(request, server)) ?? options.error(new Error("no response"));
  const denoServer: Deno.HttpServer<Deno.NetAddr | Deno.UnixAddr> = options.unix === undefined
    ? Deno.serve({ ...common, hostname: options.hostname, port: options.port }, handle)
    : Deno.serve({ ...common, path: options.unix }, handle);
  return server;
}

const STDIO = { inherit: "inherit", pipe: "piped", ignore: "null" } as const;

function spawn(argv: string[], options: SpawnOptions): Child {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.env)) {
    if (value !== undefined) env[name] = value;
  }
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    clearEnv: true,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdin: STDIO[options.stdin ?? "ignore"],
    stdout: STDIO[options.stdout ?? "ignore"],
    stderr: STDIO[options.stderr ?? "ignore"],
    ...(options.detached ? { detached: true } : {}),
  }).spawn();
  let signalCode: NodeJS.Signals | null = null;
  return {
    pid: child.pid,
    stdout: options.stdout === "pipe" ? child.stdout : null,
    exited: child.status.then((status) => {
      signalCode = status.signal as NodeJS.Signals | null;
      return status.code;
    }),
    get signalCode() {
      return signalCode;
    },
    kill: (signal = "SIGTERM") => {
      try {
        child.kill(signal as Deno.Signal);
      } catch {
        // already gone
      }
    },
  };
}

function decompression(coding: Coding): TransformStream<Uint8Array, Uint8Array> {
  if (coding === "zstd") {
    return Duplex.toWeb(createZstdDecompress()) as unknown as TransformStream<
      Uint8Array,
      Uint8Array
    >;
  }
  const format = coding === "br" ? "brotli" : coding;
  return new DecompressionStream(format as CompressionFormat) as unknown as TransformStream<
    Uint8Array,
    Uint8Array
  >;
}

function fetchUpstream(url: string, init: RequestInit): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("accept-encoding", "identity");
  return fetch(url, { ...init, headers, redirect: "manual" });
}

export const deno: Runtime = {
  name: "deno",
  serve,
  // Deno's WebSocket takes headers (no permessage-deflate, no proxy option).
  connectWebSocket: (url, options) =>
    new (WebSocket as unknown as new (url: string, options: object) => WebSocket)(url, {
      headers: options.headers,
    }),
  spawn,
  which: whichOnPath,
  glob: globMatcher,
  decompression,
  fetchUpstream,
  collectGarbage: () => (globalThis as { gc?: () => void }).gc?.(),
  mainPath: () => Deno.mainModule.startsWith("file:") ? fileURLToPath(Deno.mainModule) : "",
  sourceCommand: (root) => [
    Deno.execPath(),
    "run",
    "--allow-all",
    // This checkout's configuration, not one found from the current directory.
    `--config=${join(root, "deno.json")}`,
    "--no-lock",
    join(root, "src", "main.ts"),
  ],
};
