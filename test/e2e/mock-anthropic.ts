/**
 * A loopback stand-in for the Anthropic Messages API, as Claude Code 2.1.332 talks to it
 * (../shared/claude-facts.md): `POST /v1/messages` answered with SSE (message_start, per block
 * content_block_start / content_block_delta / content_block_stop, message_delta, message_stop,
 * pings) or a whole JSON message when `stream` is false, `POST /v1/messages/count_tokens`, and
 * answers compressed as the request accepts (br, then gzip, like the real server) in small chunks
 * that cut events and UTF-8 characters at arbitrary bytes. Tool input streams as
 * `input_json_delta.partial_json` cut anywhere, mid-escape included. It records the exact bytes
 * it received. It listens on a loopback port or on a Unix socket.
 */
import zlib from "node:zlib";

export interface AnthropicReceived {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: Record<string, string>;
  /** The exact bytes of the request body, as they arrived (before any decompression). */
  raw: Uint8Array;
  /** The decoded body text (gzip/br/zstd/deflate bodies decompressed). */
  body: string;
  /** The coding the mock answered with ("identity" when uncompressed). */
  answerEncoding?: string;
}

/** One content block the model outputs. */
export type Block =
  | { type: "text"; text: string; deltaSize?: number }
  | {
    type: "tool_use";
    name: string;
    /** The tool input; streamed as its JSON text (`json` overrides the serialisation). */
    input: Record<string, unknown>;
    json?: string;
    id?: string;
    /** Sizes (in UTF-16 units, pairs never split) the partial_json pieces cycle through. */
    splits?: number[];
  }
  | { type: "thinking"; thinking: string; signature: string; deltaSize?: number }
  | { type: "redacted_thinking"; data: string };

/** A scripted answer: blocks of one assistant message, or a raw HTTP answer. */
export type Answer =
  | { blocks: Block[]; stopReason?: string }
  | { raw: Response }
  /** A 200 SSE stream made of these events (already formatted SSE text), for error measurements. */
  | { sse: string[] };

export interface MessagesBody {
  model?: string;
  messages?: Array<{ role: string; content: string | Array<Record<string, unknown>> }>;
  system?: unknown;
  stream?: boolean;
  [key: string]: unknown;
}

export type AnthropicScript = (
  body: MessagesBody,
  request: AnthropicReceived,
) => Answer | Block[] | Promise<Answer | Block[]>;

export interface MockAnthropicOptions {
  /** Listen on this Unix socket instead of 127.0.0.1:0. */
  unix?: string;
  /** Compress answers when accepted (default true): br, then gzip. */
  compress?: boolean;
  /** Largest SSE chunk in bytes (default 48). */
  chunkBytes?: number;
  /** Insert a `ping` event after message_start (default true), as the real server does. */
  ping?: boolean;
}

export interface MockAnthropic {
  /** `http://127.0.0.1:PORT`, or `http://localhost` when listening on a Unix socket. */
  origin: string;
  unix?: string;
  received: AnthropicReceived[];
  /** Requests to `/v1/messages` only (count_tokens and others excluded). */
  messages(): AnthropicReceived[];
  stop(): Promise<void>;
}

