/**
 * A streaming API over WebSocket, relayed: one text frame per request body from the client, one
 * per answer event from the upstream (Codex's Responses WebSocket, docs/codex-websocket.md). The
 * handler lets an upgrade through only from the launch's client and where the agent takes
 * WebSocket (`ProxyAgent.webSocket`); the relay then opens the same to the upstream (`wss:`)
 * before it accepts the client's, so an upstream that refuses costs the client one attempt: ficta
 * answers that upgrade, and every later one, with 426, and the client (Codex, measured) falls
 * back to HTTP at once for the rest of its session.
 *
 * On an open connection:
 * - each text frame from the client is one request body: redacted and gated exactly like an HTTP
 *   body; a frame the gate refuses is never sent, and the client gets the agent's refusal frame
 *   (Codex: `response.failed` with `invalid_prompt`, shown verbatim, not retried);
 * - each text frame from the upstream is one event: it goes through the same restore as an SSE
 *   event (one restorer per connection, so a surrogate split across delta frames is held back
 *   and restored whole);
 * - binary frames, frames that are not one JSON object and frames over the size limit close the
 *   connection with a reason that says so; nothing of them is forwarded.
 *
 * The client's identity headers go upstream untouched; other headers are redacted and gated as
 * for HTTP. The upstream's upgrade answer headers (for Codex `x-codex-turn-state`,
 * `x-models-etag`, `openai-model`, `x-reasoning-included`) do not reach the client: Bun's
 * WebSocket client does not expose them.
 *
 * Both sockets come from the runtime adapter (`runtime.serve`'s `upgradeWebSocket`,
 * `runtime.connectWebSocket`); each connection's state lives in the handlers passed at upgrade.
 */
import type { Dialect, Engine, RestoreStats } from "../core/mod.ts";
import { newEntry, type RequestEntry } from "../report/index.ts";
import type { Route, WebSocketSupport } from "./agent.ts";
import { endToEnd } from "./headers.ts";
import { gate, type Outgoing, protocolHits, redactHeaders } from "./outgoing.ts";
import { blocked, type GateHit } from "./refusals.ts";
import { runtime, type Server, type ServerSocket, type SocketHandlers } from "../runtime/mod.ts";

/** `proxy.transport`: which transport the agent's model turns may use. */
export type Transport = "auto" | "http" | "websocket";

export interface WebSocketRelayOptions {
  engine: Engine;
  /** The agent's wire dialect, for the restorer. */
  dialect: Dialect;
  /** What the agent says about its WebSocket: refusal frames, the end of an answer. */
  support: Pick<WebSocketSupport, "refusal" | "ends">;
  /** Request headers carrying the user's identity: forwarded untouched (`ProxyAgent`). */
  identityHeaders: ReadonlySet<string>;
  /** Largest frame accepted from either side, in bytes (after permessage-deflate). */
  maxFrameBytes: number;
  /** Where each upgrade and each relayed request frame is recorded. */
  record(entry: RequestEntry): void;
  /** How long the upstream may take to accept the WebSocket (default 15 s). */
  connectTimeoutMs?: number;
  /** `auto` (default): an upstream that refuses WebSocket sends the client back to HTTP. */
  transport?: Transport;
  /** The environment for proxy variables (default process.env). */
  env?: Record<string, string | undefined>;
  /** The launch token's header, never sent upstream. */
  tokenHeader: string;
}

/** Where an accepted upgrade goes: the agent's route (its upstream URL is the `https:` twin). */
export interface WebSocketTarget {
  upstream: URL;
  route: string;
  /** The local path, already redacted and checked, for the log. */
  path: string;
}

/** The relay's target for a route the handler let through. */
export function targetOf(route: Route, path: string): WebSocketTarget {
  return { upstream: route.upstream, route: route.name, path };
}

