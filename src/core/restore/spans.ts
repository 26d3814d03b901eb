/**
 * Surrogates in a span of text: finding them (whole, or the start of one cut off at the end of
 * the span), and spelling the real value for where it lands. Counts every decision.
 */
import { SURROGATE_LENGTH, SURROGATE_PREFIX } from "../surrogate.ts";
export { stringEnd } from "../json-strings.ts";
import type { RestoreStats } from "../types.ts";

/** Follows the text fed so far and spells a value for the position right after it. */
export interface LiteralContext {
  feed(decoded: string): void;
  spell(value: string): string;
}

/** How a value must be spelled where a surrogate sits. */
export const enum Landing {
  /** Plain text: the raw value. */
  Raw,
  /** Inside a JSON string. */
  Json,
  /** Inside JSON text carried in a JSON string (function-call `arguments`). */
  Nested,
}

/** A landing spot: the spelling, and whether it is a tool input (the `none` policy applies). */
export interface Spot {
  landing: Landing;
  tool: boolean;
  /**
   * For tool inputs with a syntax of their own (shell, JavaScript, patch): the literal the value
   * lands in, fed with the decoded text before it.
   */
  literal?: LiteralContext;
}

export interface RestoreOptions {
  /** The real value of a surrogate this session knows, else undefined. */
  lookup: (surrogate: string) => string | undefined;
  /** `none`: surrogates inside tool-call arguments and custom tool inputs stay as they are. */
  restoreIntoTools: "all" | "none";
  /**
   * Told the text written for `surrogate` into a tool input's literal (shell, JavaScript, patch)
   * when it differs from the spelling, so the echo of the tool call maps back to that surrogate.
   */
  remember?: (written: string, surrogate: string) => void;
}

/** Longest text that can still grow into a surrogate. */
export const MAX_PARTIAL = SURROGATE_LENGTH - 1;

/** Lookups and spellings for one response, with its counts. */
export class Values {
  readonly stats: RestoreStats = { restored: 0, unknown: 0, keptInTools: 0 };
  readonly #lookup: (surrogate: string) => string | undefined;
  readonly #keepInTools: boolean;
  readonly #remember: ((written: string, surrogate: string) => void) | undefined;
  /** Spellings by landing and surrogate: a value usually recurs many times in one response. */
  readonly #spelled = new Map<string, string>();

  constructor(options: RestoreOptions) {
    this.#lookup = options.lookup;
    this.#keepInTools = options.restoreIntoTools === "none";
    this.#remember = options.remember;
  }

  get keepsTools(): boolean {
    return this.#keepInTools;
  }

