/**
 * A loopback stand-in for the model provider: records every request it receives (body decoded)
 * and answers `/responses` with SSE turns chosen by a script, the way the real Responses API
 * streams them: compressed when the request accepts zstd or gzip, in small chunks that cut
 * events (and UTF-8 characters) at arbitrary bytes. It also answers the ChatGPT housekeeping
 * calls Codex makes before its TUI starts on a ChatGPT login (see HOUSEKEEPING).
 */
import zlib from "node:zlib";

export interface Received {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: Record<string, string>;
  /** The decoded body (zstd/gzip bodies are decompressed first). */
  body: string;
  /** The coding the mock answered with ("identity" when uncompressed); set once it answers. */
  answerEncoding?: string;
}

/** One scripted answer: items the model outputs in this turn. */
export type Item =
  | { type: "message"; text: string }
  | { type: "function_call"; name: string; arguments: string; deltaSize?: number };

/**
 * Chooses the answer from the parsed request body (the whole history is re-sent every turn);
 * `request` has the headers, e.g. `x-codex-turn-metadata` telling a turn from a title request.
 */
export type Script = (body: ResponsesBody, request: Received) => Item[] | Promise<Item[]>;

export interface ResponsesBody {
  input?: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

/** Answers with the request body, so a test sees what the proxy does to an answer. */
export const ECHO_PATH = "/backend-api/e2e-echo";

export interface MockUpstream {
  origin: string;
  received: Received[];
  stop(): Promise<void>;
}

export interface MockOptions {
  /** Compress answers as the request's `accept-encoding` allows, zstd first (default true). */
  compress?: boolean;
  /** Largest SSE chunk in bytes (default 48); chunk sizes vary from 1 byte up to it. */
  chunkBytes?: number;
}

/**
 * What the ChatGPT backend answers to the calls Codex 0.169 and 0.171 make on a ChatGPT login
 * (paths after `/backend-api`). Codex's TUI refuses to start unless `wham/accounts/check` lists
 * the selected account (`chatgpt-account-id`) with a routing override it knows and an https
 * backend origin ("workspace routing discovery"); the others may be empty objects.
 */
export const HOUSEKEEPING: Record<string, (accountId: string) => unknown> = {
  "/wham/accounts/check": (accountId) => ({
    accounts: [{
      id: accountId,
      workspace_backend_origin: "https://chatgpt.com",
      account_routing_override: "NO_CONSTRAINT",
    }],
  }),
  "/wham/usage": () => ({
    plan_type: "plus",
    rate_limit: {
      allowed: true,
      limit_reached: false,
      primary_window: {
        used_percent: 1,
        limit_window_seconds: 18_000,
        reset_after_seconds: 9_000,
        reset_at: Math.floor(Date.now() / 1000) + 9_000,
      },
      secondary_window: null,
    },
    credits: null,
  }),
  "/wham/settings/user": () => ({}),
  "/wham/rate-limit-reset-credits": () => ({}),
};

const usage = {
  input_tokens: 100,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 20,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 120,
};

function event(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** The SSE events of one turn; function-call arguments stream in `deltaSize`-character pieces. */
export function sseTurn(items: Item[], id = `resp_${crypto.randomUUID()}`): string[] {
  const out = [event("response.created", { response: { id, status: "in_progress" } })];
  items.forEach((item, index) => {
    const itemId = `item_${index}_${id}`;
    if (item.type === "message") {
      const done = {
        type: "message",
        id: itemId,
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: item.text, annotations: [] }],
      };
      out.push(event("response.output_item.added", {
        output_index: index,
        item: { ...done, status: "in_progress", content: [] },
      }));
      for (const piece of pieces(item.text, 9)) {
        out.push(event("response.output_text.delta", {
          item_id: itemId,
          output_index: index,
          content_index: 0,
          delta: piece,
        }));
      }
      out.push(event("response.output_item.done", { output_index: index, item: done }));
    } else {
      const done = {
        type: "function_call",
        id: itemId,
        call_id: `call_${index}_${id}`,
        name: item.name,
        arguments: item.arguments,
        status: "completed",
      };
      out.push(event("response.output_item.added", {
        output_index: index,
        item: { ...done, arguments: "", status: "in_progress" },
      }));
      for (const piece of pieces(item.arguments, item.deltaSize ?? 5)) {
        out.push(event("response.function_call_arguments.delta", {
          item_id: itemId,
          output_index: index,
          delta: piece,
        }));
      }
      out.push(event("response.function_call_arguments.done", {
        item_id: itemId,
        output_index: index,
        arguments: item.arguments,
      }));
      out.push(event("response.output_item.done", { output_index: index, item: done }));
    }
  });
  out.push(event("response.completed", { response: { id, status: "completed", usage } }));
  return out;
}

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  // Split by code points so a piece never ends inside a surrogate pair.
  const chars = [...text];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(""));
  return out.length ? out : [""];
}

