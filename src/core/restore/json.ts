/**
 * Surrogates inside a JSON document (an SSE event's data, or a whole JSON answer), restored by
 * surgery on the text: only the strings that hold a surrogate change, so numbers, key order and
 * spacing survive. Each string's landing follows from where it sits in a Responses API payload:
 * function-call `arguments` are JSON inside the string (with a shell command in `exec_command`'s
 * `cmd`), custom tool `input` is text in the tool's own syntax, everything else is plain text in
 * a JSON string.
 */
import { SURROGATE_PREFIX } from "../surrogate.ts";
import { Landing, restoreSpan, type Spot, stringEnd, type Values } from "./spans.ts";
import { argumentsContextFor, literalContextFor } from "./literals.ts";

/** The name of the tool an output item calls, by item id, when an earlier event announced it. */
export type ToolNameOf = (itemId: string) => string;

interface Frame {
  object: boolean;
  awaitingKey: boolean;
  key: string;
  type: string;
  name: string;
  itemId: string;
  /** [start, end, key] of strings in this container that hold something surrogate-shaped. */
  strings: [number, number, string][];
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

const QUOTE = 0x22;

/** The landing of a function call's `arguments`: JSON text, some fields in a syntax of their own. */
function argumentsSpot(toolName: string): Spot {
  return { landing: Landing.Nested, tool: true, literal: argumentsContextFor(toolName) };
}

/** Event types whose `delta` is a tool input, and how it lands. */
export function deltaSpot(eventType: string, toolName: string): Spot {
  if (eventType === "response.function_call_arguments.delta") return argumentsSpot(toolName);
  if (eventType === "response.mcp_call_arguments.delta") {
    return { landing: Landing.Nested, tool: true };
  }
  if (eventType === "response.custom_tool_call_input.delta") {
    return { landing: Landing.Json, tool: true, literal: literalContextFor(toolName) };
  }
  return { landing: Landing.Json, tool: false };
}

function spotFor(
  key: string,
  frame: Frame,
  depth: number,
  eventType: string,
  toolName: ToolNameOf,
): Spot {
  if (key === "arguments") {
    if (frame.type === "function_call") return argumentsSpot(frame.name);
    if (depth === 1 && eventType === "response.function_call_arguments.done") {
      return argumentsSpot(toolName(frame.itemId));
    }
    if (
      frame.type === "mcp_call" ||
      (depth === 1 && eventType === "response.mcp_call_arguments.done")
    ) return { landing: Landing.Nested, tool: true };
  } else if (key === "input") {
    if (frame.type === "custom_tool_call") {
      return { landing: Landing.Json, tool: true, literal: literalContextFor(frame.name) };
    }
    if (depth === 1 && eventType === "response.custom_tool_call_input.done") {
      const literal = literalContextFor(toolName(frame.itemId));
      return { landing: Landing.Json, tool: true, literal };
    }
  } else if (key === "delta" && depth === 1) {
    return deltaSpot(eventType, toolName(frame.itemId));
  }
  return { landing: Landing.Json, tool: false };
}

/**
 * text[from, to) (JSON) with its surrogates restored, or undefined when nothing changed.
 * `eventType` is the SSE event's type ("" for a plain JSON answer).
 */
export function restoreJson(
  text: string,
  from: number,
  to: number,
  eventType: string,
  values: Values,
  toolName: ToolNameOf,
): string | undefined {
  let token = text.indexOf(SURROGATE_PREFIX, from);
  if (token < 0 || token >= to) return undefined;
  const edits: Edit[] = [];
  const stack: Frame[] = [];
  const settle = (start: number, end: number, spot: Spot) => {
    const restored = restoreSpan(text, start, end, spot, values);
    if (restored.length !== end - start || !text.startsWith(restored, start)) {
      edits.push({ start, end, text: restored });
    }
  };
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i + 1, to);
      const top = stack.at(-1);
      if (top?.object && top.awaitingKey) {
        top.key = text.slice(i + 1, end);
        top.awaitingKey = false;
      } else {
        if (top?.object) {
          if (top.key === "type") top.type = text.slice(i + 1, end);
          else if (top.key === "name") top.name = text.slice(i + 1, end);
          else if (top.key === "item_id") top.itemId = text.slice(i + 1, end);
        }
        if (token >= 0 && token < i) token = text.indexOf(SURROGATE_PREFIX, i);
        if (token >= 0 && token < end) {
          if (top) top.strings.push([i + 1, end, top.object ? top.key : ""]);
          else settle(i + 1, end, { landing: Landing.Json, tool: false });
        }
      }
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      stack.push({
        object: c === 0x7b,
        awaitingKey: c === 0x7b,
        key: "",
        type: "",
        name: "",
        itemId: "",
        strings: [],
      });
    } else if (c === 0x7d || c === 0x5d) {
      const frame = stack.pop();
      if (!frame) continue;
      for (const [start, end, key] of frame.strings) {
        settle(start, end, spotFor(key, frame, stack.length + 1, eventType, toolName));
      }
    } else if (c === 0x2c) {
      const top = stack.at(-1);
      if (top?.object) top.awaitingKey = true;
    }
  }
  // Strings of containers left open (a truncated document) still land as plain JSON strings.
  for (const frame of stack) {
    for (const [start, end] of frame.strings) {
      settle(start, end, { landing: Landing.Json, tool: false });
    }
  }
  if (edits.length === 0) return undefined;
  edits.sort((a, b) => a.start - b.start);
  let out = "";
  let copied = from;
  for (const edit of edits) {
    out += text.slice(copied, edit.start) + edit.text;
    copied = edit.end;
  }
  return out + text.slice(copied, to);
}
