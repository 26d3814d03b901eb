/**
 * Every spelling a protected value can take on the wire. A value leaves the machine raw, inside
 * a JSON string (escaped by whichever serializer produced it), inside JSON carried in a JSON string
 * (tool `arguments`), percent-encoded in a URL or form, (optionally) base64/hex encoded inside a
 * longer blob, or quoted the way ficta and ordinary shells write it. Each form is matched
 * literally; which spelling (hence which surrogate) it stands for depends on how many transport
 * JSON layers it sits under (see docs/round-trip.md).
 */

/** Values shorter than this (in characters) get no base64/hex forms: too short to be specific. */
export const ENCODED_MIN_LENGTH = 12;

const encoder = new TextEncoder();

/**
 * How one JSON serializer escapes a string. The styles below are the ones real tools produce:
 * JavaScript/Rust (serde) minimal escaping, PHP's `\/`, Python's `ensure_ascii`, Go's HTML-safe
 * escaping, .NET's default encoder, and the all-`\u` spelling some hand-rolled encoders use.
 */
interface JsonStyle {
  /** `/` as `\/`. */
  slash?: boolean;
  /** Non-ASCII as `\uXXXX` (UTF-16 code units) instead of raw UTF-8. */
  asciiOnly?: boolean;
  /** `\uXXXX` with upper-case hex digits. */
  upperHex?: boolean;
  /** `<`, `>`, `&`, U+2028, U+2029 as `\u` escapes (Go). */
  html?: boolean;
  /** .NET's default encoder: also `"`, `'`, `+` and backtick as `\u` escapes. */
  dotnet?: boolean;
  /** Quote, backslash and every control character as `\u` escapes, never the short forms. */
  allUnicode?: boolean;
}

const SLASH: JsonStyle = { slash: true };
/** PHP's default `json_encode`: `\/` and `\u00XX` together. */
const PHP: JsonStyle = { slash: true, asciiOnly: true };
const ASCII_LOWER: JsonStyle = { asciiOnly: true };
const ASCII_UPPER: JsonStyle = { asciiOnly: true, upperHex: true };
const GO: JsonStyle = { html: true };
const DOTNET: JsonStyle = { html: true, dotnet: true, asciiOnly: true, upperHex: true };
const ALL_UNICODE_LOWER: JsonStyle = { allUnicode: true, asciiOnly: true };
const ALL_UNICODE_UPPER: JsonStyle = { allUnicode: true, asciiOnly: true, upperHex: true };

/** `\u00XX` for the first 256 code units (controls, quotes, HTML), lower and upper case. */
const U_LOWER = Array.from({ length: 256 }, (_, c) => "\\u" + c.toString(16).padStart(4, "0"));
const U_UPPER = U_LOWER.map((escape) => "\\u" + escape.slice(2).toUpperCase());

function unicodeEscape(code: number, upper: boolean | undefined): string {
  if (code < 256) return upper ? U_UPPER[code] : U_LOWER[code];
  const hex = code.toString(16).padStart(4, "0");
  return "\\u" + (upper ? hex.toUpperCase() : hex);
}

/** Every code unit some style escapes: controls, quote, backslash, slash, HTML, non-ASCII. */
// deno-lint-ignore no-control-regex -- control characters are exactly what JSON escapes
const ESCAPABLE = /[\x00-\x1f"\\/<>&'+`\u007f-\uffff]/;
const SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: "\\\\",
  0x08: "\\b",
  0x0c: "\\f",
  0x0a: "\\n",
  0x0d: "\\r",
  0x09: "\\t",
};

/** How `style` spells each ASCII code unit: its escape, or undefined where it stays as is. */
function asciiEscapes(style: JsonStyle): (string | undefined)[] {
  return Array.from({ length: 128 }, (_, c) => {
    if (c < 0x20 || c === 0x22 || c === 0x5c) {
      const unicode = style.allUnicode || (style.dotnet && c === 0x22) || !SHORT_ESCAPES[c];
      return unicode ? unicodeEscape(c, style.upperHex) : SHORT_ESCAPES[c];
    }
    if (c === 0x2f) return style.slash ? "\\/" : undefined;
    if (c === 0x3c || c === 0x3e || c === 0x26) {
      return style.html ? unicodeEscape(c, style.upperHex) : undefined;
    }
    if (c === 0x27 || c === 0x2b || c === 0x60) {
      return style.dotnet ? unicodeEscape(c, style.upperHex) : undefined;
    }
    return undefined;
  });
}
const ESCAPES = new Map<JsonStyle, (string | undefined)[]>(
  [SLASH, PHP, ASCII_LOWER, ASCII_UPPER, GO, DOTNET, ALL_UNICODE_LOWER, ALL_UNICODE_UPPER].map((
    style,
  ) => [style, asciiEscapes(style)]),
);

