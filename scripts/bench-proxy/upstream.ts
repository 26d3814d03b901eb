/**
 * The benchmark's model upstream, in its own process: reads each request whole, then answers as
 * the Responses API does (SSE by default, JSON when `x-bench-answer: json`). The answer echoes the
 * last `NAME=value` lines Codex sent, as text deltas split at odd places and inside a tool call's
 * arguments: through ficta those are surrogates, so restore (split tokens and tool escaping
 * included) is on the measured path; sent directly they are the values, so both answers must
 * come back byte-identical to Codex.
 *
 * Prints its origin on stdout, then serves until killed.
 */
import { ECHO_MARKER } from "./codex-session.ts";

export const ANSWER_HEADER = "x-bench-answer";

// In the request JSON the marker and line breaks are escaped once.
const MARKER = Buffer.from(JSON.stringify(ECHO_MARKER).slice(1, -1));
const decoder = new TextDecoder();

/** Up to 8 unquoted `NAME=value` lines after the last marker (values or surrogates). */
export function echoed(body: Uint8Array): string[] {
  const at = Buffer.from(body.buffer, body.byteOffset, body.byteLength).lastIndexOf(MARKER);
  if (at < 0) return [];
  const tail = decoder.decode(body.subarray(at + MARKER.length, at + MARKER.length + 8_000));
  const lines = tail.split("\\n").slice(1, 17);
  return lines.filter((l) => /^[A-Z_0-9]+=[A-Za-z0-9_\-:@.+/=]+$/.test(l)).slice(0, 8);
}

function event(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** Splits `text` into deltas of 3 to 15 characters (surrogates land across event boundaries). */
function deltas(text: string): string[] {
  const out: string[] = [];
  for (let i = 0, n = 3; i < text.length; i += n, n = 3 + ((n * 7) % 13)) {
    out.push(text.slice(i, i + n));
  }
  return out;
}

export function sseAnswer(lines: string[]): string {
  const text = `Here is what I found:\n${lines.join("\n")}\nNothing else stands out.`;
  const value = lines[0]?.split("=")[1] ?? "none";
  const args = JSON.stringify({ cmd: `curl -sS -H 'X-Key: ${value}' https://api.example.test/` });
  const reasoning = {
    type: "reasoning",
    id: "rs_bench",
    summary: [],
    encrypted_content: "gAAAAB".padEnd(2_000, "x"),
  };
  const message = {
    type: "message",
    id: "msg_bench",
    role: "assistant",
    content: [{ type: "output_text", text, annotations: [] }],
  };
  const call = {
    type: "function_call",
    id: "fc_bench",
    call_id: "call_bench",
    name: "exec_command",
    arguments: args,
  };
  const out = [
    event("response.created", { response: { id: "resp_bench", status: "in_progress" } }),
    event("response.output_item.added", { output_index: 0, item: reasoning }),
    event("response.output_item.done", { output_index: 0, item: reasoning }),
    event("response.output_item.added", { output_index: 1, item: { ...message, content: [] } }),
    ...deltas(text).map((delta) =>
      event("response.output_text.delta", { output_index: 1, content_index: 0, delta })
    ),
    event("response.output_text.done", { output_index: 1, content_index: 0, text }),
    event("response.output_item.done", { output_index: 1, item: message }),
    event("response.output_item.added", {
      output_index: 2,
      item: { ...call, arguments: "" },
    }),
    ...deltas(args).map((delta) =>
      event("response.function_call_arguments.delta", { output_index: 2, delta })
    ),
    event("response.function_call_arguments.done", { output_index: 2, arguments: args }),
    event("response.output_item.done", { output_index: 2, item: call }),
    event("response.completed", {
      response: { id: "resp_bench", status: "completed", usage: { total_tokens: 1 } },
    }),
  ];
  return out.join("");
}

/**
 * The same answer as the Anthropic Messages API streams it (Claude Code): text deltas, then a Bash
 * tool call whose input streams as `partial_json` cut at odd places, mid-escape included.
 */
export function messagesSseAnswer(lines: string[]): string {
  const text = `Here is what I found:\n${lines.join("\n")}\nNothing else stands out.`;
  const value = lines[0]?.split("=")[1] ?? "none";
  const input = JSON.stringify({
    command: `curl -sS -H 'X-Key: ${value}' https://api.example.test/`,
    description: "Check the key",
  });
  const start = {
    id: "msg_bench",
    type: "message",
    role: "assistant",
    model: "claude-bench",
    content: [],
    stop_reason: null,
    usage: { input_tokens: 1, output_tokens: 1 },
  };
  const out = [
    event("message_start", { message: start }),
    event("content_block_start", {
      index: 0,
      content_block: { type: "thinking", thinking: "", signature: "" },
    }),
    event("content_block_delta", {
      index: 0,
      delta: { type: "thinking_delta", thinking: "Let me look at the keys." },
    }),
    event("content_block_delta", {
      index: 0,
      delta: { type: "signature_delta", signature: "EqQBCkYIARgC".padEnd(400, "x") },
    }),
    event("content_block_stop", { index: 0 }),
    event("content_block_start", { index: 1, content_block: { type: "text", text: "" } }),
    ...deltas(text).map((piece) =>
      event("content_block_delta", { index: 1, delta: { type: "text_delta", text: piece } })
    ),
    event("content_block_stop", { index: 1 }),
    event("content_block_start", {
      index: 2,
      content_block: { type: "tool_use", id: "toolu_bench", name: "Bash", input: {} },
    }),
    ...deltas(input).map((piece) =>
      event("content_block_delta", {
        index: 2,
        delta: { type: "input_json_delta", partial_json: piece },
      })
    ),
    event("content_block_stop", { index: 2 }),
    event("message_delta", { delta: { stop_reason: "tool_use" }, usage: { output_tokens: 1 } }),
    event("message_stop", {}),
  ];
  return out.join("");
}

export function jsonAnswer(lines: string[]): string {
  return JSON.stringify({
    id: "resp_bench",
    output: [{ type: "message", content: [{ type: "output_text", text: lines.join("\n") }] }],
    usage: { total_tokens: 1 },
  });
}

/** The same answer as Responses WebSocket frames: one event's JSON per frame. */
export function wsFrames(lines: string[]): string[] {
  return sseAnswer(lines).split("\n\n").filter(Boolean).map((event) =>
    event.slice(event.indexOf("\ndata: ") + "\ndata: ".length)
  );
}

if (import.meta.main) {
  const encoder = new TextEncoder();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    websocket: {
      perMessageDeflate: true,
      message(ws, message) {
        const bytes = typeof message === "string" ? encoder.encode(message) : message;
        for (const frame of wsFrames(echoed(bytes))) ws.send(frame);
      },
    },
    async fetch(req, srv) {
      if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
        return srv.upgrade(req) ? undefined : new Response("no upgrade", { status: 400 });
      }
      const lines = echoed(await req.bytes());
      if (new URL(req.url).pathname === "/v1/messages") {
        return new Response(messagesSseAnswer(lines), {
          headers: { "content-type": "text/event-stream" },
        });
      }
      if (req.headers.get(ANSWER_HEADER) === "json") {
        return new Response(jsonAnswer(lines), { headers: { "content-type": "application/json" } });
      }
      return new Response(sseAnswer(lines), { headers: { "content-type": "text/event-stream" } });
    },
  });
  console.log(`http://127.0.0.1:${server.port}`);
}