function sse(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** `text` cut in pieces whose sizes cycle through `sizes`, never inside a surrogate pair. */
export function cut(text: string, sizes: number[]): string[] {
  const out: string[] = [];
  let at = 0;
  for (let i = 0; at < text.length; i++) {
    let end = Math.min(text.length, at + Math.max(1, sizes[i % sizes.length]));
    const code = text.charCodeAt(end - 1);
    if (end < text.length && code >= 0xd800 && code <= 0xdbff) end++;
    out.push(text.slice(at, end));
    at = end;
  }
  return out.length ? out : [""];
}

/** Irregular piece sizes: partial_json is cut before, inside and after escapes. */
export const JSON_SPLITS = [1, 4, 2, 7, 3, 1, 1, 9, 2, 5];

const usage = { input_tokens: 120, output_tokens: 30, cache_read_input_tokens: 0 };

export function toolId(): string {
  return `toolu_01${crypto.randomUUID().replaceAll("-", "").slice(0, 22)}`;
}

/** The finished content blocks of a turn (what a non-streaming answer holds). */
export function wholeBlocks(blocks: Block[]): Array<Record<string, unknown>> {
  return blocks.map((block) => {
    switch (block.type) {
      case "text":
        return { type: "text", text: block.text };
      case "tool_use":
        return {
          type: "tool_use",
          id: block.id ?? (block.id = toolId()),
          name: block.name,
          input: block.json === undefined ? block.input : JSON.parse(block.json),
        };
      case "thinking":
        return { type: "thinking", thinking: block.thinking, signature: block.signature };
      case "redacted_thinking":
        return { type: "redacted_thinking", data: block.data };
    }
  });
}

function stopReasonOf(blocks: Block[], given?: string): string {
  return given ?? (blocks.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn");
}

/** The SSE events of one streamed message. */
export function sseMessage(
  blocks: Block[],
  options: { model?: string; stopReason?: string; ping?: boolean } = {},
): string[] {
  const id = `msg_01${crypto.randomUUID().replaceAll("-", "").slice(0, 22)}`;
  const out = [sse("message_start", {
    message: {
      id,
      type: "message",
      role: "assistant",
      model: options.model ?? "claude-sonnet-4-5",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    },
  })];
  if (options.ping !== false) out.push(sse("ping", {}));
  blocks.forEach((block, index) => {
    switch (block.type) {
      case "text":
        out.push(sse("content_block_start", { index, content_block: { type: "text", text: "" } }));
        for (const piece of cut(block.text, [block.deltaSize ?? 9])) {
          out.push(
            sse("content_block_delta", { index, delta: { type: "text_delta", text: piece } }),
          );
        }
        break;
      case "tool_use": {
        block.id ??= toolId();
        out.push(sse("content_block_start", {
          index,
          content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
        }));
        const json = block.json ?? JSON.stringify(block.input);
        for (const piece of cut(json, block.splits ?? JSON_SPLITS)) {
          out.push(sse("content_block_delta", {
            index,
            delta: { type: "input_json_delta", partial_json: piece },
          }));
        }
        break;
      }
      case "thinking":
        out.push(sse("content_block_start", {
          index,
          content_block: { type: "thinking", thinking: "", signature: "" },
        }));
        for (const piece of cut(block.thinking, [block.deltaSize ?? 11])) {
          out.push(sse("content_block_delta", {
            index,
            delta: { type: "thinking_delta", thinking: piece },
          }));
        }
        out.push(sse("content_block_delta", {
          index,
          delta: { type: "signature_delta", signature: block.signature },
        }));
        break;
      case "redacted_thinking":
        out.push(sse("content_block_start", {
          index,
          content_block: { type: "redacted_thinking", data: block.data },
        }));
        break;
    }
    out.push(sse("content_block_stop", { index }));
  });
  out.push(sse("message_delta", {
    delta: { stop_reason: stopReasonOf(blocks, options.stopReason), stop_sequence: null },
    usage: { output_tokens: usage.output_tokens },
  }));
  out.push(sse("message_stop", {}));
  return out;
}

/** The JSON of one non-streamed message. */
export function jsonMessage(
  blocks: Block[],
  options: { model?: string; stopReason?: string } = {},
) {
  return {
    id: `msg_01${crypto.randomUUID().replaceAll("-", "").slice(0, 22)}`,
    type: "message",
    role: "assistant",
    model: options.model ?? "claude-sonnet-4-5",
    content: wholeBlocks(blocks),
    stop_reason: stopReasonOf(blocks, options.stopReason),
    stop_sequence: null,
    usage,
  };
}

/** The coding the real API picks from Claude Code's `gzip, deflate, br, zstd`: br, then gzip. */
export function chooseAnthropicEncoding(accept: string | null): "br" | "gzip" | "identity" {
  const accepted = new Set(
    (accept ?? "").split(",").flatMap((part) => {
      const [coding, ...params] = part.trim().toLowerCase().split(";").map((p) => p.trim());
      const q = params.find((p) => p.startsWith("q="));
      return q && Number(q.slice(2)) === 0 ? [] : [coding];
    }),
  );
  if (accepted.has("br")) return "br";
  if (accepted.has("gzip")) return "gzip";
  return "identity";
}

/** `bytes` cut into 1..max byte pieces in a fixed irregular pattern. */
export function chunkBytes(bytes: Uint8Array, max: number): Uint8Array[] {
  const sizes = [7, 1, 23, 3, 48, 11, 2, 31, 5, 17];
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = Math.max(1, Math.min(max, sizes[i % sizes.length]));
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

function compressor(coding: "br" | "gzip"): zlib.BrotliCompress | zlib.Gzip {
  return coding === "br" ? zlib.createBrotliCompress() : zlib.createGzip();
}

function stream(pieces: Uint8Array[], coding: "br" | "gzip" | "identity") {
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
  const packer = compressor(coding);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      packer.on("data", (data: Uint8Array) => controller.enqueue(new Uint8Array(data)));
      packer.on("end", () => controller.close());
      packer.on("error", (error) => controller.error(error));
      (async () => {
        for (const piece of pieces) {
          packer.write(piece);
          await new Promise<void>((resolve) => packer.flush(() => resolve()));
          await Bun.sleep(0);
        }
        packer.end();
      })();
    },
    cancel() {
      packer.destroy();
    },
  });
}