/**
 * The text between the quotes of a JSON string holding `s`, as serialized in `style`: the
 * standard style is exactly JSON.stringify's (well-formed: lone surrogates as `\u` escapes);
 * the others escape what it escapes plus what they treat differently, in one pass.
 */
export function jsonEscape(s: string, style?: JsonStyle): string {
  if (!ESCAPABLE.test(s)) return s;
  if (style === undefined) return JSON.stringify(s).slice(1, -1);
  const ascii = ESCAPES.get(style) ?? asciiEscapes(style);
  let out = "";
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let escape: string | undefined;
    if (c < 0x80) escape = ascii[c];
    else if (c >= 0xd800 && c <= 0xdfff) {
      // A valid pair stays raw unless the style is ASCII-only (then each half is escaped in
      // turn); a lone surrogate is always escaped, as JSON.stringify does.
      const pair = c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      if (pair && !style.asciiOnly) {
        i++;
        continue;
      }
      escape = unicodeEscape(c, style.upperHex);
    } else if (style.asciiOnly || (style.html && (c === 0x2028 || c === 0x2029))) {
      escape = unicodeEscape(c, style.upperHex);
    }
    if (escape !== undefined) {
      out += s.slice(from, i) + escape;
      from = i + 1;
    }
  }
  return out + s.slice(from);
}

const FORM_SAFE_TEXT = /^[A-Za-z0-9\-_.*]*$/;
/** What `encodeURIComponent` leaves and a form encoder escapes, plus the space it spells `+`. */
const FORM_DIFFERENCES = /[!'()~]|%20/;
/** An escape whose hex has a letter, i.e. one that lower-case hex spells differently. */
const HEX_LETTER_ESCAPE = /%(?:[A-F][0-9A-F]|[0-9][A-F])/;

/**
 * Percent-encodings as `encodeURIComponent`, a form encoder (`application/x-www-form-urlencoded`,
 * space as `+`) and `encodeURI` write them, each with upper- and lower-case hex.
 */
function percentForms(s: string): string[] {
  if (FORM_SAFE_TEXT.test(s)) return [s];
  let component: string;
  let uri: string;
  try {
    component = encodeURIComponent(s);
    uri = encodeURI(s);
  } catch {
    return []; // A lone surrogate has no UTF-8 bytes to encode: no URL can carry it.
  }
  const form = FORM_DIFFERENCES.test(component)
    ? component.replaceAll("%20", "+").replaceAll("!", "%21").replaceAll("'", "%27")
      .replaceAll("(", "%28").replaceAll(")", "%29").replaceAll("~", "%7E")
    : component;
  const upper = [...new Set([component, form, uri])];
  const lower = upper.filter((f) => HEX_LETTER_ESCAPE.test(f)).map(lowerHexEscapes);
  return [...upper, ...lower];
}

function lowerHexEscapes(encoded: string): string {
  let out = "";
  let from = 0;
  for (let at = encoded.indexOf("%"); at >= 0; at = encoded.indexOf("%", at + 3)) {
    out += encoded.slice(from, at + 1) + encoded.slice(at + 1, at + 3).toLowerCase();
    from = at + 3;
  }
  return out + encoded.slice(from);
}

/**
 * Base64 (standard and URL-safe) of the value's bytes at each of the three byte alignments, keeping
 * only the characters the value fully determines: whatever surrounds the value in a longer blob,
 * these characters appear verbatim in it. Then hex, lower and upper case.
 */
function encodedForms(s: string): string[] {
  const bytes = encoder.encode(s);
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    // `shift` filler bytes first; keep the sextets from the first one starting inside the value
    // to the last one ending inside it. (A copy: in JavaScriptCore a view costs more.)
    let shifted = bytes;
    if (shift > 0) {
      shifted = new Uint8Array(shift + bytes.length);
      shifted.set(bytes, shift);
    }
    const first = Math.ceil((8 * shift) / 6);
    const end = Math.floor((8 * shifted.length) / 6);
    out.push(
      shifted.toBase64().slice(first, end),
      shifted.toBase64({ alphabet: "base64url" }).slice(first, end),
    );
  }
  const hex = bytes.toHex();
  out.push(hex, hex.toUpperCase());
  return out;
}

