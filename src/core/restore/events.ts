/**
 * Restore over complete SSE events of a Responses API stream. The delta events of one item part
 * are one text cut in pieces: a delta whose end could be the start of a surrogate is held back
 * (the whole event, for the time until the part's next delta). If the next delta completes a
 * surrogate, the held start moves into it and is restored whole; if not, the held events go out
 * as they came. The part's other events, the end of the response and the end of the stream send
 * whatever is still held. Events that need nothing come back untouched (the caller keeps their
 * bytes), so a stream without surrogates passes byte for byte.
 */
import { dataStart, eventName, lineEnd, nextEventEnd } from "./sse.ts";
import {
  decodedJson,
  lastTokenEnd,
  nextToken,
  partialStart,
  restoreSpan,
  type Spot,
  stringEnd,
  type Values,
} from "./spans.ts";
import { deltaSpot, restoreJson } from "./json.ts";
import { SURROGATE_LENGTH, SURROGATE_PREFIX } from "../surrogate.ts";

/** Delta events whose pieces concatenate into one text per item part (most frequent first). */
const DELTAS = [
  "response.output_text.delta",
  "response.function_call_arguments.delta",
  "response.reasoning_summary_text.delta",
  "response.custom_tool_call_input.delta",
  "response.reasoning_text.delta",
  "response.refusal.delta",
  "response.mcp_call_arguments.delta",
];

/** Events after which no delta of the response can follow: everything held is flushed. */
const ENDINGS = new Set([
  "response.completed",
  "response.failed",
  "response.incomplete",
  "response.output_item.added",
  "error",
]);

/** Deltas of tool inputs that may carry a literal context (shell, JavaScript, patch). */
const ARGUMENTS_DELTA = "response.function_call_arguments.delta";
const CUSTOM_INPUT_DELTA = "response.custom_tool_call_input.delta";

const DELTA_FIELD = '"delta":"';
const ITEM_ID = '"item_id":';
const OUTPUT_INDEX = '"output_index":';
/** Which field tells the parts of an item apart, for the deltas whose items have several. */
const PART_INDEX = new Map([
  ["response.output_text.delta", '"content_index":'],
  ["response.refusal.delta", '"content_index":'],
  ["response.reasoning_text.delta", '"content_index":'],
  ["response.reasoning_summary_text.delta", '"summary_index":'],
]);
const TYPE_FIRST = '{"type":"';
const DATA_PREFIX = "data: ";
const RESPONSE = "response.";

/** An event replaced: its start and end in the text, and what goes out instead. */
export type SseEdit = [start: number, end: number, replacement: string];

/** A delta event held back because its end could be the start of a surrogate. */
interface HeldEvent {
  /** The event to send if the held text turns out not to be a surrogate (its own bytes if untouched). */
  release: string;
  /** Whether `release` is the event as it came. */
  untouched: boolean;
  /** Where the event was: in which text given to `edits`, and its offsets there. */
  text: number;
  start: number;
  end: number;
  /** The event to send if it is one: the delta without the held text ("" drops the event). */
  truncated: string;
}

/** One item part's delta stream. */
interface Part {
  type: string;
  itemId: string;
  /** `"item_id":"<id>"`, to recognise the part's next delta without a lookup. */
  needle: string;
  spot: Spot;
  /** The text (JSON string body) at the end of the held events that may become a surrogate. */
  held: string;
  events: HeldEvent[];
  /** Text (JSON string body) sent on but not yet fed to the literal context, which needs it
   * only when a surrogate comes. */
  unfed: string;
}

export class SseRestore {
  readonly #values: Values;
  readonly #parts = new Map<string, Part>();
  /**
   * The part of the last tool-input delta: a tool call streams as a run of deltas of one item,
   * whose next piece is then found without a lookup.
   */
  #last: Part | undefined;
  /** Tool names of calls by item id, from `response.output_item.added`. */
  readonly #toolNames = new Map<string, string>();
  #holding = 0;
  #text = "";
  /** How many texts `edits` was given, and the edits of the current one so far. */
  #texts = 0;
  #edits: SseEdit[] = [];
  #nextToken = -1;
  /** The type of the last delta event found by its data, and how its data line starts. */
  #deltaType: string | undefined;
  #deltaLine = "\0";

  constructor(values: Values) {
    this.#values = values;
  }

