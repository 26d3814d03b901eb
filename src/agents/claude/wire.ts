/**
 * The Anthropic Messages API as restore must know it (measured with Claude Code 2.1.332 and the
 * mock in test/e2e/mock-anthropic.ts): one event type, `content_block_delta`, carries text
 * (`text_delta.text`) and tool input (`input_json_delta.partial_json`, JSON text cut anywhere,
 * even mid-escape), told apart by the field present and by the block `index`; a tool call is
 * announced by `content_block_start` with the tool's name. Thinking (`thinking_delta`,
 * `signature_delta`, `thinking` / `redacted_thinking` blocks) is signed: never touched.
 *
 * Tool fields with a syntax of their own: Bash's `command` is a shell command. Write's `content`,
 * Edit's `old_string` / `new_string` and MultiEdit's `edits[].old_string/new_string` are plain
 * text in JSON: a restored value lands there as its exact text, JSON-escaped for the transport.
 */
import type { Dialect } from "../../core/mod.ts";

export const messagesDialect: Dialect = {
  name: "anthropic-messages",
  deltas: [
    { type: "content_block_delta", field: "text", item: ["index"] },
    { type: "content_block_delta", field: "partial_json", item: ["index"], input: "json" },
  ],
  endings: ["message_stop", "content_block_stop", "error"],
  announcements: [{
    event: "content_block_start",
    type: "content_block.type",
    types: ["tool_use", "server_tool_use"],
    id: "index",
    name: "content_block.name",
  }],
  calls: [{ type: "tool_use", field: "input", input: "object" }],
  verbatim: ["thinking", "redacted_thinking"],
  tools: { Bash: { fields: { command: "shell" } } },
  truncation: {
    // A tool output over Claude Code's limit is saved to a file and sent as its first 2 KB, cut
    // anywhere (mid-line, mid-value: measured with 2.1.332), then `\n...\n</persisted-output>`
    // (as written in the request's JSON). A value cut there leaves a prefix just before it.
    markers: [{ open: "\\n...\\n", close: "</persisted-output>", within: 0 }],
    outputKeys: [],
  },
};