/** Per-connection state, kept by the handlers of the client's socket. */
export interface RelayData {
  upstream: WebSocket;
  target: WebSocketTarget;
  /** Frames from the client are handled one after the other (redaction is asynchronous). */
  queue: Promise<void>;
  /** Request entries waiting for their response's last event, oldest first. */
  pending: PendingEntry[];
  restore: FrameRestorer;
  closed: boolean;
  /** The client's socket, once open (until it closes). */
  socket?: ServerSocket;
  /** Sends to the client once its socket is open. */
  send?: (text: string) => void;
  early: string[];
}

interface PendingEntry {
  entry: RequestEntry;
  started: number;
  /** Restore counts when the request went up, to count this response's share. */
  before: RestoreStats;
}

export interface WebSocketRelay {
  /**
   * Opens the upstream WebSocket and upgrades the client's request onto it. `headers`: the client's
   * headers, end to end. Returns the answer when ficta does not upgrade (426 to fall back to
   * HTTP, 400 for a refusal); once upgraded, what `server.upgradeWebSocket` returned (Bun:
   * undefined; Deno: the 101 to send).
   */
  upgrade(
    req: Request,
    server: Server,
    target: WebSocketTarget,
  ): Promise<Response | undefined>;
  /** What `runtime.serve` needs for the relay's sockets (its `webSocket` option). */
  readonly serverOptions: { maxPayloadLength: number };
  /** Whether upgrades are now answered with 426 (the upstream failed, or HTTP is forced). */
  readonly fallenBack: boolean;
}

/** Close codes (RFC 6455 §7.4.1). */
const UNSUPPORTED_DATA = 1003;
const INVALID_PAYLOAD = 1007;
const INTERNAL = 1011;

/** Headers of the upgrade that belong to this hop: the relay's client sets its own. */
const HANDSHAKE = [
  "host",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-extensions",
  "sec-websocket-protocol",
  "accept-encoding",
  "content-length",
];

