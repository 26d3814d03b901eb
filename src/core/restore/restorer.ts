/**
 * Restore: surrogates in the model's answers turned back into the real values, locally, so the
 * agent edits files and runs commands as usual. A streaming transform over bytes for SSE, JSON
 * and text answers. Bytes without surrogates pass through untouched.
 *
 * Each value is spelled for where it lands: raw in text, escaped once in a JSON string, twice in
 * a tool call's JSON input (JSON in a JSON string), quoted for the shell, a JavaScript literal or
 * a patch where the dialect says a tool input is written in one (see dialect.ts, json.ts,
 * literals.ts, shell-words.ts).
 *
 * Limits, by design or known:
 * - JSON answers are buffered whole (where a string sits decides its spelling); SSE goes out
 *   event by event; text holds back at most the 27 bytes that could start a surrogate.
 * - A delta event whose end could start a surrogate waits for its part's next delta (one token).
 * - In a network chunk where something was restored, invalid UTF-8 (which model APIs never send)
 *   would come out as U+FFFD; chunks with nothing to restore (a false start of a surrogate
 *   included) keep their exact bytes.
 * - SSE with CR-only line ends is not split into events (no known server sends it).
 * - Quoting follows the syntax around the surrogate, not what runs inside it: a value in a
 *   `python -c "..."` program is quoted for the shell only; in a JavaScript tool input a command
 *   string passed on to a shell tool gets JavaScript escaping, not shell quoting; a patch written
 *   through a shell here-document gets no line markers; JavaScript regular expression literals
 *   are not recognised. In comments a value is escaped so the code stays intact.
 */
import { firstEventEnd, lastEventEnd, looksLikeSse } from "./sse.ts";
import { applyEdits, SseRestore } from "./sse-events.ts";
import { restoreJson } from "./json.ts";
import { type DialectIndex, indexDialect } from "./dialect.ts";
import {
  Landing,
  lastTokenEnd,
  MAX_PARTIAL,
  partialStart,
  type RestoreOptions,
  restoreSpan,
  Values,
} from "./spans.ts";
import { SURROGATE_LENGTH, SURROGATE_PREFIX } from "../surrogate.ts";
import type { ResponseOptions, Restorer } from "../types.ts";

export type { RestoreOptions } from "./spans.ts";

/** What a body is, for restoring it: `sniff` (no type: told by its first bytes), `opaque` (passed through). */
export type BodyKind = "sse" | "json" | "text" | "sniff" | "opaque";

export interface RestorerOptions extends RestoreOptions, ResponseOptions {}

/** Receives bytes for one response and passes on what is ready. */
interface Sink {
  push(chunk: Uint8Array, emit: Emit): void;
  end(emit: Emit): void;
}
type Emit = (bytes: Uint8Array) => void;

/** What every sink of one response shares. */
interface Context {
  values: Values;
  dialect: DialectIndex;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const NO_TOOL_TEXT = { landing: Landing.Raw, tool: false } as const;

/** A streaming restore for one response. Opaque (binary) content types pass through as they are. */
export function createRestorer(options: RestorerOptions): Restorer {
  const values = new Values(options);
  const kind = bodyKind(options.contentType);
  if (kind === "opaque") return { stream: new TransformStream(), stats: values.stats };
  const context = { values, dialect: indexDialect(options.dialect) };
  const sink: Sink = kind === "sniff" ? new SniffSink(context) : sinkFor(kind, context);
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      sink.push(chunk, (bytes) => bytes.length > 0 && controller.enqueue(bytes));
    },
    flush(controller) {
      sink.end((bytes) => bytes.length > 0 && controller.enqueue(bytes));
    },
  });
  return { stream, stats: values.stats };
}

/** Text types whose name says nothing of text: restored as plain text. */
const TEXT_TYPES = new Set([
  "application/xml",
  "application/javascript",
  "application/x-www-form-urlencoded",
]);