/** The coding a real upstream would pick: zstd, then gzip, if the request accepts it. */
export function chooseEncoding(acceptEncoding: string | null): "zstd" | "gzip" | "identity" {
  const accepted = new Set(
    (acceptEncoding ?? "").split(",").flatMap((part) => {
      const [coding, ...params] = part.trim().toLowerCase().split(";").map((p) => p.trim());
      const q = params.find((p) => p.startsWith("q="));
      return q && Number(q.slice(2)) === 0 ? [] : [coding];
    }),
  );
  if (accepted.has("zstd")) return "zstd";
  if (accepted.has("gzip") || accepted.has("x-gzip")) return "gzip";
  return "identity";
}

/**
 * `bytes` cut into pieces of 1 to `max` bytes in a fixed, irregular pattern, so SSE events,
 * `data:` lines and multi-byte characters are split across chunk boundaries.
 */
export function chunked(bytes: Uint8Array, max: number): Uint8Array[] {
  const sizes = [7, 1, 23, 3, 48, 11, 2, 31, 5, 17];
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = Math.max(1, Math.min(max, sizes[i % sizes.length]));
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

/** A stream of `pieces`, compressed as one stream flushed after every piece, like a real server. */
function encodedStream(pieces: Uint8Array[], coding: string): ReadableStream<Uint8Array> {
  if (coding === "identity") {
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = pieces.shift();
        if (next === undefined) return controller.close();
        controller.enqueue(next);
        await Bun.sleep(0);
      },
    });
  }
  const compressor = coding === "zstd" ? zlib.createZstdCompress() : zlib.createGzip();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      compressor.on("data", (data: Uint8Array) => controller.enqueue(new Uint8Array(data)));
      compressor.on("end", () => controller.close());
      compressor.on("error", (error) => controller.error(error));
      (async () => {
        for (const piece of pieces) {
          compressor.write(piece);
          await new Promise<void>((resolve) => compressor.flush(() => resolve()));
          await Bun.sleep(0);
        }
        compressor.end();
      })();
    },
    cancel() {
      compressor.destroy();
    },
  });
}

/** A whole JSON answer, compressed in one piece when `coding` says so. */
function encodedJson(json: string, coding: string): Response {
  const bytes = new TextEncoder().encode(json);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (coding === "identity") return new Response(bytes, { headers });
  headers["content-encoding"] = coding;
  const packed = new Uint8Array(
    coding === "zstd" ? Bun.zstdCompressSync(bytes) : Bun.gzipSync(bytes),
  );
  return new Response(packed, { headers });
}

export function startMockUpstream(script: Script, options: MockOptions = {}): MockUpstream {
  const received: Received[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      let bytes: Uint8Array<ArrayBuffer> = new Uint8Array(await req.arrayBuffer());
      const coding = req.headers.get("content-encoding");
      if (coding === "zstd") bytes = new Uint8Array(Bun.zstdDecompressSync(bytes));
      else if (coding === "gzip") bytes = new Uint8Array(Bun.gunzipSync(bytes));
      const body = new TextDecoder().decode(bytes);
      const record: Received = {
        method: req.method,
        url: url.pathname + url.search,
        headers: Object.fromEntries(req.headers),
        body,
      };
      received.push(record);
      const answer = options.compress === false
        ? "identity"
        : chooseEncoding(req.headers.get("accept-encoding"));
      record.answerEncoding = answer;
      if (req.method === "POST" && url.pathname.endsWith("/responses")) {
        const events = sseTurn(await script(JSON.parse(body) as ResponsesBody, record));
        const sse = new TextEncoder().encode(events.join(""));
        const headers: Record<string, string> = { "content-type": "text/event-stream" };
        if (answer !== "identity") headers["content-encoding"] = answer;
        return new Response(
          encodedStream(chunked(sse, options.chunkBytes ?? 48), answer),
          { headers },
        );
      }
      if (url.pathname.endsWith("/models")) {
        return encodedJson(JSON.stringify({ models: [] }), answer);
      }
      if (url.pathname === ECHO_PATH) return encodedJson(body, answer);
      const housekeeping = HOUSEKEEPING[url.pathname.replace(/^\/backend-api/, "")];
      const accountId = req.headers.get("chatgpt-account-id") ?? "";
      return encodedJson(JSON.stringify(housekeeping ? housekeeping(accountId) : {}), answer);
    },
  });
  return {
    origin: `http://127.0.0.1:${server.port}`,
    received,
    stop: () => server.stop(true),
  };
}

/** The tool outputs Codex sent back so far, oldest first. */
export function toolOutputs(body: ResponsesBody): string[] {
  return (body.input ?? [])
    .filter((item) => item.type === "function_call_output")
    .map((item) =>
      typeof item.output === "string" ? item.output : JSON.stringify(item.output ?? "")
    );
}
