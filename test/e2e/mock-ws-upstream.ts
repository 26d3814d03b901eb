/**
 * A loopback stand-in for the Responses API over WebSocket, as Codex speaks it with a provider
 * that declares `supports_websockets` (codex-facts: "WebSocket transport"):
 *
 * - `GET <base>/responses` with `Upgrade: websocket` opens a connection (permessage-deflate when
 *   asked); every other request goes to an HTTP mock (mock-upstream.ts), so a Codex that falls
 *   back to HTTP finishes its session there.
 * - Each client text frame is one `{"type":"response.create", ...}`. A warm-up (`generate:false`)
 *   gets `response.created` + `response.completed` with no output. A frame with
 *   `previous_response_id` continues that response of this connection: the script sees the whole
 *   conversation (the earlier input, the earlier output, the new items), exactly as over HTTP, so
 *   HTTP scripts work unchanged. An id this connection does not know gets the
 *   `previous_response_not_found` error the real API sends.
 * - Each server frame is one Responses event (the JSON of an SSE `data:` line), deltas split in
 *   small pieces; a `request_kind: "compaction"` turn is answered with a compaction item.
 * - Every frame received is recorded raw, per connection; `refuse` makes the upgrade fail with a
 *   status of the test's choosing.
 */
import {
  type Item,
  type MockOptions,
  type MockUpstream,
  type Received,
  type ResponsesBody,
  type Script,
  sseTurn,
  startMockUpstream,
} from "./mock-upstream.ts";

// deno-lint-ignore no-explicit-any -- events are read field by field
type AnyEvent = Record<string, any>;

export interface WsConnection {
  /** Path and query of the upgrade request. */
  url: string;
  /** The upgrade request's headers. */
  headers: Record<string, string>;
  /** Text frames received, as they came. */
  frames: string[];
  /** Binary frames received (Codex never sends them). */
  binary: number;
  /** The close code and reason, once closed. */
  closed?: { code: number; reason: string };
}

export interface WsMockOptions extends MockOptions {
  /** Refuse every WebSocket upgrade with this status (e.g. 426, 502). */
  refuse?: number;
  /** Refuse only the first n upgrades (with `refuse`'s status, default 502). */
  refuseFirst?: number;
  /** Largest piece of a delta, in characters (default: the HTTP mock's sizes). */
  deltaSize?: number;
  /** Send this event instead of answering the nth model frame (1-based, warm-ups not counted). */
  errorOnFrame?: { n: number; event: Record<string, unknown> };
  /**
   * `total_tokens` reported for the nth model answer (default 120). A count above Codex's
   * `model_auto_compact_token_limit` makes it compact before its next turn.
   */
  usage?: (n: number) => number;
  /** The answer to a compaction request (default: one message, COMPACTION_SUMMARY). */
  compaction?: Script;
}

