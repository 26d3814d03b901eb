/**
 * Restore over the events of one streamed answer, as its dialect describes them: delta events
 * are pieces of one part's text (held back by hold.ts while a surrogate may be cut between
 * them), announcements name the tool a call's pieces go to, endings send whatever is held, any
 * other event holding a surrogate is restored as a JSON document (json.ts). Framing-free: an
 * adapter (sse-events.ts; a WebSocket frame adapter would hand over one event's data per frame)
 * says where each event and its data lie in a batch of text.
 *
 * ```ts
 * const events = new EventRestore({ values, dialect: indexDialect(responsesDialect), inPlace });
 * events.begin(text);
 * const replacement = events.event({ start: a, end: b, data: dataStart, name: () => "" });
 * events.finish(); // at the end of the stream: everything still held
 * ```
 */
import { partialStart, stringEnd, type Values } from "./spans.ts";
import { deltaSpot, restoreJson } from "./json.ts";
import { HoldBack, type HoldBackOptions, type Part } from "./hold.ts";
import type { Announcement, DialectIndex, IndexedDelta } from "./dialect.ts";
import { SURROGATE_PREFIX } from "../surrogate.ts";

/** The JSON data's first field, when it is `type` (as both OpenAI and Anthropic send it). */
export const TYPE_FIRST = '{"type":"';

/** One delta part: which event type and item it follows. */
interface DeltaPart extends Part {
  readonly type: string;
  readonly itemId: string;
  /** `"<item field>":"<id>"`, to recognise the part's next delta without a lookup ("" if none). */
  readonly needle: string;
}

/** Where one event lies in the current batch of text. */
export interface EventAt {
  /** The event is text[start, end); its data payload starts at `data`. */
  start: number;
  end: number;
  data: number;
  /** The framing's name for the event (SSE `event:`), read only when the data has no `type`. */
  name: () => string | undefined;
}

export interface EventRestoreOptions {
  values: Values;
  dialect: DialectIndex;
  inPlace: HoldBackOptions["inPlace"];
}

export class EventRestore {
  readonly #values: Values;
  readonly #dialect: DialectIndex;
  readonly #hold: HoldBack<DeltaPart>;
  /**
   * The part of the last tool-input delta: a tool call streams as a run of deltas of one item,
   * whose next piece is then found without a lookup.
   */
  #last: DeltaPart | undefined;
  /** Tool names of calls by item id, from announcements. */
  readonly #toolNames = new Map<string, string>();
  #text = "";
  #nextToken = -1;
  #entriesType = "";
  #entries: readonly IndexedDelta[] = [];
  /** The type of the last delta event recognised by the start of its data. */
  lastDeltaType: string | undefined;

  constructor(options: EventRestoreOptions) {
    this.#values = options.values;
    this.#dialect = options.dialect;
    this.#hold = new HoldBack<DeltaPart>({ values: options.values, inPlace: options.inPlace });
  }

  /** Starts a batch of text holding complete events. */
  begin(text: string): void {
    this.#text = text;
    this.#hold.batch++;
    this.#nextToken = text.indexOf(SURROGATE_PREFIX);
  }

  /** Ends the batch (the text is let go). */
  end(): void {
    this.#text = "";
  }

  /** Everything still held, as it came; call at the end of the stream. */
  finish(): string {
    return this.#flush(() => true);
  }

