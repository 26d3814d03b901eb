/**
 * The hold-back machine: the pieces of one part (one text cut into deltas) are restored as they
 * come, but a piece whose end could be the start of a surrogate is held back (its whole event)
 * until the part's next piece tells. If the next piece completes a surrogate, the held start
 * moves into it and is restored whole; if not, the held events go out as they came. It knows
 * only part keys, spots and events as text; which events are pieces of which part is the
 * dialect's business (events.ts), and where events start and end the framing's (sse-events.ts).
 *
 * ```ts
 * const hold = new HoldBack({ values, inPlace: () => false });
 * const part = hold.add({ key: "item_1\0" + "0", spot, held: "", events: [], unfed: "" });
 * hold.piece(part, { text, start, end, from, to }); // replacement, "" (held), or undefined
 * hold.flush(() => true); // at the end: everything held, as it came
 * ```
 */
import {
  decodedJson,
  lastTokenEnd,
  nextToken,
  partialStart,
  restoreSpan,
  type Spot,
  type Values,
} from "./spans.ts";
import { SURROGATE_LENGTH } from "../surrogate.ts";

/** A piece's event held back because its end could be the start of a surrogate. */
export interface HeldEvent {
  /** What to send if the held text turns out not to be a surrogate (its own bytes if untouched). */
  release: string;
  /** Whether `release` is the event as it came. */
  untouched: boolean;
  /** Where the event was: in which batch of text, and its offsets there (see `inPlace`). */
  batch: number;
  start: number;
  end: number;
  /** What to send if it is one: the event without the held text ("" drops the event). */
  truncated: string;
}

/** One part's stream of pieces. */
export interface Part {
  readonly key: string;
  readonly spot: Spot;
  /** The text (JSON string body) at the end of the held events that may become a surrogate. */
  held: string;
  events: HeldEvent[];
  /** Text sent on but not yet fed to the literal context, which needs it only when a surrogate comes. */
  unfed: string;
}

/** An event carrying one piece: the event is text[start, end), the piece text[from, to). */
export interface PieceEvent {
  text: string;
  start: number;
  end: number;
  from: number;
  to: number;
}

export interface HoldBackOptions {
  values: Values;
  /**
   * Whether the held events, untouched, can go out where they lie just before the event at
   * `start` (the framing takes back its own edits that dropped them). False: they are re-sent.
   */
  inPlace: (events: readonly HeldEvent[], start: number) => boolean;
}

export class HoldBack<P extends Part = Part> {
  readonly #values: Values;
  readonly #inPlace: HoldBackOptions["inPlace"];
  readonly #parts = new Map<string, P>();
  #holding = 0;
  /** Which batch of text the framing is in (events of one batch can stay in place). */
  batch = 0;

  constructor(options: HoldBackOptions) {
    this.#values = options.values;
    this.#inPlace = options.inPlace;
  }

  /** How many parts hold text now. */
  get holding(): number {
    return this.#holding;
  }

  /** How many parts are open. */
  get size(): number {
    return this.#parts.size;
  }

  get(key: string): P | undefined {
    return this.#parts.get(key);
  }

  /** Whether `part` is still open. */
  has(part: P): boolean {
    return this.#parts.get(part.key) === part;
  }

  add(part: P): P {
    this.#parts.set(part.key, part);
    return part;
  }

  /** Passes text that needs no restoring on to the part's literal context, lazily. */
  skip(part: P, text: string): void {
    if (part.spot.literal) part.unfed += text;
  }

  /**
   * The next piece of `part`: what to send for its event (with any held events before it), ""
   * while it is held, or undefined when the event goes out as it came.
   */
  piece(part: P, at: PieceEvent): string | undefined {
    const { text, start: a, end: b, from, to } = at;
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
          // The held text was the start of a surrogate: it moves into this piece, restored.
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
    const restored = this.#restore(part, at, own, delta);
    if (restored !== undefined) return out + restored;
    return out === "" ? undefined : out + text.slice(a, b);
  }

  /** The part's own text (`own`: its piece, or held text joined to it) restored; the rest held. */
  #restore(part: P, at: PieceEvent, own: string, delta: string): string | undefined {
    const { text, start: a, end: b, from, to } = at;
    const before = text.slice(a, from);
    const after = text.slice(to, b);
    const cut = partialStart(own, lastTokenEnd(own, 0, own.length, true), own.length, true);
    if (part.unfed !== "") {
      part.spot.literal?.feed(decodedJson(part.unfed));
      part.unfed = "";
    }
    const restored = restoreSpan(own, 0, cut, part.spot, this.#values);
    const untouched = own === delta && restored === (cut === own.length ? own : own.slice(0, cut));
    if (cut < own.length) {
      part.held = own.slice(cut);
      const release = untouched ? text.slice(a, b) : before + restored + part.held + after;
      const truncated = restored === "" ? "" : before + restored + after;
      part.events.push(this.#held(a, b, release, untouched, truncated));
      this.#holding++;
      return "";
    }
    if (untouched) return undefined;
    return before + restored + after;
  }

  /** The held events of the parts chosen, as they came; those parts end. */
  flush(chosen: (part: P) => boolean): string {
    let out = "";
    for (const [key, part] of this.#parts) {
      if (!chosen(part)) continue;
      if (part.held !== "") {
        out += part.events.map((e) => e.release).join("");
        this.#holding--;
      }
      this.#parts.delete(key);
    }
    return out;
  }

  #held(
    start: number,
    end: number,
    release: string,
    untouched: boolean,
    truncated: string,
  ): HeldEvent {
    return { release, untouched, batch: this.batch, start, end, truncated };
  }

  /** The part's held events as they came, to send before the event at `a`; the held text is for its literal context. */
  #release(part: P, a: number): string {
    if (part.spot.literal) part.unfed += part.held;
    if (this.#inPlace(part.events, a)) return "";
    return part.events.map((e) => e.release).join("");
  }
}
