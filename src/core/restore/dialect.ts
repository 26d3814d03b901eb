/**
 * A wire dialect: what core must know about one agent's model API, as data. Core knows SSE
 * framing, JSON and where surrogates may sit; a dialect says which events carry pieces of one
 * text, which tool call a piece belongs to, and which tool fields have a syntax of their own
 * (restore), and which request fields hold JSON text and how the agent cuts long tool outputs
 * (redaction: `compileEngine` takes the dialect in its options). Each agent defines its value
 * in `src/agents/<name>/wire.ts`. The file sits with restore, which reads most of it.
 *
 * Two conventions are shared by the APIs ficta speaks and so live in core: an event's type is its
 * JSON data's `type` field (else its SSE `event:` name), and a tool call's name sits in a `name`
 * field beside its `type`.
 *
 * How the Anthropic Messages API (Claude Code) fits, as a sketch (test/core/restore/dialect.test.ts
 * runs it):
 *
 * ```ts
 * const messagesDialect: Dialect = {
 *   name: "anthropic-messages",
 *   // One event type carries text and tool input: the field present tells which.
 *   deltas: [
 *     { type: "content_block_delta", field: "text", item: ["index"] },
 *     { type: "content_block_delta", field: "partial_json", item: ["index"], input: "json" },
 *     // `thinking_delta` / `signature_delta` are not listed: they pass as they came.
 *   ],
 *   endings: ["message_stop", "content_block_stop", "error"],
 *   announcements: [{
 *     event: "content_block_start",
 *     type: "content_block.type", types: ["tool_use"],
 *     id: "index", name: "content_block.name",
 *   }],
 *   // A whole answer's tool_use `input` is a JSON object, not JSON text in a string.
 *   calls: [{ type: "tool_use", field: "input", input: "object" }],
 *   verbatim: ["thinking", "redacted_thinking"],
 *   tools: { Bash: { fields: { command: "shell" } } }, // Write/Edit/MultiEdit: plain JSON strings
 * };
 * ```
 */

import type { Truncation } from "../redact/truncation.ts";

/** A syntax a tool input (or one field of it) is written in; a value is quoted for it. */
export type Syntax = "shell" | "javascript" | "patch";

/**
 * How a tool call's input is carried: `json`, JSON text inside a JSON string (a Responses
 * function call's `arguments`, an Anthropic `partial_json` piece); `freeform`, text in the tool's
 * own syntax inside a JSON string (a Responses custom tool's `input`); `object`, a JSON value
 * (an Anthropic `tool_use` block's `input`; not yet restored field by field, see issue 16);
 * `opaque`, JSON text whose fields never get a literal syntax (MCP calls).
 */
export type InputForm = "json" | "freeform" | "object" | "opaque";

/** An event whose string `field` is the next piece of one part's text. */
export interface DeltaEvent {
  /** The event's type, e.g. `response.output_text.delta`. */
  readonly type: string;
  /**
   * The string field holding the piece (its first occurrence in the data). Several entries may
   * share a type with different fields: the first field present decides.
   */
  readonly field: string;
  /** Fields naming the item the part belongs to; the first one present is used. */
  readonly item: readonly string[];
  /** A field telling apart several parts of one item (e.g. `content_index`), if any. */
  readonly part?: string;
  /** Set when the pieces are a tool call's input; absent: text for the user. */
  readonly input?: InputForm;
}

/** An event announcing a tool call before its input streams; dotted paths into its data. */
export interface Announcement {
  readonly event: string;
  /** Path of the announced object's type, and the types that are tool calls. */
  readonly type: string;
  readonly types: readonly string[];
  /** Path of the value the call's deltas carry in their `item` field, and of the tool's name. */
  readonly id: string;
  readonly name: string;
}

/** A whole tool call inside JSON: an object of `type` whose `field` is the input. */
export interface CallShape {
  readonly type: string;
  readonly field: string;
  readonly input: InputForm;
  /**
   * An event whose top-level `field` is the whole input of a call announced earlier (the call is
   * found by the event's first `item` field of its deltas, e.g. `item_id`).
   */
  readonly done?: string;
}

/** Where one tool's input has a syntax of its own. */
export interface ToolSyntax {
  /** For a `freeform` input: the syntax of the whole input. */
  readonly input?: Syntax;
  /** For a `json` input: the syntax of some top-level string fields. */
  readonly fields?: Readonly<Record<string, Syntax>>;
}