  /**
   * The changed events among the complete events in `text` (a trailing incomplete one is taken
   * as is), in order: [start, end, replacement], or undefined if none changed. Offsets index
   * `text`, so a caller holding its bytes can pass the rest on as they came.
   */
  edits(text: string): SseEdit[] | undefined {
    this.#text = text;
    this.#texts++;
    this.#nextToken = text.indexOf(SURROGATE_PREFIX);
    const edits: SseEdit[] = this.#edits = [];
    let pos = 0;
    while (pos < text.length) {
      let nl = text.indexOf("\n", pos);
      if (nl < 0) nl = text.length;
      let end = nextEventEnd(text, nl);
      if (end < 0) end = text.length;
      // Most often: an `event:` line, then a data line of the same delta type as the last event.
      const replaced = text.charCodeAt(pos) !== 0x64 && text.startsWith(this.#deltaLine, nl + 1)
        ? this.#delta(
          pos,
          end,
          nl + 1 + DATA_PREFIX.length,
          this.#deltaType!,
          nl + 1 + this.#deltaLine.length,
        )
        : this.#event(pos, end, nl);
      if (replaced !== undefined) edits.push([pos, end, replaced]);
      pos = end;
    }
    this.#text = "";
    this.#edits = [];
    return edits.length > 0 ? edits : undefined;
  }

  /** Complete events in `text` (a trailing incomplete one is taken as is), or undefined if none changed. */
  events(text: string): string | undefined {
    const edits = this.edits(text);
    return edits && applyEdits(text, edits);
  }

  /** Everything still held, as delta events; call at the end of the stream. */
  finish(): string {
    return this.#flush(() => true);
  }