  /** Whether `token` at `spot` would be replaced (counts nothing). */
  changes(token: string, spot: Spot): boolean {
    return !(spot.tool && this.#keepInTools) && this.#lookup(token) !== undefined;
  }

  /** The spelling that replaces `token` at `spot`, or undefined to leave the token as it is. */
  replacement(token: string, spot: Spot): string | undefined {
    const value = this.#lookup(token);
    if (value === undefined) {
      this.stats.unknown++;
      return undefined;
    }
    if (spot.tool && this.#keepInTools) {
      this.stats.keptInTools++;
      return undefined;
    }
    this.stats.restored++;
    if (spot.literal) {
      const spelled = spot.literal.spell(value);
      // Mostly the value needs no quoting where it lands: its usual spelling is cached.
      if (spelled !== value) {
        this.#remember?.(spelled, token);
        return this.#spell(spelled, spot.landing);
      }
    }
    // A spelling copied as is into a tool input can read like another one quoted by ficta.
    if (spot.tool && this.#remember && QUOTABLE.test(value)) this.#remember(value, token);
    const key = spot.landing + token;
    let spelled = this.#spelled.get(key);
    if (spelled === undefined) this.#spelled.set(key, spelled = this.#spell(value, spot.landing));
    return spelled;
  }

  #spell(text: string, landing: Landing): string {
    switch (landing) {
      case Landing.Raw:
        return text;
      case Landing.Json:
        return jsonBody(text);
      case Landing.Nested:
        return jsonBody(jsonBody(text));
    }
  }
}

/** What some shell, JavaScript or patch context quotes: text holding it has look-alikes. */
const QUOTABLE = /[\\'"`$\n\r]/;

function jsonBody(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

function isBase62(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/**
 * Whether text at `i` (where "ficta_" starts) is escaped in a JSON string: preceded by an odd
 * run of backslashes (`\f` is a form feed) or inside a `\uXXXX` escape.
 */
function escapedAt(text: string, i: number, from: number): boolean {
  let k = i - 1;
  while (k >= from && text.charCodeAt(k) === 0x5c) k--;
  if ((i - 1 - k) % 2 === 1) return true;
  for (let back = 1; back <= 3 && i - back - 1 >= from; back++) {
    const u = i - back;
    if (text.charCodeAt(u) === 0x75 && text.charCodeAt(u - 1) === 0x5c) {
      return !escapedAt(text, u - 1, from);
    }
    if (!isHex(text.charCodeAt(u))) return false;
  }
  return false;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Start of the next whole surrogate-shaped token in text[from, to), or -1. */
export function nextToken(text: string, from: number, to: number, json: boolean): number {
  let i = text.indexOf(SURROGATE_PREFIX, from);
  while (i >= 0 && i + SURROGATE_LENGTH <= to) {
    let body = i + SURROGATE_PREFIX.length;
    const end = i + SURROGATE_LENGTH;
    while (body < end && isBase62(text.charCodeAt(body))) body++;
    if (body === end && !(json && escapedAt(text, i, from))) return i;
    i = text.indexOf(SURROGATE_PREFIX, i + 1);
  }
  return -1;
}

/**
 * Start of the text at the end of text[from, to) that could still be the beginning of a
 * surrogate (to hold it back until more arrives), or `to` when there is none. `from` must not be
 * inside a whole token.
 */
export function partialStart(text: string, from: number, to: number, json: boolean): number {
  for (let p = Math.max(from, to - MAX_PARTIAL); p < to; p++) {
    if (text.charCodeAt(p) !== 0x66 || !isPrefix(text, p, to)) continue;
    if (!(json && escapedAt(text, p, 0))) return p;
  }
  return to;
}

function isPrefix(text: string, p: number, to: number): boolean {
  const n = to - p;
  for (let k = 1; k < n; k++) {
    const c = text.charCodeAt(p + k);
    if (k < SURROGATE_PREFIX.length ? c !== SURROGATE_PREFIX.charCodeAt(k) : !isBase62(c)) {
      return false;
    }
  }
  return n > 0 && n < SURROGATE_LENGTH;
}

/** End of the last whole surrogate-shaped token in text[from, to), or `from` when none. */
export function lastTokenEnd(text: string, from: number, to: number, json: boolean): number {
  let end = from;
  for (let i = nextToken(text, from, to, json); i >= 0; i = nextToken(text, end, to, json)) {
    end = i + SURROGATE_LENGTH;
  }
  return end;
}

/**
 * text[from, to) with every known surrogate replaced for `spot`. A literal context is fed the
 * decoded text up to `to` (JSON-decoded when `landing` is not raw).
 */
export function restoreSpan(
  text: string,
  from: number,
  to: number,
  spot: Spot,
  values: Values,
): string {
  const json = spot.landing !== Landing.Raw;
  const literal = values.keepsTools && spot.tool ? undefined : spot.literal;
  let out = "";
  let copied = from;
  let fed = from;
  // Where the last prefix in the span starts: looking for one past it would search on through
  // the rest of the text.
  const last = text.lastIndexOf(SURROGATE_PREFIX, to - SURROGATE_LENGTH);
  for (
    let i = last >= from ? nextToken(text, from, to, json) : -1;
    i >= 0;
    i = i <= last ? nextToken(text, i, to, json) : -1
  ) {
    const end = i + SURROGATE_LENGTH;
    if (literal) {
      literal.feed(json ? decodedJson(text.slice(fed, i)) : text.slice(fed, i));
      fed = i;
    }
    const replacement = values.replacement(text.slice(i, end), spot);
    if (replacement !== undefined) {
      out += text.slice(copied, i) + replacement;
      copied = end;
    }
    i = end;
  }
  if (literal) literal.feed(json ? decodedJson(text.slice(fed, to)) : text.slice(fed, to));
  return copied === from ? text.slice(from, to) : out + text.slice(copied, to);
}

/** The text a span of JSON string body stands for (spans never cut an escape). */
export function decodedJson(span: string): string {
  if (span.indexOf("\\") < 0) return span;
  try {
    return JSON.parse('"' + span + '"');
  } catch {
    return span;
  }
}