/** What restore must know about one wire API. Plain data: agents define it, core reads it. */
export interface Dialect {
  /** For messages and tests, e.g. `openai-responses`. */
  readonly name: string;
  readonly deltas: readonly DeltaEvent[];
  /** Events after which no held piece can continue: everything held is sent. */
  readonly endings: readonly string[];
  /** SSE data payloads that end the stream (e.g. `[DONE]`): everything held is sent. */
  readonly finals?: readonly string[];
  readonly announcements: readonly Announcement[];
  /**
   * Whole tool calls. Requests echo them too: redaction reads the string of a `json` or `opaque`
   * field (a Responses function call's `arguments`) as JSON text, a value in it spelled under
   * two layers of JSON.
   */
  readonly calls: readonly CallShape[];
  /** How the agent cuts long tool outputs in requests (redact/truncation.ts); absent: never. */
  readonly truncation?: Truncation;
  /** Types of JSON objects whose strings must pass byte for byte (signed thinking blocks). */
  readonly verbatim?: readonly string[];
  /** Tools whose inputs have a syntax of their own, by tool name. */
  readonly tools: Readonly<Record<string, ToolSyntax>>;
}

/** A dialect that knows no events: JSON and text answers restored as plain JSON strings / text. */
export const plainDialect: Dialect = {
  name: "plain",
  deltas: [],
  endings: [],
  announcements: [],
  calls: [],
  tools: {},
};

/** A delta entry with the text that finds its field (`"delta":"`). */
export interface IndexedDelta extends DeltaEvent {
  readonly needle: string;
  /** Whether its pieces are a tool input that may have a literal syntax (json or freeform). */
  readonly literal: boolean;
  /** `"<field>":` for each `item` field, and for `part` ("" when none). */
  readonly itemNeedles: readonly string[];
  readonly partNeedle: string;
}

/** A dialect's lookups, built once per dialect value. */
export class DialectIndex {
  readonly dialect: Dialect;
  /** Delta entries by event type (several when one type carries different fields). */
  readonly deltas = new Map<string, IndexedDelta[]>();
  readonly endings: ReadonlySet<string>;
  readonly finals: readonly string[];
  readonly announcements = new Map<string, Announcement>();
  /** The quoted type names a data payload must contain to be worth parsing as an announcement. */
  readonly announced: readonly string[];
  readonly calls: readonly CallShape[];
  readonly verbatim: ReadonlySet<string>;
  /** Fields that name the item a part belongs to (their string values are read in JSON). */
  readonly itemFields: ReadonlySet<string>;
  /** Delta types by the character where they first differ, most frequent (first listed) first. */
  readonly #byChar = new Map<number, string[]>();
  readonly #charAt: number;

  constructor(dialect: Dialect) {
    this.dialect = dialect;
    for (const entry of dialect.deltas) {
      const delta = {
        ...entry,
        needle: '"' + entry.field + '":"',
        literal: entry.input === "json" || entry.input === "freeform",
        itemNeedles: entry.item.map((name) => '"' + name + '":'),
        partNeedle: entry.part === undefined ? "" : '"' + entry.part + '":',
      };
      const list = this.deltas.get(delta.type);
      if (list) list.push(delta);
      else this.deltas.set(delta.type, [delta]);
    }
    this.endings = new Set(dialect.endings);
    this.finals = dialect.finals ?? [];
    for (const a of dialect.announcements) this.announcements.set(a.event, a);
    this.announced = dialect.announcements.flatMap((a) => a.types.map((t) => `"${t}"`));
    this.calls = dialect.calls;
    this.verbatim = new Set(dialect.verbatim ?? []);
    this.itemFields = new Set(dialect.deltas.map((d) => d.item[0]));
    const types = [...this.deltas.keys()];
    this.#charAt = distinguishingIndex(types);
    for (const type of types) {
      const c = type.charCodeAt(this.#charAt);
      this.#byChar.set(c, [...this.#byChar.get(c) ?? [], type]);
    }
  }

  /** The delta type text[from...] starts with, followed by a quote, if any. */
  deltaTypeAt(text: string, from: number): string | undefined {
    const types = this.#byChar.get(text.charCodeAt(from + this.#charAt));
    if (types === undefined) return undefined;
    for (const type of types) {
      if (text.startsWith(type, from) && text.charCodeAt(from + type.length) === 0x22) return type;
    }
    return undefined;
  }

  /** The syntax of a tool's freeform input, if it has one. */
  inputSyntax(toolName: string): Syntax | undefined {
    return toolName === "" ? undefined : this.dialect.tools[toolName]?.input;
  }

  /** The syntaxes of a tool's JSON input fields, if any. */
  fieldSyntaxes(toolName: string): Readonly<Record<string, Syntax>> | undefined {
    return toolName === "" ? undefined : this.dialect.tools[toolName]?.fields;
  }
}

const indexes = new WeakMap<Dialect, DialectIndex>();

/** The lookups for `dialect` (built on first use, then shared by every restorer). */
export function indexDialect(dialect: Dialect): DialectIndex {
  let index = indexes.get(dialect);
  if (!index) indexes.set(dialect, index = new DialectIndex(dialect));
  return index;
}

/** Where the strings first differ (their common prefix's length), inside the shortest one. */
function distinguishingIndex(types: readonly string[]): number {
  if (types.length === 0) return 0;
  const shortest = Math.min(...types.map((t) => t.length));
  let i = 0;
  while (i < shortest - 1 && types.every((t) => t.charCodeAt(i) === types[0].charCodeAt(i))) i++;
  return i;
}
