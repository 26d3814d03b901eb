/**
 * Surrogates inside a JSON document (an event's data, or a whole JSON answer), restored by
 * surgery on the text: only the strings that hold a surrogate change, so numbers, key order and
 * spacing survive. Each string's landing follows from where it sits, as the dialect describes the
 * payload: a tool call's JSON input is JSON inside the string (some fields in a syntax of their
 * own), a freeform tool input is text in the tool's syntax, everything else is plain text in a
 * JSON string.
 */
import { SURROGATE_PREFIX } from "../surrogate.ts";
import { Landing, restoreSpan, type Spot, stringEnd, type Values } from "./spans.ts";
import { fieldsContext, literalContext } from "./literals.ts";
import type { DeltaEvent, DialectIndex, InputForm } from "./dialect.ts";

/** The name of the tool a call is to, by item id, when an earlier event announced it. */
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
const TEXT: Spot = { landing: Landing.Json, tool: false };

/** The landing of a tool call's input of `form`, to the tool `toolName` ("" if unknown). */
function inputSpot(form: InputForm, toolName: string, dialect: DialectIndex): Spot {
  switch (form) {
    case "json":
      return {
        landing: Landing.Nested,
        tool: true,
        literal: fieldsContext(dialect.fieldSyntaxes(toolName)),
      };
    case "opaque":
      return { landing: Landing.Nested, tool: true };
    case "freeform": {
      const syntax = dialect.inputSyntax(toolName);
      return { landing: Landing.Json, tool: true, literal: syntax && literalContext(syntax) };
    }
    case "object":
      return { landing: Landing.Json, tool: true };
  }
}

/** How a delta's pieces land: a tool input's way, or plain text in a JSON string. */
export function deltaSpot(delta: DeltaEvent, toolName: string, dialect: DialectIndex): Spot {
  return delta.input ? inputSpot(delta.input, toolName, dialect) : { ...TEXT };
}

/** Where a string of `frame` under `key` lands. */
function spotFor(key: string, frame: Frame, depth: number, json: RestoreJson): Spot {
  const { dialect, eventType, toolName } = json;
  for (const call of dialect.calls) {
    if (key !== call.field) continue;
    if (frame.type === call.type) return inputSpot(call.input, frame.name, dialect);
    if (depth === 1 && eventType === call.done) {
      return inputSpot(call.input, toolName(frame.itemId), dialect);
    }
  }
  if (depth === 1) {
    const delta = dialect.deltas.get(eventType)?.find((d) => d.field === key);
    if (delta) return deltaSpot(delta, toolName(frame.itemId), dialect);
  }
  return TEXT;
}

/** One JSON document to restore, and what tells where its strings land. */
export interface RestoreJson {
  text: string;
  from: number;
  to: number;
  /** The event's type ("" for a whole JSON answer). */
  eventType: string;
  values: Values;
  dialect: DialectIndex;
  toolName: ToolNameOf;
}

/** text[from, to) (JSON) with its surrogates restored, or undefined when nothing changed. */
export function restoreJson(json: RestoreJson): string | undefined {
  const { text, from, to, values, dialect } = json;
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
          else if (dialect.itemFields.has(top.key)) top.itemId ||= text.slice(i + 1, end);
        }
        if (token >= 0 && token < i) token = text.indexOf(SURROGATE_PREFIX, i);
        if (token >= 0 && token < end) {
          if (top) top.strings.push([i + 1, end, top.object ? top.key : ""]);
          else settle(i + 1, end, TEXT);
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
      if (!frame || dialect.verbatim.has(frame.type)) continue;
      for (const [start, end, key] of frame.strings) {
        settle(start, end, spotFor(key, frame, stack.length + 1, json));
      }
    } else if (c === 0x2c) {
      const top = stack.at(-1);
      if (top?.object) top.awaitingKey = true;
    }
  }
  // Strings of containers left open (a truncated document) still land as plain JSON strings.
  for (const frame of stack) {
    if (dialect.verbatim.has(frame.type)) continue;
    for (const [start, end] of frame.strings) settle(start, end, TEXT);
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