export function createWebSocketRelay(options: WebSocketRelayOptions): WebSocketRelay {
  const { engine, tokenHeader, support } = options;
  const transport = options.transport ?? "auto";
  let fallenBack = transport === "http";
  const connectTimeout = options.connectTimeoutMs ?? 15_000;
  const env = options.env ?? process.env;

  const upgrade: WebSocketRelay["upgrade"] = async (req, server, target) => {
    const started = performance.now();
    const entry = newEntry("GET");
    entry.path = target.path;
    entry.route = target.route;
    entry.kind = "turn";
    entry.upstream = target.upstream.href;
    const done = (status: number, refused: string | null, note?: string) => {
      entry.status = status;
      entry.refused = refused;
      if (note) entry.note = note;
      entry.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      options.record(entry);
    };
    if (fallenBack) {
      // Not a refusal: the client carries on over HTTP.
      done(426, null, transport === "http" ? "websocket off: HTTP" : "websocket fallback: HTTP");
      return fallBack(transport === "http" ? "proxy.transport is http" : "the upstream refused");
    }

    // The upgrade's own headers are what the client sends upstream: checked as for an HTTP request.
    const headers = endToEnd(req.headers, [...HANDSHAKE, tokenHeader]);
    const counts = await redactHeaders(engine, headers, options.identityHeaders);
    if (Object.keys(counts).length) entry.redacted.headers = counts;
    const out: Outgoing = { pathname: target.upstream.pathname, search: "", headers, body: null };
    const hits = gate(engine, out, options.identityHeaders);
    if (hits.length) {
      entry.blocked = true;
      entry.blockedNames = [...new Set(hits.flatMap((hit) => hit.names))].sort();
      done(400, "blocked");
      return new Response(blocked(hits).message, {
        status: 400,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }

    let upstream: WebSocket;
    try {
      upstream = await connect(wsUrl(target.upstream), headers, connectTimeout, env);
    } catch (error) {
      // From now on every upgrade gets 426: the client's HTTP fallback sticks for its session.
      if (transport === "auto") fallenBack = true;
      const reason = `the upstream WebSocket failed (${(error as Error).message})`;
      if (transport === "auto") done(426, null, `${reason}; falling back to HTTP`);
      else {
        entry.outcome = "failed";
        done(502, "websocket-upstream");
      }
      if (transport === "websocket") {
        return new Response(`ficta could not open ${reason}; proxy.transport is websocket.`, {
          status: 502,
          headers: { "content-type": "text/plain; charset=utf-8" },
        });
      }
      return fallBack(reason);
    }

    const data: RelayData = {
      upstream,
      target,
      queue: Promise.resolve(),
      pending: [],
      restore: new FrameRestorer(engine, options.dialect),
      closed: false,
      early: [],
    };
    upstream.onmessage = (event) => fromUpstream(data, event.data);
    upstream.onclose = (event) => {
      if (!event.wasClean || event.code === 1006) {
        if (transport === "auto" && !data.closed) fallenBack = true;
      }
      endAll(data, "failed");
      data.closed = true;
      closeClient(data, event.code, event.reason);
    };
    upstream.onerror = () => {
      if (transport === "auto") fallenBack = true;
    };
    data.restore.onFrame = (text) => toClient(data, text);

    const accepted = server.upgradeWebSocket(req, handlersOf(data));
    if (accepted === null) {
      data.closed = true;
      upstream.close(1000);
      done(400, "websocket");
      return new Response("ficta: this request could not be upgraded to a WebSocket.", {
        status: 400,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    done(101, null);
    return accepted;
  };

  /** Sends a restored event to the client, or keeps it until the client's socket is open. */
  function toClient(data: RelayData, text: string): void {
    if (data.send) data.send(text);
    else data.early.push(text);
    const pending = data.pending[0];
    if (pending) pending.entry.bytesOut += text.length;
    if (pending && support.ends(text)) {
      data.pending.shift();
      finishEntry(data, pending, "complete");
    }
  }

  function finishEntry(data: RelayData, pending: PendingEntry, outcome: RequestEntry["outcome"]) {
    const now = data.restore.stats;
    pending.entry.restore = true;
    pending.entry.restored = now.restored - pending.before.restored;
    pending.entry.unknownSurrogates = now.unknown - pending.before.unknown;
    pending.entry.keptInTools = now.keptInTools - pending.before.keptInTools;
    pending.entry.outcome = outcome;
    pending.entry.durationMs = Math.round((performance.now() - pending.started) * 1000) / 1000;
    options.record(pending.entry);
  }

  function endAll(data: RelayData, outcome: RequestEntry["outcome"]) {
    for (const pending of data.pending.splice(0)) finishEntry(data, pending, outcome);
  }

  function closeClient(data: RelayData, code: number, reason: string) {
    const socket = data.socket;
    if (!socket) return;
    data.socket = undefined;
    // 1005/1006/1015 cannot be sent in a close frame.
    const sendable = code === 1000 || (code >= 3000 && code < 5000) ||
      (code >= 1001 && code <= 1014 && code !== 1005 && code !== 1006);
    socket.close(sendable ? code : INTERNAL, sendable ? reason : "ficta: the upstream closed");
  }

  /** A frame from the upstream: one Responses event, restored as an SSE event would be. */
  function fromUpstream(data: RelayData, message: unknown) {
    if (data.closed) return;
    if (typeof message !== "string") {
      abort(data, UNSUPPORTED_DATA, "ficta: the upstream sent a binary frame; it was not relayed");
      return;
    }
    if (message.length > options.maxFrameBytes) {
      abort(data, 1009, "ficta: the upstream sent a frame over the size limit; not relayed");
      return;
    }
    const event = oneLine(message);
    if (event === undefined) {
      abort(data, INVALID_PAYLOAD, "ficta: the upstream sent a frame that is not one JSON event");
      return;
    }
    data.restore.push(event);
  }

  /** Closes both sides; requests in flight are logged as failed. */
  function abort(data: RelayData, code: number, reason: string) {
    if (data.closed) return;
    data.closed = true;
    endAll(data, "failed");
    try {
      data.upstream.close(1000);
    } catch {
      // Already closing.
    }
    closeClient(data, code, reason);
  }

  /** A frame from the client: one request body, redacted and gated, then sent on (or refused). */
  async function fromClient(data: RelayData, socket: ServerSocket, message: string | Uint8Array) {
    if (data.closed) return;
    if (typeof message !== "string") {
      abort(data, UNSUPPORTED_DATA, "ficta: binary frames are not part of the Responses protocol");
      return;
    }
    const started = performance.now();
    const entry = newEntry("WS");
    entry.path = data.target.path;
    entry.route = data.target.route;
    entry.kind = "turn";
    entry.upstream = data.target.upstream.href;
    entry.status = 101;
    const raw = new TextEncoder().encode(message);
    entry.bytesIn = raw.byteLength;
    if (raw.byteLength > options.maxFrameBytes) {
      // Bun closes with 1009 before this; a runtime without a frame limit (Deno) gets here.
      entry.refused = "protocol";
      options.record(entry);
      abort(data, 1009, "ficta: a frame over the size limit; nothing was sent");
      return;
    }
    if (!isJsonObject(message)) {
      entry.refused = "protocol";
      options.record(entry);
      abort(data, INVALID_PAYLOAD, "ficta: a frame that is not one JSON request; nothing was sent");
      return;
    }
    const redacted = await engine.redactBytes(raw);
    if (Object.keys(redacted.counts).length) entry.redacted.body = redacted.counts;
    const hits: GateHit[] = [];
    const names = engine.gateBytes(redacted.output);
    if (names.length) hits.push({ surface: "request body", names });
    hits.push(...protocolHits(engine, raw, redacted.output));
    if (hits.length) {
      entry.blocked = true;
      entry.blockedNames = [...new Set(hits.flatMap((hit) => hit.names))].sort();
      entry.refused = "blocked";
      entry.status = 400;
      const refusal = support.refusal(blocked(hits).message);
      entry.bytesOut = refusal.length;
      entry.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      options.record(entry);
      if (!socket.send(refusal)) {
        abort(data, 1013, "ficta: the client is not reading; closed rather than drop an event");
      }
      return;
    }
    if (data.closed) return;
    entry.bytesUp = redacted.output.byteLength;
    data.pending.push({ entry, started, before: { ...data.restore.stats } });
    data.upstream.send(
      redacted.output === raw ? message : new TextDecoder().decode(redacted.output),
    );
  }

  /** The client socket's handlers: `data` is this connection's state. */
  function handlersOf(data: RelayData): SocketHandlers {
    return {
      open(socket) {
        data.socket = socket;
        data.send = (text) => {
          // false: the runtime dropped the frame (the client stopped reading past the backpressure
          // limit). A lost event would change the answer silently: close instead.
          if (!socket.send(text)) {
            abort(data, 1013, "ficta: the client is not reading; closed rather than drop an event");
          }
        };
        for (const text of data.early.splice(0)) {
          if (data.socket) data.send(text);
        }
        if (data.closed) closeClient(data, INTERNAL, "ficta: the upstream closed");
      },
      message(socket, message) {
        data.queue = data.queue.then(() => fromClient(data, socket, message)).catch(() =>
          abort(data, INTERNAL, "ficta failed on this frame; nothing was sent")
        );
      },
      close() {
        data.socket = undefined;
        if (data.closed) return;
        data.closed = true;
        endAll(data, "aborted");
        try {
          data.upstream.close(1000);
        } catch {
          // Already closing.
        }
      },
    };
  }

  return {
    upgrade,
    serverOptions: { maxPayloadLength: options.maxFrameBytes },
    get fallenBack() {
      return fallenBack;
    },
  };
}

/** 426 Upgrade Required: the one answer that makes the client use HTTP at once (Codex, measured). */
function fallBack(why: string): Response {
  return new Response(
    `ficta: WebSocket is not available for this session (${why}); use HTTP streaming.`,
    { status: 426, headers: { "content-type": "text/plain; charset=utf-8" } },
  );
}

/** `https:` -> `wss:`, `http:` -> `ws:` (tests point the upstream at a loopback mock). */
export function wsUrl(url: URL): string {
  const out = new URL(url);
  out.protocol = url.protocol === "http:" ? "ws:" : "wss:";
  return out.href;
}

/** Opens the upstream WebSocket, or throws with a short reason (never a header value). */
function connect(
  url: string,
  headers: Headers,
  timeoutMs: number,
  env: Record<string, string | undefined>,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const proxy = proxyFor(new URL(url), env);
    // permessage-deflate is offered where the runtime can (Bun).
    const socket = runtime.connectWebSocket(url, {
      headers: Object.fromEntries(headers),
      ...(proxy ? { proxy } : {}),
    });
    const timer = setTimeout(() => {
      fail("timed out");
      socket.close();
    }, timeoutMs);
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(why));
    };
    socket.onopen = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.onerror = null;
      socket.onclose = null;
      resolve(socket);
    };
    socket.onerror = () => fail("upgrade refused or connection failed");
    socket.onclose = (event) => fail(`closed with ${event.code}`);
  });
}