function jsonAnswer(value: unknown, coding: "br" | "gzip" | "identity", status = 200): Response {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "request-id": `req_${crypto.randomUUID()}`,
  };
  if (coding === "identity") return new Response(bytes, { status, headers });
  headers["content-encoding"] = coding;
  const packed = coding === "br" ? zlib.brotliCompressSync(bytes) : zlib.gzipSync(bytes);
  return new Response(new Uint8Array(packed), { status, headers });
}

function decode(raw: Uint8Array, coding: string | null): string {
  let bytes: Uint8Array = raw;
  if (coding === "gzip") bytes = zlib.gunzipSync(raw);
  else if (coding === "br") bytes = zlib.brotliDecompressSync(raw);
  else if (coding === "zstd") bytes = Bun.zstdDecompressSync(raw);
  else if (coding === "deflate") bytes = zlib.inflateSync(raw);
  return new TextDecoder().decode(bytes);
}

export function startMockAnthropic(
  script: AnthropicScript,
  options: MockAnthropicOptions = {},
): MockAnthropic {
  const received: AnthropicReceived[] = [];
  const fetch = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const raw = new Uint8Array(await req.arrayBuffer());
    const record: AnthropicReceived = {
      method: req.method,
      url: url.pathname + url.search,
      headers: Object.fromEntries(req.headers),
      raw,
      body: decode(raw, req.headers.get("content-encoding")),
    };
    received.push(record);
    const coding = options.compress === false
      ? "identity"
      : chooseAnthropicEncoding(req.headers.get("accept-encoding"));
    record.answerEncoding = coding;
    if (req.method === "POST" && url.pathname.endsWith("/v1/messages/count_tokens")) {
      return jsonAnswer({ input_tokens: Math.ceil(record.body.length / 4) }, coding);
    }
    if (req.method === "POST" && url.pathname.endsWith("/v1/messages")) {
      const body = JSON.parse(record.body) as MessagesBody;
      const scripted = await script(body, record);
      const answer: Answer = Array.isArray(scripted) ? { blocks: scripted } : scripted;
      if ("raw" in answer) {
        record.answerEncoding = answer.raw.headers.get("content-encoding") ?? "identity";
        return answer.raw;
      }
      const headers: Record<string, string> = {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "request-id": `req_${crypto.randomUUID()}`,
      };
      let events: string[];
      if ("sse" in answer) events = answer.sse;
      else if (body.stream) {
        events = sseMessage(answer.blocks, {
          model: body.model,
          stopReason: answer.stopReason,
          ping: options.ping,
        });
      } else {
        return jsonAnswer(
          jsonMessage(answer.blocks, { model: body.model, stopReason: answer.stopReason }),
          coding,
        );
      }
      if (coding !== "identity") headers["content-encoding"] = coding;
      const bytes = new TextEncoder().encode(events.join(""));
      return new Response(stream(chunkBytes(bytes, options.chunkBytes ?? 48), coding), {
        headers,
      });
    }
    return jsonAnswer(
      { type: "error", error: { type: "not_found_error", message: `mock: ${url.pathname}` } },
      coding,
      404,
    );
  };
  const server = options.unix
    ? Bun.serve({ unix: options.unix, fetch })
    : Bun.serve({ hostname: "127.0.0.1", port: 0, fetch });
  return {
    origin: options.unix ? "http://localhost" : `http://127.0.0.1:${server.port}`,
    unix: options.unix,
    received,
    messages: () =>
      received.filter((r) => r.method === "POST" && /\/v1\/messages(\?|$)/.test(r.url)),
    stop: () => server.stop(true),
  };
}

/** SSE text of one event, for scripts that build error streams. */
export function sseEvent(type: string, data: Record<string, unknown>): string {
  return sse(type, data);
}

/** The `tool_result` contents Claude Code sent back so far, oldest first, as text. */
export function toolResults(body: MessagesBody): string[] {
  const out: string[] = [];
  for (const message of body.messages ?? []) {
    if (message.role !== "user" || typeof message.content === "string") continue;
    for (const block of message.content) {
      if (block.type !== "tool_result") continue;
      const content = block.content;
      if (typeof content === "string") out.push(content);
      else if (Array.isArray(content)) {
        out.push(
          content.map((c: Record<string, unknown>) => typeof c.text === "string" ? c.text : "")
            .join(""),
        );
      }
    }
  }
  return out;
}

/** Assistant blocks Claude Code sent back (its history), oldest first. */
export function assistantBlocks(body: MessagesBody): Array<Record<string, unknown>> {
  return (body.messages ?? []).flatMap((m) =>
    m.role === "assistant" && Array.isArray(m.content) ? m.content : []
  );
}