  /** What replaces the event, or undefined when it goes out as it came. */
  event(at: EventAt): string | undefined {
    const text = this.#text;
    const { start: a, end: b, data } = at;
    // The data may go on over more `data:` lines: JSON strings never span lines, and the line
    // prefixes between them are not JSON syntax, so the whole rest of the event is read as one.
    const known = text.startsWith(TYPE_FIRST, data)
      ? this.#dialect.deltaTypeAt(text, data + TYPE_FIRST.length)
      : undefined;
    if (known !== undefined) {
      this.lastDeltaType = known;
      return this.delta(at, known, data + TYPE_FIRST.length + known.length + 1);
    }
    const type = this.#typeOf(at);
    if (this.#dialect.deltas.has(type)) return this.delta(at, type, data);

    let flushed = "";
    if (this.#hold.size > 0) {
      const ending = this.#dialect.endings.has(type) || this.#isFinal(data);
      flushed = this.#flush((part) => ending || includesId(text, a, b, part.itemId));
    }
    const announcement = this.#dialect.announcements.get(type);
    if (announcement) this.#noteTool(data, b, announcement);
    const restored = this.#hasToken(a, b)
      ? restoreJson({
        text,
        from: data,
        to: b,
        eventType: type,
        values: this.#values,
        dialect: this.#dialect,
        toolName: this.#toolName,
      })
      : undefined;
    if (restored === undefined) return flushed ? flushed + text.slice(a, b) : undefined;
    return flushed + text.slice(a, data) + restored;
  }

  /** A delta event of `type`; its piece's field is after `fieldsFrom`. */
  delta(at: EventAt, type: string, fieldsFrom: number): string | undefined {
    const text = this.#text;
    const { start: a, end: b, data: start } = at;
    // The first of the type's entries whose field is in the event (most types have one).
    const entries = this.#entriesOf(type);
    let delta = entries[0];
    let field = text.indexOf(delta.needle, fieldsFrom);
    for (let i = 1; (field < 0 || field >= b) && i < entries.length; i++) {
      delta = entries[i];
      field = text.indexOf(delta.needle, fieldsFrom);
    }
    if (field < 0 || field >= b) return undefined;
    const from = field + delta.needle.length;
    const to = stringEnd(text, from, b);
    const hold = this.#hold;
    // A tool input's literal context must follow every piece of it.
    const literal = delta.literal && !this.#values.keepsTools;
    const next = this.#nextToken;
    const hasToken = next >= from ? next < to : next >= 0 && this.#hasToken(from, to);
    // Without the prefix in it, a delta can only end in a start of it ("f" to "ficta").
    const mayHold = (hasToken || endsLikePrefix(text.charCodeAt(to - 1))) &&
      partialStart(text, from, to, true) < to;
    const quiet = !hasToken && !mayHold;
    if (quiet) {
      if (!literal && hold.holding === 0) return undefined;
      // The next piece of the last tool input (when the item id comes before the piece).
      const last = this.#last;
      if (
        last !== undefined && last.held === "" && last.type === type && last.needle !== "" &&
        text.lastIndexOf(last.needle, field) >= start
      ) {
        hold.skip(last, text.slice(from, to));
        return undefined;
      }
    }
    const part = this.#partOf(text.slice(start, b), delta, literal || !quiet);
    if (part === undefined) return undefined;
    if (part.held === "" && quiet) {
      hold.skip(part, text.slice(from, to));
      return undefined;
    }
    return hold.piece(part, { text, start: a, end: b, from, to });
  }

  /** The delta entries of `type` (the last type's kept: deltas come in runs of one type). */
  #entriesOf(type: string): readonly IndexedDelta[] {
    if (type !== this.#entriesType) {
      this.#entriesType = type;
      this.#entries = this.#dialect.deltas.get(type)!;
    }
    return this.#entries;
  }

