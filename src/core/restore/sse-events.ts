/**
 * The SSE framing adapter: cuts a batch of text into events (blank-line separated), finds each
 * one's data, and hands it to the dialect's event restore (events.ts). Events that need nothing
 * come back untouched (the caller keeps their bytes), so a stream without surrogates passes byte
 * for byte.
 *
 * ```ts
 * const sse = new SseRestore({ values, dialect: indexDialect(responsesDialect) });
 * const edits = sse.edits(text); // [start, end, replacement] per changed event, or undefined
 * const rest = sse.finish();     // at the end of the stream: events still held back
 * ```
 */
import { dataStart, eventName, nextEventEnd } from "./sse.ts";
import { type EventAt, EventRestore, TYPE_FIRST } from "./events.ts";
import type { HeldEvent } from "./hold.ts";
import type { DialectIndex } from "./dialect.ts";
import type { Values } from "./spans.ts";

const DATA_PREFIX = "data: ";

/** An event replaced: its start and end in the text, and what goes out instead. */
export type SseEdit = [start: number, end: number, replacement: string];

export interface SseRestoreOptions {
  values: Values;
  dialect: DialectIndex;
}

export class SseRestore {
  readonly #events: EventRestore;
  #text = "";
  /** The edits of the current text so far. */
  #edits: SseEdit[] = [];
  /** How batches are counted, to tell whether held events lie in the current one. */
  #batch = 0;
  /** How the data line of the last delta type recognised starts, and that type. */
  #deltaType: string | undefined;
  #deltaLine = "\0";
  /** Where the current event lies (one object, reused: events are handled one at a time). */
  readonly #at = new SseEventAt();

  constructor(options: SseRestoreOptions) {
    this.#events = new EventRestore({
      values: options.values,
      dialect: options.dialect,
      inPlace: (events, start) => this.#inPlace(events, start),
    });
  }

  /**
   * The changed events among the complete events in `text` (a trailing incomplete one is taken
   * as is), in order: [start, end, replacement], or undefined if none changed. Offsets index
   * `text`, so a caller holding its bytes can pass the rest on as they came.
   */
  edits(text: string): SseEdit[] | undefined {
    this.#text = text;
    this.#batch++;
    this.#events.begin(text);
    const events = this.#events;
    const edits: SseEdit[] = this.#edits = [];
    let pos = 0;
    while (pos < text.length) {
      let nl = text.indexOf("\n", pos);
      if (nl < 0) nl = text.length;
      let end = nextEventEnd(text, nl);
      if (end < 0) end = text.length;
      let replaced: string | undefined;
      // Most often: an `event:` line, then a data line of the same delta type as the last event.
      if (text.charCodeAt(pos) !== 0x64 && text.startsWith(this.#deltaLine, nl + 1)) {
        const at = this.#at.set(text, pos, end, nl + 1 + DATA_PREFIX.length);
        replaced = events.delta(at, this.#deltaType!, nl + 1 + this.#deltaLine.length);
      } else {
        replaced = this.#event(pos, end, nl);
      }
      if (replaced !== undefined) edits.push([pos, end, replaced]);
      pos = end;
    }
    events.end();
    this.#at.text = "";
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
    return this.#events.finish();
  }

  /** The event text[a, b), whose first line break is at `nl`. */
  #event(a: number, b: number, nl: number): string | undefined {
    const text = this.#text;
    const data = dataStart(text, a, b, nl);
    if (data < 0) return undefined;
    const replaced = this.#events.event(this.#at.set(text, a, b, data));
    const type = this.#events.lastDeltaType;
    if (type !== this.#deltaType) {
      this.#deltaType = type;
      this.#deltaLine = DATA_PREFIX + TYPE_FIRST + type + '"';
    }
    return replaced;
  }

  /**
   * Whether the held events, untouched, lie just before the event at `start` in the current
   * text, each dropped by an edit of its own: those edits are taken back, so the events go out
   * where they are (a false start of a surrogate then costs no rewrite).
   */
  #inPlace(events: readonly HeldEvent[], start: number): boolean {
    const edits = this.#edits;
    const first = edits.length - events.length;
    if (first < 0) return false;
    let next = start;
    for (let i = events.length - 1; i >= 0; i--) {
      const event = events[i];
      const edit = edits[first + i];
      if (
        !event.untouched || event.batch !== this.#batch || event.end !== next ||
        edit[0] !== event.start || edit[2] !== ""
      ) return false;
      next = event.start;
    }
    edits.length = first;
    return true;
  }
}

/** An SSE event's place in the text; its name is its `event:` field. */
class SseEventAt implements EventAt {
  text = "";
  start = 0;
  end = 0;
  data = 0;

  set(text: string, start: number, end: number, data: number): this {
    this.text = text;
    this.start = start;
    this.end = end;
    this.data = data;
    return this;
  }

  name(): string | undefined {
    return eventName(this.text, this.start);
  }
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
