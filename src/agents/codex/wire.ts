/**
 * Codex's wire dialect: the OpenAI Responses API as core must know it. Which streamed events
 * carry pieces of one text (and whether those pieces are tool input), which event names a tool
 * call before its input streams, where whole tool calls sit in JSON, and which of Codex's tools
 * are written in a syntax of their own: the code-mode `exec` tool is JavaScript, `apply_patch`
 * is a patch (as a custom tool, or a function whose `input` holds the patch), and
 * `exec_command`'s `cmd` is a shell command. And, for redaction, how Codex cuts long tool outputs
 * before it sends them back (`truncation`), and that a function call's `arguments` is JSON text
 * (its `calls` entry says `input: "json"`).
 *
 * ```ts
 * engine.restorer({ contentType: upstream.headers.get("content-type"), dialect: responsesDialect });
 * ```
 */
import type { Dialect } from "../../core/mod.ts";

/** How the cut marker of the guardian (auto-review) transcript opens. */
const OMITTED_TAG = "<truncated omitted_approx_tokens=";

/** Responses deltas name their item by `item_id` (older events: only `output_index`). */
const ITEM = ["item_id", "output_index"] as const;

export const responsesDialect: Dialect = {
  name: "openai-responses",
  // Most frequent first: the restorer tries them in this order.
  deltas: [
    { type: "response.output_text.delta", field: "delta", item: ITEM, part: "content_index" },
    {
      type: "response.function_call_arguments.delta",
      field: "delta",
      item: ITEM,
      input: "json",
    },
    {
      type: "response.reasoning_summary_text.delta",
      field: "delta",
      item: ITEM,
      part: "summary_index",
    },
    {
      type: "response.custom_tool_call_input.delta",
      field: "delta",
      item: ITEM,
      input: "freeform",
    },
    { type: "response.reasoning_text.delta", field: "delta", item: ITEM, part: "content_index" },
    { type: "response.refusal.delta", field: "delta", item: ITEM, part: "content_index" },
    { type: "response.mcp_call_arguments.delta", field: "delta", item: ITEM, input: "opaque" },
  ],
  endings: [
    "response.completed",
    "response.failed",
    "response.incomplete",
    "response.output_item.added",
    "error",
  ],
  finals: ["[DONE]"],
  announcements: [{
    event: "response.output_item.added",
    type: "item.type",
    types: ["function_call", "custom_tool_call"],
    id: "item.id",
    name: "item.name",
  }],
  calls: [
    {
      type: "function_call",
      field: "arguments",
      input: "json",
      done: "response.function_call_arguments.done",
    },
    {
      type: "mcp_call",
      field: "arguments",
      input: "opaque",
      done: "response.mcp_call_arguments.done",
    },
    {
      type: "custom_tool_call",
      field: "input",
      input: "freeform",
      done: "response.custom_tool_call_input.done",
    },
  ],
  truncation: {
    markers: [
      // Codex keeps a long tool output's head and tail around `…N tokens truncated…` (or
      // `…N chars truncated…`, U+2026 on both sides). Between: the count, then at most 20
      // bytes ending in the unit and `truncated`.
      {
        open: "\u2026",
        close: "\u2026",
        within: 64,
        between: /^\d+(?=[\s\S]{1,20}$)[\s\S]* (?:tokens|chars) truncated$/,
      },
      // Its guardian (auto-review) transcript: `<truncated omitted_approx_tokens="N" />`, the
      // attribute's quotes JSON-escaped once or more; the tag is 64 bytes at most.
      { open: OMITTED_TAG, close: "/>", within: 64 - OMITTED_TAG.length },
    ],
    // Tool outputs (`function_call_output`, `custom_tool_call_output`, MCP text content).
    outputKeys: ["output", "text"],
    // The exec tools' output starts after a few header lines ending in `Output:`.
    outputHeader: { text: "Output:\n", within: 400 },
  },
  tools: {
    exec: { input: "javascript" },
    apply_patch: { input: "patch", fields: { input: "patch" } },
    exec_command: { fields: { cmd: "shell" } },
  },
};