  #hasToken(from: number, to: number): boolean {
    if (this.#nextToken >= 0 && this.#nextToken < from) {
      this.#nextToken = this.#text.indexOf(SURROGATE_PREFIX, from);
    }
    return this.#nextToken >= 0 && this.#nextToken < to;
  }

  /** The event text[a, b), whose first line break is at `nl`. */
  #event(a: number, b: number, nl: number): string | undefined {
    const text = this.#text;
    const start = dataStart(text, a, b, nl);
    if (start < 0) return undefined;
    // The data may go on over more `data:` lines: JSON strings never span lines, and the line
    // prefixes between them are not JSON syntax, so the whole rest of the event is read as one.
    const delta = knownDelta(text, start);
    if (delta !== undefined) {
      this.#deltaType = delta;
      this.#deltaLine = DATA_PREFIX + TYPE_FIRST + delta + '"';
      return this.#delta(a, b, start, delta, start + TYPE_FIRST.length + delta.length + 1);
    }
    const type = this.#typeOf(a, b, start);
    if (DELTAS.includes(type)) return this.#delta(a, b, start, type, start);

    let flushed = "";
    if (this.#parts.size > 0) {
      const ending = ENDINGS.has(type) || text.startsWith("[DONE]", start);
      flushed = this.#flush((part) => ending || includesId(text, a, b, part.itemId));
    }
    if (type === "response.output_item.added") this.#noteTool(start, b);
    const restored = this.#hasToken(a, b)
      ? restoreJson(text, start, b, type, this.#values, this.#toolName)
      : undefined;
    if (restored === undefined) return flushed ? flushed + text.slice(a, b) : undefined;
    return flushed + text.slice(a, start) + restored;
  }

  /** A delta event; its `delta` field is after `fieldsFrom`. */
  #delta(
    a: number,
    b: number,
    start: number,
    type: string,
    fieldsFrom: number,
  ): string | undefined {
    const text = this.#text;
    const field = text.indexOf(DELTA_FIELD, fieldsFrom);
    if (field < 0 || field >= b) return undefined;
    const from = field + DELTA_FIELD.length;
    const to = stringEnd(text, from, b);
    // A tool input's literal context must follow every piece of it.
    const custom = (type === ARGUMENTS_DELTA || type === CUSTOM_INPUT_DELTA) &&
      !this.#values.keepsTools;
    const next = this.#nextToken;
    const hasToken = next >= from ? next < to : next >= 0 && this.#hasToken(from, to);
    // Without "ficta_" in it, a delta can only end in "f", "fi", "fic", "fict" or "ficta".
    const mayHold = (hasToken || endsLikePrefix(text.charCodeAt(to - 1))) &&
      partialStart(text, from, to, true) < to;
    if (!hasToken && !mayHold) {
      if (!custom && this.#holding === 0) return undefined;
      // The next piece of the last tool input (OpenAI sends the item id before the delta).
      const last = this.#last;
      if (
        last !== undefined && last.held === "" && last.type === type &&
        text.lastIndexOf(last.needle, field) >= start
      ) {
        // Nothing to restore or hold: the literal context gets the text when it is next needed.
        if (last.spot.literal) last.unfed += text.slice(from, to);
        return undefined;
      }
    }

    const data = text.slice(start, b);
    let part = this.#last?.type === type && data.includes(this.#last.needle)
      ? this.#last
      : undefined;
    if (!part) {
      const itemId = field_(data, ITEM_ID) || field_(data, OUTPUT_INDEX);
      const index = PART_INDEX.get(type);
      const key = itemId + "\0" + (index ? field_(data, index) : "") + "\0" + type;
      part = this.#parts.get(key);
      if (!part) {
        if (!custom && !hasToken && !mayHold) return undefined;
        const spot = deltaSpot(type, this.#toolName(itemId));
        const needle = ITEM_ID + '"' + itemId + '"';
        part = { type, itemId, needle, spot, held: "", events: [], unfed: "" };
        this.#parts.set(key, part);
      }
      if (!index && data.includes(part.needle)) this.#last = part;
    }
    if (part.held === "" && !hasToken && !mayHold) {
      // Nothing to restore or hold: the literal context gets the text when it is next needed.
      if (part.spot.literal) part.unfed += text.slice(from, to);
      return undefined;
    }
    const values = this.#values;
    const delta = text.slice(from, to);
    let out = "";
    let own = delta;
    if (part.held !== "") {
      const joined = part.held + delta;
      const token = nextToken(joined, 0, joined.length, true);
      if (token >= 0 && token < part.held.length) {
        const surrogate = joined.slice(token, token + SURROGATE_LENGTH);
        if (values.changes(surrogate, part.spot)) {
          // The held text was the start of a surrogate: it moves into this delta, restored.
          out = part.events.map((e) => e.truncated).join("");
          own = joined;
        } else {
          values.replacement(surrogate, part.spot);
          out = this.#release(part, a);
        }
      } else if (partialStart(joined, 0, joined.length, true) < part.held.length) {
        // Still only the start of one: hold this event too.
        part.events.push(this.#held(a, b, text.slice(a, b), true, ""));
        part.held = joined;
        return "";
      } else out = this.#release(part, a);
      part.held = "";
      part.events = [];
      this.#holding--;
    }

    const before = text.slice(a, from);
    const after = text.slice(to, b);
    const cut = partialStart(own, lastTokenEnd(own, 0, own.length, true), own.length, true);
    if (part.unfed !== "") {
      part.spot.literal?.feed(decodedJson(part.unfed));
      part.unfed = "";
    }
    const restored = restoreSpan(own, 0, cut, part.spot, values);
    const untouched = own === delta && restored === (cut === own.length ? own : own.slice(0, cut));
    if (cut < own.length) {
      part.held = own.slice(cut);
      const release = untouched ? text.slice(a, b) : before + restored + part.held + after;
      const truncated = restored === "" ? "" : before + restored + after;
      part.events.push(this.#held(a, b, release, untouched, truncated));
      this.#holding++;
      return out;
    }
    if (untouched && out === "") return undefined;
    return out + (untouched ? text.slice(a, b) : before + restored + after);
  }

  #held(
    start: number,
    end: number,
    release: string,
    untouched: boolean,
    truncated: string,
  ): HeldEvent {
    return { release, untouched, text: this.#texts, start, end, truncated };
  }

  /**
   * The part's held events as they came, to send before the event at `a`; the held text is for
   * its literal context.
   */
  #release(part: Part, a: number): string {
    if (part.spot.literal) part.unfed += part.held;
    if (this.#inPlace(part.events, a)) return "";
    return part.events.map((e) => e.release).join("");
  }

  /**
   * Whether the held events, untouched, lie just before the event at `a` in the current text,
   * each dropped by an edit of its own: those edits are taken back, so the events go out where
   * they are (a false start of a surrogate then costs no rewrite).
   */
  #inPlace(events: HeldEvent[], a: number): boolean {
    const edits = this.#edits;
    const first = edits.length - events.length;
    if (first < 0) return false;
    let next = a;
    for (let i = events.length - 1; i >= 0; i--) {
      const event = events[i];
      const edit = edits[first + i];
      if (
        !event.untouched || event.text !== this.#texts || event.end !== next ||
        edit[0] !== event.start || edit[2] !== ""
      ) return false;
      next = event.start;
    }
    edits.length = first;
    return true;
  }

  /** The held events of the parts chosen, as they came; those parts end. */
  #flush(chosen: (part: Part) => boolean): string {
    let out = "";
    for (const [key, part] of this.#parts) {
      if (!chosen(part)) continue;
      if (part.held !== "") {
        out += part.events.map((e) => e.release).join("");
        this.#holding--;
      }
      if (part === this.#last) this.#last = undefined;
      this.#parts.delete(key);
    }
    return out;
  }

  /** The event's type as Codex reads it: the data's `type`, else the `event:` field. */
  #typeOf(a: number, b: number, start: number): string {
    const text = this.#text;
    if (text.startsWith(TYPE_FIRST, start)) {
      const from = start + TYPE_FIRST.length;
      return text.slice(from, stringEnd(text, from, b));
    }
    if (text.charCodeAt(start) === 0x7b) {
      try {
        const type = JSON.parse(text.slice(start, lineEnd(text, start)))?.type;
        if (typeof type === "string") return type;
      } catch {
        // Data over several lines, or not JSON: the event name says it.
      }
    }
    return eventName(text, a) ?? "";
  }

  #noteTool(start: number, end: number): void {
    const data = this.#text.slice(start, end);
    if (!data.includes('"custom_tool_call"') && !data.includes('"function_call"')) return;
    try {
      const item = JSON.parse(data)?.item;
      if (typeof item?.id === "string" && typeof item?.name === "string") {
        this.#toolNames.set(item.id, item.name);
      }
    } catch {
      // A malformed announcement leaves the tool's input as plain text.
    }
  }

  readonly #toolName = (itemId: string): string => this.#toolNames.get(itemId) ?? "";
}