export interface MockWsUpstream {
  origin: string;
  /** The HTTP mock behind the same origin (fallback turns, housekeeping, models). */
  http: MockUpstream;
  connections: WsConnection[];
  /** Upgrade requests refused, with their headers. */
  refused: Array<{ url: string; status: number; headers: Record<string, string> }>;
  /** Every text frame received on any connection, oldest first, parsed. */
  frames(): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

interface Data {
  connection: WsConnection;
  /** Responses of this connection by id: the whole input that led to them, and their output. */
  responses: Map<string, { input: unknown[]; output: unknown[] }>;
}

/** What the mock model answers a compaction request with, by default. */
export const COMPACTION_SUMMARY = "Summary by the mock: the task is under way.";

export function startMockWsUpstream(script: Script, options: WsMockOptions = {}): MockWsUpstream {
  const http = startMockUpstream(script, options);
  const connections: WsConnection[] = [];
  const refused: MockWsUpstream["refused"] = [];
  let upgrades = 0;
  let modelFrames = 0;

  const server = Bun.serve<Data>({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req, srv) {
      const url = new URL(req.url);
      const headers = Object.fromEntries(req.headers);
      if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
        upgrades++;
        const status = options.refuse ??
          (options.refuseFirst !== undefined && upgrades <= options.refuseFirst ? 502 : 0);
        if (status || !url.pathname.endsWith("/responses")) {
          refused.push({ url: url.pathname + url.search, status: status || 404, headers });
          return new Response(`mock refuses the upgrade (${status || 404})`, {
            status: status || 404,
          });
        }
        const connection: WsConnection = {
          url: url.pathname + url.search,
          headers,
          frames: [],
          binary: 0,
        };
        if (srv.upgrade(req, { data: { connection, responses: new Map() } })) {
          connections.push(connection);
          return undefined;
        }
        return new Response("upgrade failed", { status: 400 });
      }
      // Everything else is the HTTP mock's, byte for byte.
      const target = http.origin + url.pathname + url.search;
      const forwarded = new Headers(req.headers);
      forwarded.delete("host");
      return await fetch(target, {
        method: req.method,
        headers: forwarded,
        body: req.body ? await req.arrayBuffer() : undefined,
        decompress: false,
      });
    },
    websocket: {
      perMessageDeflate: true,
      idleTimeout: 0,
      async message(ws, message) {
        const { connection, responses } = ws.data;
        if (typeof message !== "string") {
          connection.binary++;
          ws.close(1003, "binary frames are not part of the protocol");
          return;
        }
        connection.frames.push(message);
        let frame: Record<string, unknown>;
        try {
          frame = JSON.parse(message);
        } catch {
          ws.close(1007, "not JSON");
          return;
        }
        if (frame.type !== "response.create") return;
        const send = (event: Record<string, unknown>) => ws.send(JSON.stringify(event));
        const previous = typeof frame.previous_response_id === "string"
          ? frame.previous_response_id
          : undefined;
        const earlier = previous === undefined ? undefined : responses.get(previous);
        if (previous !== undefined && !earlier) {
          send({
            type: "error",
            status: 400,
            error: {
              type: "invalid_request_error",
              code: "previous_response_not_found",
              message: `Previous response with id '${previous}' not found.`,
              param: "previous_response_id",
            },
          });
          return;
        }
        const newItems = Array.isArray(frame.input) ? frame.input : [];
        const input = earlier ? [...earlier.input, ...earlier.output, ...newItems] : newItems;
        const id = `resp_${crypto.randomUUID().replaceAll("-", "")}`;
        if (frame.generate === false) {
          responses.set(id, { input, output: [] });
          send({ type: "response.created", response: { id, status: "in_progress" } });
          send({
            type: "response.completed",
            response: { id, status: "completed", output: [], usage: USAGE },
          });
          return;
        }
        modelFrames++;
        if (options.errorOnFrame?.n === modelFrames) {
          send(options.errorOnFrame.event);
          return;
        }
        const { type: _type, ...rest } = frame;
        const body: ResponsesBody = { ...rest, input: input as ResponsesBody["input"] };
        // Over WebSocket the per-request metadata rides in the frame, not in headers: the
        // script sees it where an HTTP script looks for it.
        const metadata = (frame.client_metadata ?? {}) as Record<string, unknown>;
        const turnMetadata = typeof metadata["x-codex-turn-metadata"] === "string"
          ? metadata["x-codex-turn-metadata"]
          : connection.headers["x-codex-turn-metadata"] ?? "";
        const record: Received = {
          method: "WS",
          url: connection.url,
          headers: { ...connection.headers, "x-codex-turn-metadata": turnMetadata },
          body: JSON.stringify(body),
        };
        const items: Item[] = requestKind(turnMetadata) === "compaction"
          ? await (options.compaction ?? compactionAnswer)(body, record)
          : await script(body, record);
        const events = wsTurn(items, id, options.deltaSize, options.usage?.(modelFrames));
        const output: unknown[] = [];
        for (const event of events) {
          if (event.type === "response.output_item.done") output.push(event.item);
          send(event);
          await Bun.sleep(0);
        }
        responses.set(id, { input, output });
      },
      close(ws, code, reason) {
        ws.data.connection.closed = { code, reason };
      },
    },
  });

  return {
    origin: `http://127.0.0.1:${server.port}`,
    http,
    connections,
    refused,
    frames: () => connections.flatMap((c) => c.frames.map((f) => JSON.parse(f))),
    async stop() {
      await server.stop(true);
      await http.stop();
    },
  };
}

const USAGE = {
  input_tokens: 100,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 20,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 120,
};

/** The events of one turn as WebSocket frames: the HTTP mock's SSE events, one per frame. */
export function wsTurn(
  items: Item[],
  id: string,
  deltaSize?: number,
  totalTokens?: number,
): Array<AnyEvent> {
  const sized = deltaSize === undefined
    ? items
    : items.map((item) => item.type === "function_call" ? { ...item, deltaSize } : item);
  return sseTurn(sized, id).map((event) => {
    const data = event.split("\n").find((line) => line.startsWith("data: "))!;
    const parsed = JSON.parse(data.slice("data: ".length));
    if (parsed.type === "response.completed" && totalTokens !== undefined) {
      parsed.response.usage = { ...parsed.response.usage, total_tokens: totalTokens };
    }
    return parsed;
  });
}

/** `request_kind` of Codex's turn metadata: "turn", "compaction", "prewarm", ... */
export function requestKind(turnMetadata: string): string | undefined {
  try {
    const kind = JSON.parse(turnMetadata)?.request_kind;
    return typeof kind === "string" ? kind : undefined;
  } catch {
    return undefined;
  }
}

function compactionAnswer(): Item[] {
  return [{ type: "message", text: COMPACTION_SUMMARY }];
}