/**
 * What a response body is, by its `content-type`: the one decision of which answers are
 * restored (the proxy decodes exactly these). SSE; JSON (`*json*`); text (`text/*`, `*+xml`,
 * XML, JavaScript, form data); `sniff` when there is no type; anything else is opaque.
 */
export function bodyKind(contentType: string | null): BodyKind {
  if (contentType === null) return "sniff";
  const type = contentType.split(";", 1)[0].trim().toLowerCase();
  if (type === "") return "sniff";
  if (type === "text/event-stream") return "sse";
  if (type.includes("json")) return "json";
  if (type.startsWith("text/") || type.endsWith("+xml") || TEXT_TYPES.has(type)) return "text";
  return "opaque";
}

/**
 * Whether a response of this `content-type` is restored (so a proxy must decode its content
 * coding first); false means its bytes pass through untouched.
 *
 * ```ts
 * if (restore && isRestorable(upstream.headers.get("content-type"))) { ...decode, then pipe through engine.restorer(...) }
 * ```
 */
export function isRestorable(contentType: string | null): boolean {
  return bodyKind(contentType) !== "opaque";
}

/** Whole JSON answers announce no tool calls beforehand: their items carry their own names. */
export function noToolNames(): string {
  return "";
}

function sinkFor(kind: "sse" | "json" | "text", context: Context): Sink {
  if (kind === "sse") return new SseSink(context);
  if (kind === "json") return new JsonSink(context);
  return new TextSink(context.values);
}

/** Whole events, restored, with what is still held flushed at the end. */
export function restoreSseText(text: string, sse: SseRestore): string {
  let out = sse.events(text) ?? text;
  const held = sse.finish();
  if (held !== "") {
    if (out !== "" && !/\n\r?\n$/.test(out)) out += "\n\n";
    out += held;
  }
  return out;
}

/** SSE: bytes are cut at the last blank line; complete events go through SseRestore. */
class SseSink implements Sink {
  readonly #sse: SseRestore;
  #pending: Uint8Array[] = [];
  #last1 = -1;
  #last2 = -1;

  constructor(context: Context) {
    this.#sse = new SseRestore(context);
  }

