/**
 * The mock Anthropic server behaves like the real one where ficta depends on it: SSE events in
 * order, tool input as partial_json cut anywhere (mid-escape too), signed thinking, whole JSON
 * answers, count_tokens, br/gzip answers, the exact request bytes recorded, a Unix socket.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Block,
  chooseAnthropicEncoding,
  cut,
  JSON_SPLITS,
  sseMessage,
  startMockAnthropic,
} from "./mock-anthropic.ts";

const INPUT = { command: 'printf "%s\\n" "a\\"b" \'c\' é 日本 🙂', description: "quote\ttab" };
const BLOCKS: Block[] = [
  { type: "thinking", thinking: "Let me think about ficta_abc.", signature: "EqoBCkgIARABGAIi==" },
  { type: "text", text: "Running it: ü 🙂" },
  { type: "tool_use", name: "Bash", input: INPUT },
];

function events(sse: string): Array<{ event: string; data: Record<string, unknown> }> {
  return sse.split("\n\n").filter(Boolean).map((chunk) => {
    const [eventLine, dataLine] = chunk.split("\n");
    return { event: eventLine.slice(7), data: JSON.parse(dataLine.slice(6)) };
  });
}

const mock = startMockAnthropic(() => BLOCKS);
const dir = mkdtempSync(join(tmpdir(), "mock-anthropic-"));
const unixMock = startMockAnthropic(() => [{ type: "text", text: "over the socket" }], {
  unix: join(dir, "s.sock"),
});
afterAll(async () => {
  await mock.stop();
  await unixMock.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("mock Anthropic", () => {
  test("SSE events in the real order; partial_json pieces rebuild the input", () => {
    const list = events(sseMessage(BLOCKS).join(""));
    expect(list.map((e) => e.event)).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      ...Array(3).fill("content_block_delta"),
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      ...Array(2).fill("content_block_delta"),
      "content_block_stop",
      "content_block_start",
      ...Array(cut(JSON.stringify(INPUT), JSON_SPLITS).length).fill("content_block_delta"),
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    const partial = list.filter((e) =>
      (e.data.delta as { type?: string })?.type === "input_json_delta"
    ).map((e) => (e.data.delta as { partial_json: string }).partial_json);
    expect(JSON.parse(partial.join(""))).toEqual(INPUT);
    // Some piece ends right after a backslash: the split falls inside an escape.
    expect(partial.some((p) => p.endsWith("\\"))).toBe(true);
    const signature = list.find((e) =>
      (e.data.delta as { type?: string })?.type === "signature_delta"
    );
    expect((signature?.data.delta as { signature: string }).signature).toBe("EqoBCkgIARABGAIi==");
    expect(list.at(-2)?.data.delta).toEqual({ stop_reason: "tool_use", stop_sequence: null });
  });

  test("streams br when accepted (then gzip), records the exact request bytes", async () => {
    expect(chooseAnthropicEncoding("gzip, deflate, br, zstd")).toBe("br");
    expect(chooseAnthropicEncoding("gzip")).toBe("gzip");
    expect(chooseAnthropicEncoding("zstd")).toBe("identity");
    const body = JSON.stringify({ model: "m", stream: true, messages: [] });
    const res = await fetch(`${mock.origin}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "accept-encoding": "gzip, deflate, br, zstd", "content-type": "application/json" },
      body,
    });
    expect(res.headers.get("content-encoding")).toBe("br");
    expect(res.headers.get("content-type")).toStartWith("text/event-stream");
    const text = await res.text(); // fetch decodes br
    expect(text).toContain('"type":"message_stop"');
    const last = mock.received.at(-1)!;
    expect(last.url).toBe("/v1/messages?beta=true");
    expect(new TextDecoder().decode(last.raw)).toBe(body);
    expect(mock.messages().length).toBeGreaterThan(0);
  });

  test("non-streaming JSON and count_tokens", async () => {
    const res = await fetch(`${mock.origin}/v1/messages`, {
      method: "POST",
      headers: { "accept-encoding": "gzip" },
      body: JSON.stringify({ model: "m", stream: false, messages: [] }),
    });
    expect(res.headers.get("content-encoding")).toBe("gzip");
    const message = await res.json();
    expect(message.content.map((b: { type: string }) => b.type)).toEqual([
      "thinking",
      "text",
      "tool_use",
    ]);
    expect(message.content[2].input).toEqual(INPUT);
    const count = await fetch(`${mock.origin}/v1/messages/count_tokens`, {
      method: "POST",
      body: JSON.stringify({ messages: [] }),
    });
    expect((await count.json()).input_tokens).toBeGreaterThan(0);
  });

  test("listens on a Unix socket", async () => {
    const res = await fetch(`${unixMock.origin}/v1/messages`, {
      method: "POST",
      unix: unixMock.unix,
      body: JSON.stringify({ model: "m", stream: true, messages: [] }),
    } as RequestInit);
    expect(await res.text()).toContain("socket");
    expect(unixMock.messages()).toHaveLength(1);
  });
});
