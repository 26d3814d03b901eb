/**
 * Every spelling a protected value can take on the wire. A value leaves the machine raw, inside
 * a JSON string (escaped by whichever serializer produced it), inside JSON carried in a JSON string
 * (tool `arguments`), percent-encoded in a URL or form, or (optionally) base64/hex encoded inside a
 * longer blob. Each spelling returned here is matched literally and maps to the value's surrogate.
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
  [SLASH, ASCII_LOWER, ASCII_UPPER, GO, DOTNET, ALL_UNICODE_LOWER, ALL_UNICODE_UPPER].map((
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
  if (ascii) styles.push(ASCII_LOWER, ASCII_UPPER);
  if (NEEDS_HTML.test(s)) styles.push(GO);
  if (NEEDS_DOTNET.test(s)) styles.push(DOTNET);
  if (short || ascii) styles.push(ALL_UNICODE_LOWER, ALL_UNICODE_UPPER);
  return styles;
}

/**
 * JSON-escaped spellings of `s` that differ from it: one level in each style, two levels (the
 * outer one standard or in the same style), and three levels in the standard style.
 */
function jsonForms(s: string): string[] {
  if (!ESCAPABLE.test(s)) return [];
  const out: string[] = [];
  const once = JSON.stringify(s).slice(1, -1);
  if (once !== s) {
    const twice = JSON.stringify(once).slice(1, -1);
    out.push(once, twice, JSON.stringify(twice).slice(1, -1));
  }
  for (const style of stylesFor(s)) {
    const styled = jsonEscape(s, style);
    out.push(styled, jsonEscape(styled), jsonEscape(styled, style));
  }
  return out;
}

export interface FormOptions {
  /** Add base64 (standard and URL-safe, three alignments) and hex forms to values >= 12 chars. */
  encoded: boolean;
}

/**
 * Every distinct wire spelling of `value` and of its extra literal `spellings`, the raw value
 * first. All of them stand for the same value and get its surrogate.
 */
export function formsOf(
  value: string,
  spellings: readonly string[],
  options: FormOptions,
): string[] {
  // A value has a few dozen forms at most: a linear scan (which compares lengths first) dedupes
  // them for less than hashing every form into a Set.
  const forms: string[] = [];
  const add = (form: string) => {
    if (form !== "" && !forms.includes(form)) forms.push(form);
  };
  for (const text of [value, ...spellings]) {
    add(text);
    for (const form of jsonForms(text)) add(form);
    for (const form of percentForms(text)) add(form);
  }
  // Encoded forms of the value only: a spelling that contains the value verbatim is covered by
  // the value's own forms at some alignment, and a multi-line value's lines are values too.
  if (options.encoded && value.length >= ENCODED_MIN_LENGTH) {
    for (const form of encodedForms(value)) add(form);
  }
  return forms;
}