  /** The part a delta belongs to; opened when `open` (something to restore, hold or feed). */
  #partOf(data: string, delta: IndexedDelta, open: boolean): DeltaPart | undefined {
    const last = this.#last;
    if (last?.type === delta.type && last.needle !== "" && data.includes(last.needle)) return last;
    let itemId = "";
    let quoted = false;
    let itemNeedle = "";
    for (const needle of delta.itemNeedles) {
      itemId = fieldText(data, needle);
      if (itemId === "") continue;
      quoted = lastQuoted;
      itemNeedle = needle;
      break;
    }
    const index = delta.partNeedle === "" ? "" : fieldText(data, delta.partNeedle);
    const key = itemId + "\0" + index + "\0" + delta.type;
    let part = this.#hold.get(key);
    if (!part) {
      if (!open) return undefined;
      const needle = quoted ? itemNeedle + '"' + itemId + '"' : "";
      const spot = deltaSpot(delta, this.#toolName(itemId), this.#dialect);
      part = this.#hold.add({
        key,
        type: delta.type,
        itemId,
        needle,
        spot,
        held: "",
        events: [],
        unfed: "",
      });
    }
    if (!delta.part && part.needle !== "" && data.includes(part.needle)) this.#last = part;
    return part;
  }

  #hasToken(from: number, to: number): boolean {
    if (this.#nextToken >= 0 && this.#nextToken < from) {
      this.#nextToken = this.#text.indexOf(SURROGATE_PREFIX, from);
    }
    return this.#nextToken >= 0 && this.#nextToken < to;
  }

  #isFinal(data: number): boolean {
    for (const final of this.#dialect.finals) if (this.#text.startsWith(final, data)) return true;
    return false;
  }

  #flush(chosen: (part: DeltaPart) => boolean): string {
    const out = this.#hold.flush(chosen);
    if (this.#last && !this.#hold.has(this.#last)) this.#last = undefined;
    return out;
  }

  /** The event's type as the agent reads it: the data's `type`, else the framing's name. */
  #typeOf(at: EventAt): string {
    const text = this.#text;
    const { end: b, data: start } = at;
    if (text.startsWith(TYPE_FIRST, start)) {
      const from = start + TYPE_FIRST.length;
      return text.slice(from, stringEnd(text, from, b));
    }
    if (text.charCodeAt(start) === 0x7b) {
      try {
        const type = JSON.parse(text.slice(start, lineEnd(text, start)))?.type;
        if (typeof type === "string") return type;
      } catch {
        // Data over several lines, or not JSON: the framing's name says it.
      }
    }
    return at.name() ?? "";
  }

  /** Remembers the tool an announced call is to, by the id its deltas carry. */
  #noteTool(start: number, end: number, announcement: Announcement): void {
    const data = this.#text.slice(start, end);
    if (!this.#dialect.announced.some((quoted) => data.includes(quoted))) return;
    try {
      const event = JSON.parse(data);
      if (!announcement.types.includes(at(event, announcement.type) as string)) return;
      const id = at(event, announcement.id);
      const name = at(event, announcement.name);
      if ((typeof id === "string" || typeof id === "number") && typeof name === "string") {
        this.#toolNames.set(String(id), name);
      }
    } catch {
      // A malformed announcement leaves the tool's input as plain text.
    }
  }

  readonly #toolName = (itemId: string): string => this.#toolNames.get(itemId) ?? "";
}

/** The value at a dotted `path` in a parsed JSON value. */
function at(value: unknown, path: string): unknown {
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Whether `c` is a letter the starts of the prefix, "f" to "ficta", end with. */
function endsLikePrefix(c: number): boolean {
  return c === 0x66 || c === 0x69 || c === 0x63 || c === 0x74 || c === 0x61;
}

function includesId(text: string, a: number, b: number, itemId: string): boolean {
  return itemId !== "" && text.slice(a, b).includes('"' + itemId + '"');
}

/** Whether the last field `fieldText` read was a string. */
let lastQuoted = false;

/**
 * The value of a scalar field of `data` (`needle`: its quoted name and colon) as written: a
 * string's body (escapes kept) or a number's text; "" when absent.
 */
function fieldText(data: string, needle: string): string {
  const at = data.indexOf(needle);
  lastQuoted = false;
  if (at < 0) return "";
  let from = at + needle.length;
  if (data.charCodeAt(from) === 0x22) {
    lastQuoted = true;
    from++;
    return data.slice(from, stringEnd(data, from, data.length));
  }
  let to = from;
  while (to < data.length && data.charCodeAt(to) !== 0x2c && data.charCodeAt(to) !== 0x7d) to++;
  return data.slice(from, to).trim();
}

/** End of the line holding offset `from` (where its CR LF or LF starts). */
function lineEnd(text: string, from: number): number {
  const nl = text.indexOf("\n", from);
  const end = nl < 0 ? text.length : nl;
  return end > from && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
}
