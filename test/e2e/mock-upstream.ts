/**
 * A loopback stand-in for the model provider: records every request it receives (body decoded)
 * and answers `/responses` with SSE turns chosen by a script, the way the real Responses API
 * streams them.
 */

export interface Received {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: Record<string, string>;
  /** The decoded body (zstd/gzip bodies are decompressed first). */
  body: string;
}

/** One scripted answer: items the model outputs in this turn. */
export type Item =
  | { type: "message"; text: string }
  | { type: "function_call"; name: string; arguments: string; deltaSize?: number };

/** Chooses the answer from the parsed request body (the whole history is re-sent every turn). */
export type Script = (body: ResponsesBody) => Item[] | Promise<Item[]>;

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

export function startMockUpstream(script: Script): MockUpstream {
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
      received.push({
        method: req.method,
        url: url.pathname + url.search,
        headers: Object.fromEntries(req.headers),
        body,
      });
      if (req.method === "POST" && url.pathname.endsWith("/responses")) {
        const events = sseTurn(await script(JSON.parse(body) as ResponsesBody));
        const encoder = new TextEncoder();
        // One chunk per event, so split SSE framing reaches the proxy as it would from the API.
        const stream = new ReadableStream<Uint8Array>({
          async pull(controller) {
            const next = events.shift();
            if (next === undefined) return controller.close();
            controller.enqueue(encoder.encode(next));
            await Bun.sleep(0);
          },
        });
        return new Response(stream, { headers: { "content-type": "text/event-stream" } });
      }
      if (url.pathname.endsWith("/models")) return Response.json({ models: [] });
      if (url.pathname === ECHO_PATH) {
        return new Response(body, { headers: { "content-type": "application/json" } });
      }
      return Response.json({});
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