/** The proxy for `url` from HTTPS_PROXY / HTTP_PROXY, unless NO_PROXY names its host. */
function proxyFor(url: URL, env: Record<string, string | undefined>): string | undefined {
  const secure = url.protocol === "wss:";
  const proxy = secure
    ? env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy
    : env.HTTP_PROXY ?? env.http_proxy;
  if (!proxy) return undefined;
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? "").split(",").map((h) => h.trim()).filter(
    Boolean,
  );
  const host = url.hostname;
  const bypass = noProxy.some((entry) =>
    entry === "*" || host === entry.replace(/^\./, "") ||
    host.endsWith(`.${entry.replace(/^\./, "")}`)
  );
  return bypass ? undefined : proxy;
}

/**
 * The event as one line of JSON (an SSE `data:` line cannot hold a line break; JSON only has them
 * as whitespace), or undefined when the frame is not one JSON object.
 */
function oneLine(frame: string): string | undefined {
  if (!frame.includes("\n") && !frame.includes("\r")) {
    return frame.trimStart().startsWith("{") && isJsonObject(frame) ? frame : undefined;
  }
  try {
    const value = JSON.parse(frame);
    return isObject(value) ? JSON.stringify(value) : undefined;
  } catch {
    return undefined;
  }
}

function isJsonObject(text: string): boolean {
  try {
    return isObject(JSON.parse(text));
  } catch {
    return false;
  }
}

