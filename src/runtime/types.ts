/**
 * What ficta needs from the JavaScript runtime it runs on, and nothing else. Everything not listed
 * here is a web standard (`fetch`, `Request`/`Response`, streams, `crypto.subtle`) or a `node:`
 * module that Bun and Deno both provide (`node:fs` for every file read and write, `node:path`,
 * `node:os`, `node:util`, `process` with its signal events): those are used directly.
 *
 * Two adapters implement it: `bun.ts` (the runtime ficta is compiled with and ships on, and the
 * only file in `src/` that uses Bun's own APIs) and `deno.ts` (running from source with
 * `deno run -A src/main.ts`). `mod.ts` picks one.
 *
 * @example
 * ```ts
 * import { runtime } from "../runtime/mod.ts";
 * const codex = runtime.which("codex", { PATH: process.env.PATH ?? "" });
 * ```
 */

/** The environment a child gets, exactly: nothing of ficta's own is inherited. */
export type ChildEnv = Record<string, string | undefined>;

export interface SpawnOptions {
  env: ChildEnv;
  cwd?: string;
  /** Default "ignore"; "inherit" hands the child ficta's terminal. */
  stdin?: "inherit" | "ignore";
  /** Default "ignore"; "pipe" makes `Child.stdout` a stream. */
  stdout?: "inherit" | "pipe" | "ignore";
  /** Default "ignore". */
  stderr?: "inherit" | "ignore";
  /** Its own session and process group (no terminal to prompt on; a group to kill). */
  detached?: boolean;
}

export interface Child {
  readonly pid: number;
  /** The child's stdout when spawned with `stdout: "pipe"`, else null. */
  readonly stdout: ReadableStream<Uint8Array> | null;
  /** Its exit code once it has ended (128+n, or the runtime's own code, when signal n ended it). */
  readonly exited: Promise<number>;
  /** The signal that ended it (e.g. "SIGTERM"), once `exited` has resolved; null otherwise. */
  readonly signalCode: NodeJS.Signals | null;
  /** Sends a signal (default SIGTERM). Never throws for a child that is already gone. */
  kill(signal?: NodeJS.Signals): void;
}

/** Codex's side of an accepted WebSocket (issue 17): what a relay writes to. */
export interface ServerSocket {
  /**
   * Queues a frame. false when the runtime dropped it (the peer stopped reading past the
   * backpressure limit): a relay must then close rather than lose an event silently.
   */
  send(data: string | Uint8Array): boolean;
  close(code?: number, reason?: string): void;
}

/**
 * What a relay does with an accepted WebSocket. The adapter calls these in order: `open` once,
 * `message` per frame (text as string, binary as bytes), `close` once.
 */
export interface SocketHandlers {
  open?(socket: ServerSocket): void;
  message(socket: ServerSocket, data: string | Uint8Array): void;
  close?(socket: ServerSocket, code: number, reason: string): void;
}

export interface ServeOptions {
  /** Always given: a runtime default could be every interface. ficta passes "127.0.0.1". */
  hostname: string;
  /** 0 for any free port (Bun would otherwise read $PORT). */
  port: number;
  /** Listen on this Unix socket path instead of `hostname`:`port` (then `Server.port` is 0). */
  unix?: string;
  /** Seconds a connection may stay silent before the runtime drops it (Bun only; default 10). */
  idleTimeout?: number;
  /**
   * Accepted WebSockets: the largest frame the runtime takes (Bun closes the socket above it;
   * Deno has no such limit, so a relay checks sizes itself too). permessage-deflate is offered
   * and pings are sent where the runtime can (Bun: both; Deno: pings only).
   */
  webSocket?: { maxPayloadLength?: number };
  /**
   * Answers one request. `undefined` only as returned by `Server.upgradeWebSocket`. A throw is
   * answered by `error` (never by the runtime's own error page).
   */
  handler(request: Request, server: Server): Promise<Response | undefined>;
  error(error: unknown): Response;
}

export interface Server {
  readonly port: number;
  /**
   * No idle timeout for this request from now on: a model may think silently for minutes. Until
   * it is called the runtime's idle timeout (Bun: `idleTimeout`) drops a stalled sender.
   */
  noIdleTimeout(request: Request): void;
  /**
   * Accepts a WebSocket upgrade of `request` (the caller has checked token, Host and Origin).
   * Return its result from the handler as is: Bun answers the handshake itself (undefined), Deno
   * hands back the 101 response. Null when the request is no valid upgrade (answer it yourself).
   */
  upgradeWebSocket(request: Request, handlers: SocketHandlers): Response | undefined | null;
  /** Stops listening and drops connections still open. */
  stop(): Promise<void>;
}

/** Options for a WebSocket to the upstream; both runtimes take the extra headers. */
export interface ClientSocketOptions {
  headers?: Record<string, string>;
  /** An HTTP(S) proxy URL for the connection (Bun; Deno ignores it and goes direct). */
  proxy?: string;
}

/** The content codings ficta decodes (HTTP names; `deflate-raw` is unwrapped deflate). */
export type Coding = "gzip" | "deflate" | "deflate-raw" | "br" | "zstd";

export interface GlobMatcher {
  /** Whether the whole of `text` matches (`*`, `?`, `[...]`, `{a,b}`, `**`, `\`, leading `!`). */
  match(text: string): boolean;
}

export interface Runtime {
  readonly name: "bun" | "deno";
  /** An HTTP server (and WebSocket upgrades) on `options.hostname`. */
  serve(options: ServeOptions): Server;
  /** A WebSocket to the upstream (permessage-deflate offered where the runtime can). */
  connectWebSocket(url: string, options: ClientSocketOptions): WebSocket;
  /** Starts `argv`. Throws at once (with `code` ENOENT, EACCES, ...) when it cannot start. */
  spawn(argv: string[], options: SpawnOptions): Child;
  /** The path of `command` on `PATH` (relative entries resolved from `cwd`), or null. */
  which(command: string, options: { PATH: string; cwd?: string }): string | null;
  /** A compiled glob, for names and file names (not a directory walk). */
  glob(pattern: string): GlobMatcher;
  /** Undoes one content coding as a stream. */
  decompression(coding: Coding): TransformStream<Uint8Array, Uint8Array>;
  /**
   * `fetch` for the upstream: redirects not followed, no idle timeout, and the body as the
   * upstream sent it, or decoded with `content-encoding` and `content-length` dropped (never
   * decoded bytes under a coding header).
   */
  fetchUpstream(url: string, init: RequestInit): Promise<Response>;
  /** A full garbage collection, where the runtime allows one (a hint otherwise). */
  collectGarbage(): void;
  /** The entry point's path (Bun: `/$bunfs/...` inside a compiled binary). */
  mainPath(): string;
  /**
   * How to run this checkout (`root`, holding `src/main.ts`) again from source, with the current
   * directory's `.env` and runtime configuration kept out, as the compiled binary keeps them out.
   */
  sourceCommand(root: string): string[];
}