  push(chunk: Uint8Array, emit: Emit): void {
    const end = lastEventEnd(chunk, this.#last1, this.#last2);
    const pending = this.#pending;
    // The event begun in earlier chunks ends first, apart: the rest of the chunk is decoded
    // where it lies, not copied behind the held bytes.
    const first = end > 0 && pending.length > 0
      ? firstEventEnd(chunk, this.#last1, this.#last2)
      : 0;
    if (chunk.length >= 2) {
      this.#last1 = chunk[chunk.length - 1];
      this.#last2 = chunk[chunk.length - 2];
    } else if (chunk.length === 1) {
      this.#last2 = this.#last1;
      this.#last1 = chunk[0];
    }
    if (end === 0) {
      if (chunk.length > 0) this.#pending.push(chunk);
      return;
    }
    this.#pending = end < chunk.length ? [chunk.subarray(end)] : [];
    if (first > 0) this.#restore(concat([...pending, chunk.subarray(0, first)]), emit);
    if (end > first) this.#restore(chunk.subarray(first, end), emit);
  }

  /** Complete events, restored, or as they came if nothing changed. */
  #restore(bytes: Uint8Array, emit: Emit): void {
    const text = decoder.decode(bytes);
    const edits = this.#sse.edits(text);
    emit(edits === undefined ? bytes : encoder.encode(applyEdits(text, edits)));
  }

  end(emit: Emit): void {
    const rest = concat(this.#pending);
    this.#pending = [];
    const text = decoder.decode(rest);
    const restored = restoreSseText(text, this.#sse);
    if (restored !== text) emit(encoder.encode(restored));
    else if (rest.length > 0) emit(rest);
  }
}

/** JSON: the whole body is needed to know where each string lands; untouched if no surrogate. */
class JsonSink implements Sink {
  readonly #context: Context;
  #chunks: Uint8Array[] = [];

  constructor(context: Context) {
    this.#context = context;
  }

  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
  }

  end(emit: Emit): void {
    const body = concat(this.#chunks);
    this.#chunks = [];
    const text = decoder.decode(body);
    const restored = restoreJson({
      text,
      from: 0,
      to: text.length,
      eventType: "",
      ...this.#context,
      toolName: noToolNames,
    });
    if (restored !== undefined) emit(encoder.encode(restored));
    else if (body.length > 0) emit(body);
  }
}

const F = 0x66;
const PREFIX_BYTES = encoder.encode(SURROGATE_PREFIX);

/** Plain text: raw values; only a possible start of a surrogate is held at a chunk's end. */
class TextSink implements Sink {
  readonly #values: Values;
  #held: Uint8Array = new Uint8Array(0);

  constructor(values: Values) {
    this.#values = values;
  }

  push(chunk: Uint8Array, emit: Emit): void {
    const bytes = this.#held.length > 0 ? concat([this.#held, chunk]) : chunk;
    const cut = this.#cut(bytes);
    this.#held = bytes.slice(cut);
    if (cut > 0) this.#emitRestored(bytes.subarray(0, cut), emit);
  }

  end(emit: Emit): void {
    if (this.#held.length > 0) this.#emitRestored(this.#held, emit);
    this.#held = new Uint8Array(0);
  }

  /** Where the text that might still become a surrogate starts (surrogates are ASCII). */
  #cut(bytes: Uint8Array): number {
    if (bytes.indexOf(F, Math.max(0, bytes.length - MAX_PARTIAL)) < 0) return bytes.length;
    // Wide enough that a whole token reaching into the last MAX_PARTIAL bytes lies inside it.
    const from = Math.max(0, bytes.length - MAX_PARTIAL - SURROGATE_LENGTH);
    const tail = String.fromCharCode(...bytes.subarray(from));
    const start = partialStart(tail, lastTokenEnd(tail, 0, tail.length, false), tail.length, false);
    return from + start;
  }

  #emitRestored(bytes: Uint8Array, emit: Emit): void {
    if (!containsPrefix(bytes)) return emit(bytes);
    const text = decoder.decode(bytes);
    const restored = restoreSpan(text, 0, text.length, NO_TOOL_TEXT, this.#values);
    emit(restored === text ? bytes : encoder.encode(restored));
  }
}

/** Decides SSE, JSON or text from the first bytes of a response without a content type. */
class SniffSink implements Sink {
  readonly #context: Context;
  #head: Uint8Array[] = [];
  #sink: Sink | undefined;

  constructor(context: Context) {
    this.#context = context;
  }

  push(chunk: Uint8Array, emit: Emit): void {
    if (this.#sink) return this.#sink.push(chunk, emit);
    this.#head.push(chunk);
    this.#decide(false, emit);
  }

  end(emit: Emit): void {
    if (!this.#sink) this.#decide(true, emit);
    this.#sink?.end(emit);
  }

  #decide(complete: boolean, emit: Emit): void {
    const head = concat(this.#head);
    const sse = looksLikeSse(head, complete);
    if (sse === undefined) return;
    let kind: "sse" | "json" | "text" = "sse";
    if (!sse) {
      const first = head.find((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
      kind = first === 0x7b || first === 0x5b ? "json" : "text";
    }
    this.#sink = sinkFor(kind, this.#context);
    this.#head = [];
    if (head.length > 0) this.#sink.push(head, emit);
  }
}

function containsPrefix(bytes: Uint8Array): boolean {
  for (let i = bytes.indexOf(F); i >= 0; i = bytes.indexOf(F, i + 1)) {
    let k = 1;
    while (k < PREFIX_BYTES.length && bytes[i + k] === PREFIX_BYTES[k]) k++;
    if (k === PREFIX_BYTES.length) return true;
  }
  return false;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