function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Restore over WebSocket frames: each frame is fed to the engine's SSE restorer as one event
 * (`data: <json>\n\n`), and what comes out is cut back into one frame per event. The restorer
 * holds back a delta whose end could start a surrogate until the next delta of its part, across
 * frames, exactly as across SSE events.
 */
export class FrameRestorer {
  readonly stats: RestoreStats;
  onFrame: (text: string) => void = () => {};
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #carry = "";
  readonly #decoder = new TextDecoder();
  readonly #encoder = new TextEncoder();

  constructor(engine: Engine, dialect: Dialect) {
    const restorer = engine.restorer({ contentType: "text/event-stream", dialect });
    this.stats = restorer.stats;
    this.#writer = restorer.stream.writable.getWriter();
    this.#pump(restorer.stream.readable.getReader());
  }

  push(event: string): void {
    this.#writer.write(this.#encoder.encode(`data: ${event}\n\n`)).catch(() => {});
  }

  async #pump(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) return;
        this.#carry += this.#decoder.decode(value, { stream: true });
        let end: number;
        while ((end = this.#carry.indexOf("\n\n")) >= 0) {
          const event = this.#carry.slice(0, end);
          this.#carry = this.#carry.slice(end + 2);
          for (const line of event.split("\n")) {
            if (line.startsWith("data: ")) this.onFrame(line.slice("data: ".length));
            else if (line.startsWith("data:")) this.onFrame(line.slice("data:".length));
          }
        }
      }
    } catch {
      // The connection went away.
    }
  }
}