/** `text` with its edited events replaced. */
export function applyEdits(text: string, edits: SseEdit[]): string {
  let out = "";
  let copied = 0;
  for (const [start, end, replacement] of edits) {
    out += text.slice(copied, start) + replacement;
    copied = end;
  }
  return out + text.slice(copied);
}

/** Delta types by the first letter after `response.`, the most frequent first. */
const DELTAS_BY_LETTER = new Map<number, string[]>();
for (const type of DELTAS) {
  const letter = type.charCodeAt(RESPONSE.length);
  DELTAS_BY_LETTER.set(letter, [...DELTAS_BY_LETTER.get(letter) ?? [], type]);
}

/** The delta type of an event whose data starts with its `type` (as OpenAI sends it), if any. */
function knownDelta(text: string, start: number): string | undefined {
  if (!text.startsWith(TYPE_FIRST, start)) return undefined;
  const from = start + TYPE_FIRST.length;
  const types = DELTAS_BY_LETTER.get(text.charCodeAt(from + RESPONSE.length));
  if (types === undefined) return undefined;
  for (const type of types) {
    if (text.startsWith(type, from) && text.charCodeAt(from + type.length) === 0x22) return type;
  }
  return undefined;
}

/** Whether `c` is a letter the starts of the prefix, "f" to "ficta", end with. */
function endsLikePrefix(c: number): boolean {
  return c === 0x66 || c === 0x69 || c === 0x63 || c === 0x74 || c === 0x61;
}

function includesId(text: string, a: number, b: number, itemId: string): boolean {
  return itemId !== "" && text.slice(a, b).includes('"' + itemId + '"');
}

/** The raw value of a scalar field of `data` (`needle`: its quoted name and colon), unquoted. */
function field_(data: string, needle: string): string {
  const at = data.indexOf(needle);
  if (at < 0) return "";
  let from = at + needle.length;
  if (data.charCodeAt(from) === 0x22) {
    from++;
    return data.slice(from, stringEnd(data, from, data.length));
  }
  let to = from;
  while (to < data.length && data.charCodeAt(to) !== 0x2c && data.charCodeAt(to) !== 0x7d) to++;
  return data.slice(from, to).trim();
}
