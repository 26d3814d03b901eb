/**
 * The Dialect type carries another wire API without change: an Anthropic Messages dialect (the
 * sketch in src/core/restore/dialect.ts) restores text deltas split across events, quotes a value
 * in Bash's `command` for the shell, and passes thinking blocks byte for byte.
 */
import { describe, expect, test } from "bun:test";
import type { Dialect } from "../../../src/core/mod.ts";
import { restoreText } from "./whole.ts";
import { type Event, fakeSurrogate, pipe, sessionFor, sse } from "./fixtures.ts";

const messagesDialect: Dialect = {
  name: "anthropic-messages",
  deltas: [
    { type: "content_block_delta", field: "text", item: ["index"] },
    { type: "content_block_delta", field: "partial_json", item: ["index"], input: "json" },
  ],
  endings: ["message_stop", "content_block_stop", "error"],
  announcements: [{
    event: "content_block_start",
    type: "content_block.type",
    types: ["tool_use"],
    id: "index",
    name: "content_block.name",
  }],
  calls: [{ type: "tool_use", field: "input", input: "object" }],
  verbatim: ["thinking", "redacted_thinking"],
  tools: { Bash: { fields: { command: "shell" } } },
};

const textDelta = (index: number, text: string): Event => ({
  type: "content_block_delta",
  index,
  delta: { type: "text_delta", text },
});
const jsonDelta = (index: number, partial_json: string): Event => ({
  type: "content_block_delta",
  index,
  delta: { type: "input_json_delta", partial_json },
});

/** The text of each block, joined from its deltas, as a client would read the stream. */
function blocks(stream: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of stream.split("\n")) {
    if (!line.startsWith("data: ")) continue;
    const event = JSON.parse(line.slice(6));
    if (event.type !== "content_block_delta") continue;
    const piece = event.delta.text ?? event.delta.partial_json ?? event.delta.thinking ?? "";
    out.set(event.index, (out.get(event.index) ?? "") + piece);
  }
  return out;
}

describe("an Anthropic Messages dialect", () => {
  const value = `pa ss-${crypto.randomUUID()}`;
  const { surrogates: [surrogate], lookup } = sessionFor([value]);
  const options = { lookup, restoreIntoTools: "all" as const, dialect: messagesDialect };

  test("a surrogate split across text deltas of one block is restored whole", () => {
    for (let cut = 1; cut < surrogate.length; cut++) {
      const events = [
        textDelta(0, `key: ${surrogate.slice(0, cut)}`),
        textDelta(0, `${surrogate.slice(cut)} done`),
        { type: "content_block_stop", index: 0 },
        { type: "message_stop" },
      ];
      const { output, stats } = restoreText(sse(events), { ...options, kind: "sse" });
      expect(blocks(output).get(0)).toBe(`key: ${value} done`);
      expect(stats.restored).toBe(1);
    }
  });

  test("a value in Bash's command is quoted for the shell, through split JSON pieces", async () => {
    const input = JSON.stringify({ command: `echo ${surrogate}` });
    const at = input.indexOf(surrogate) + 9;
    const events = [
      {
        type: "content_block_start",
        index: 1,
        content_block: { type: "tool_use", id: "toolu_1", name: "Bash", input: {} },
      },
      jsonDelta(1, input.slice(0, at)),
      jsonDelta(1, input.slice(at)),
      { type: "content_block_stop", index: 1 },
    ];
    const chunks = [new TextEncoder().encode(sse(events))];
    const { text } = await pipe(chunks, { ...options, contentType: "text/event-stream" });
    expect(JSON.parse(blocks(text).get(1)!).command).toBe(`echo '${value}'`);
  });

  test("thinking passes byte for byte, in a stream and in a whole answer", () => {
    const other = fakeSurrogate();
    const thinking: Event[] = [
      {
        type: "content_block_start",
        index: 0,
        content_block: { type: "thinking", thinking: "", signature: "" },
      },
      {
        type: "content_block_delta",
        index: 0,
        delta: { type: "thinking_delta", thinking: `about ${surrogate} and ${other}` },
      },
      {
        type: "content_block_delta",
        index: 0,
        delta: { type: "signature_delta", signature: "c2ln" },
      },
      { type: "content_block_stop", index: 0 },
    ];
    const stream = sse(thinking);
    expect(restoreText(stream, { ...options, kind: "sse" }).output).toBe(stream);

    const answer = JSON.stringify({
      content: [
        { type: "thinking", thinking: `about ${surrogate}`, signature: "c2ln" },
        { type: "text", text: `here: ${surrogate}` },
      ],
    });
    const restored = JSON.parse(restoreText(answer, { ...options, kind: "json" }).output);
    expect(restored.content[0].thinking).toBe(`about ${surrogate}`);
    expect(restored.content[1].text).toBe(`here: ${value}`);
  });
});