/** What a string contains that some style escapes; most key-shaped values contain none. */
// deno-lint-ignore no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_SHORT = /[\x00-\x1f"\\]/;
const NEEDS_SLASH = /\//;
const NEEDS_HTML = /[<>&\u2028\u2029]/;
const NEEDS_DOTNET = /[<>&'+`"\u0080-\uffff]/;
const NON_ASCII = /[\u0080-\uffff]/;

/** The styles that spell `s` differently from the standard one (which always applies). */
function stylesFor(s: string): JsonStyle[] {
  const styles: JsonStyle[] = [];
  const short = NEEDS_SHORT.test(s);
  const ascii = NON_ASCII.test(s);
  if (NEEDS_SLASH.test(s)) styles.push(SLASH);
  if (ascii && NEEDS_SLASH.test(s)) styles.push(PHP);
  if (ascii) styles.push(ASCII_LOWER, ASCII_UPPER);
  if (NEEDS_HTML.test(s)) styles.push(GO);
  if (NEEDS_DOTNET.test(s)) styles.push(DOTNET);
  if (short || ascii) styles.push(ALL_UNICODE_LOWER, ALL_UNICODE_UPPER);
  return styles;
}

export interface FormOptions {
  /** Add base64 (standard and URL-safe, three alignments) and hex forms to values >= 12 chars. */
  encoded: boolean;
}

/** What some shell, JavaScript or patch literal escapes: text without it has no literal forms. */
const QUOTABLE = /[^A-Za-z0-9_@%+:./=-]/;

/** What standard JSON (JSON.stringify) escapes: controls, quote, backslash, lone surrogates. */
// deno-lint-ignore no-control-regex -- control characters are exactly what JSON escapes
const JSON_ESCAPED = /[\x00-\x1f"\\\ud800-\udfff]/;

/** A choice that holds at any transport depth (the form has no JSON-escapable character). */
export const ANY_DEPTH = -1;

/**
 * The spellings of one value and the wire forms that carry them. A *spelling* is text the model
 * may see in place of the value (the value itself, its dotenv quoting, a config file's JSON
 * escapes, a percent-encoding, a base64 or hex fragment): each gets its own surrogate and is
 * restored as exactly that text. A *form* is a spelling wrapped in `depth` layers of transport
 * JSON (the request body's strings, then tool-call `arguments` inside them), or a spelling as ficta
 * itself writes it when restoring into a shell, JavaScript or patch literal (which maps back to
 * the spelling it restored, so a tool call echoed next turn is replaced again).
 */
export interface ValueForms {
  /** Index 0: the value itself. */
  spellings: string[];
  /** Distinct wire texts; index 0: the value itself. */
  forms: string[];
  /**
   * Per form, flat (spelling index, transport depth) pairs in order of preference: which
   * spelling the form stands for depends on how many JSON layers the text sits under.
   */
  choices: number[][];
}

/**
 * The literal spellings of a text in tool inputs, by where they can occur: `printed` by tools
 * (a tool output, depth 1) or written by ficta into shell commands and patches (`arguments`,
 * depth 2); `written` only by ficta into `arguments`; `input` only into a custom tool's input.
 */
export interface LiteralSets {
  printed: string[];
  written: string[];
  input: string[];
}
export type LiteralSpellings = (s: string) => LiteralSets;
/** No literal forms up front (the engine then registers what restore writes as it writes it). */
export const NO_LITERALS: LiteralSpellings = () => ({ printed: [], written: [], input: [] });

/** Shared one-choice lists (most forms have one), never mutated: a copy is made to add one. */
const SINGLES: number[][] = [];
function single(spelling: number, depth: number): number[] {
  if (spelling >= 64) return [spelling, depth];
  const key = spelling * 8 + depth + 1;
  return SINGLES[key] ??= [spelling, depth];
}

/** Depths a spelling's forms are registered at: raw, in a JSON string, in JSON in a JSON string. */
const DEPTHS = 3;

/**
 * The spellings and forms of `value` and of its extra literal `spellings` (a dotenv line's
 * quoting). `literals` gives the restore-context spellings (kept out of this module so each
 * context's quoting has one definition, next to the lexer that uses it).
 */
export function valueForms(
  value: string,
  extra: readonly string[],
  options: FormOptions,
  literals: LiteralSpellings,
): ValueForms {
  // A value has a few dozen forms at most: a linear scan (which compares lengths first) dedupes
  // them for less than hashing each into a Map.
  const spellings: string[] = [];
  const forms: string[] = [];
  const choices: number[][] = [];
  const addForm = (form: string, spelling: number, depth: number) => {
    if (form === "") return;
    const at = forms.indexOf(form);
    if (at < 0) {
      forms.push(form);
      choices.push(single(spelling, depth));
    } else choices[at] = [...choices[at], spelling, depth];
  };
  const addSpelling = (text: string): number => {
    const at = spellings.indexOf(text);
    if (at >= 0) return at;
    spellings.push(text);
    return spellings.length - 1;
  };
  /** The spelling under 0..DEPTHS-1 layers of standard JSON (the agent's serializer). */
  const addTransported = (text: string, spelling: number, layers = DEPTHS) => {
    // Text JSON leaves alone reads the same at every depth: one form, any depth.
    if (!JSON_ESCAPED.test(text)) return addForm(text, spelling, ANY_DEPTH);
    let form = text;
    for (let depth = 0; depth < layers; depth++) {
      addForm(form, spelling, depth);
      form = jsonEscape(form);
    }
  };

  const texts = [value, ...extra];
  // Content spellings first, so that at equal depth a spelling wins over a restore context.
  const quoted: number[] = [];
  for (const text of texts) {
    const own = addSpelling(text);
    quoted.push(own);
    addTransported(text, own, text === value ? DEPTHS + 1 : DEPTHS);
    if (ESCAPABLE.test(text)) {
      // JSON escapes that belong to content (a config file read by `cat`), in each serializer's
      // style; a style's escapes one layer down are also how another client would send the text.
      for (const style of [undefined, ...stylesFor(text)]) {
        const escaped = jsonEscape(text, style);
        if (escaped === text) continue;
        const spelling = addSpelling(escaped);
        // A config file's JSON escapes are copied into commands like the value itself.
        if (style === undefined) quoted.push(spelling);
        // Another serializer's escapes under the agent's JSON or its own, one layer down (deeper
        // copies are what restore writes, registered as it writes them).
        addTransported(escaped, spelling, style === undefined ? DEPTHS : 2);
        if (style !== undefined) addForm(jsonEscape(escaped, style), spelling, 1);
      }
    }
    for (const form of percentForms(text)) {
      if (form !== text) addTransported(form, addSpelling(form));
    }
  }
  if (options.encoded && value.length >= ENCODED_MIN_LENGTH) {
    for (const form of encodedForms(value)) addTransported(form, addSpelling(form));
  }
  // What ficta writes when restoring these spellings into tool inputs, and what shells print.
  // In a tool call's arguments (depth 2 and more) only ficta can have written it: it stands for
  // the spelling restored there. Elsewhere (a tool's output) it is content: a spelling of its own.
  // The value's and its dotenv spellings' quoted forms are registered up front: tools print the
  // shell ones, and an earlier session's tool calls (resumed) hold the ones ficta wrote. Quoting
  // of other spellings, or quoting twice, only ficta writes this session: the engine registers
  // it when it restores (see `restoreSpellings` and the engine's `remember`).
  for (const spelling of literals === NO_LITERALS ? [] : quoted) {
    const text = spellings[spelling];
    if (!QUOTABLE.test(text)) continue;
    const { printed, written, input } = literals(text);
    for (const literal of printed) {
      if (literal === text) continue;
      // In a tool's output, a spelling of its own; in `arguments`, what ficta restored there.
      const once = jsonEscape(literal);
      addForm(jsonEscape(once), spelling, 2);
      const own = addSpelling(literal);
      addForm(once, own, 1);
      addForm(jsonEscape(once), own, 2);
    }
    for (const literal of written) {
      if (literal !== text) addForm(jsonEscape(jsonEscape(literal)), spelling, 2);
    }
    for (const literal of input) {
      if (literal !== text) addForm(jsonEscape(literal), addSpelling(literal), 1);
    }
  }
  return { spellings, forms, choices };
}

/**
 * Every distinct wire form of `value` and of its extra literal `spellings`, the raw value first
 * (for reports and tests: the engine uses `valueForms`).
 */
export function formsOf(
  value: string,
  spellings: readonly string[],
  options: FormOptions,
  literals: LiteralSpellings = NO_LITERALS,
): string[] {
  return valueForms(value, spellings, options, literals).forms;
}
