/**
 * An independent leak checker for outgoing bytes: it knows nothing of the engine's form list.
 * It decodes what could carry a value (every JSON string, recursively, JSON text inside JSON
 * strings, shell quoting and backslash escapes, JavaScript and C escapes, patch line markers,
 * percent-escapes, base64 and hex runs) and searches every decoded view for each secret's raw
 * value and for each of its lines.
 *
 *   const leaks = findLeaks(body, [{ name: "API_KEY", value }]);
 *   expect(leaks).toEqual([]); // names and how they were found, never the value
 *
 * Reports carry names and the decoding path only, never a value.
 */

export interface LeakSecret {
  name: string;
  value: string;
}

export interface Leak {
  /** The secret's name. */
  name: string;
  /** What was found (`value` or `line 3`), and the chain of decodings that revealed it. */
  what: string;
  how: string;
}

export interface LeakOptions {
  /** Lines of a multi-line value shorter than this (trimmed) are not searched alone. Default 8. */
  minLineLength?: number;
  /** Values shorter than this are not searched in base64/hex decodings. Default 12. */
  encodedMinLength?: number;
}

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8");
const PEM_ARMOR = /^-----(?:BEGIN|END) [A-Z0-9 ]+-----$/;

/** Every leak of every secret in `body` (bytes or text). Empty: nothing found. */
export function findLeaks(
  body: string | Uint8Array,
  secrets: readonly LeakSecret[],
  options: LeakOptions = {},
): Leak[] {
  const minLine = options.minLineLength ?? 8;
  const encodedMin = options.encodedMinLength ?? 12;
  const text = typeof body === "string" ? body : utf8.decode(body);
  const views = decodedViews(text);
  const leaks: Leak[] = [];
  for (const secret of secrets) {
    const needles = needlesOf(secret.value, minLine);
    for (const [what, needle] of needles) {
      const hit = views.find(([view, how]) =>
        (needle.length >= encodedMin || !how.includes("base64") && !how.includes("hex")) &&
        view.includes(needle)
      );
      if (hit) {
        leaks.push({ name: secret.name, what, how: hit[1] });
        break;
      }
    }
  }
  return leaks;
}

/** The value, then its non-trivial lines (PEM armor lines are public). */
function needlesOf(value: string, minLine: number): [string, string][] {
  const needles: [string, string][] = [["value", value]];
  if (/[\r\n]/.test(value)) {
    value.split(/\r?\n|\r/).forEach((line, i) => {
      const trimmed = line.trim();
      if (trimmed.length >= minLine && !PEM_ARMOR.test(trimmed)) {
        needles.push([`line ${i + 1}`, trimmed]);
      }
    });
  }
  return needles;
}

type View = [text: string, how: string];

/** The text, every JSON string in it (recursively), and each of those under every decoding. */
export function decodedViews(text: string): View[] {
  const strings: View[] = [];
  if (!collectJsonStrings(text, "raw", strings, 0)) strings.unshift([text, "raw"]);
  const views: View[] = [[text, "raw"]];
  const seen = new Set<string>([text]);
  const add = (view: string, how: string) => {
    if (seen.has(view)) return false;
    seen.add(view);
    views.push([view, how]);
    return true;
  };
  for (const [s, how] of strings) {
    add(s, how);
    encodedRuns(s, how, add);
    for (const [name, decode] of DECODINGS) {
      const once = decode(s);
      if (once === s || !add(once, `${how} > ${name}`)) continue;
      encodedRuns(once, `${how} > ${name}`, add);
      for (const [name2, decode2] of DECODINGS) {
        const twice = decode2(once);
        if (twice !== once) add(twice, `${how} > ${name} > ${name2}`);
      }
    }
  }
  return views;
}

/** Base64 and hex runs of `view`, decoded. */
function encodedRuns(view: string, how: string, add: (view: string, how: string) => void): void {
  for (const decoded of base64Runs(view)) add(decoded, `${how} > base64`);
  for (const decoded of hexRuns(view)) add(decoded, `${how} > hex`);
}

/**
 * JSON strings in `text`: parsed as a whole if it is JSON, else every string literal in it.
 * Returns whether `text` was a whole JSON document.
 */
function collectJsonStrings(text: string, how: string, out: View[], depth: number): boolean {
  if (depth > 4) return false;
  let parsed: unknown;
  let whole = false;
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[") || trimmed.startsWith('"')) {
    try {
      parsed = JSON.parse(trimmed);
      whole = true;
    } catch {
      // Not a whole document: look for string literals below.
    }
  }
  const strings: string[] = [];
  if (whole) walk(parsed, strings);
  else {
    for (const literal of text.match(/"(?:[^"\\\n]|\\.)*"/g) ?? []) {
      try {
        strings.push(JSON.parse(literal));
      } catch {
        // An unbalanced quote in prose: not a JSON string.
      }
    }
  }
  for (const s of strings) {
    const path = `${how} > json`;
    out.push([s, path]);
    if (/[{["]/.test(s)) collectJsonStrings(s, path, out, depth + 1);
  }
  return whole;
}

function walk(node: unknown, out: string[]): void {
  if (typeof node === "string") out.push(node);
  else if (Array.isArray(node)) { for (const item of node) walk(item, out); }
  else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      out.push(key);
      walk(value, out);
    }
  }
}

const C_ESCAPES: Record<string, string> = {
  n: "\n",
  r: "\r",
  t: "\t",
  b: "\b",
  f: "\f",
  v: "\v",
  a: "\x07",
  e: "\x1b",
  "0": "\0",
  E: "\x1b",
};

/** Backslash escapes as C, JavaScript, JSON, `$'...'` and dotenv read them (octal bytes too). */
function cUnescape(s: string): string {
  if (!s.includes("\\")) return s;
  s = s.replace(
    /(?:\\[0-7]{3})+/g,
    (run) => utf8.decode(Uint8Array.from(run.slice(1).split("\\"), (o) => parseInt(o, 8))),
  );
  return s.replace(
    /\\(?:u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|([\s\S]))/g,
    (_, brace, u4, x2, c) => {
      if (brace) return String.fromCodePoint(parseInt(brace, 16));
      if (u4) return String.fromCharCode(parseInt(u4, 16));
      if (x2) return String.fromCharCode(parseInt(x2, 16));
      return C_ESCAPES[c] ?? c;
    },
  );
}

/** Every backslash removed from before the character it escapes (here-documents, `printf %q`). */
function backslashUnescape(s: string): string {
  return s.includes("\\") ? s.replace(/\\([\s\S])/g, "$1") : s;
}

/**
 * The text with shell quoting removed as bash reads words: '...' literal, "..." with `\` before
 * `$ \` " \\` and newline, $'...' with C escapes, a backslash outside quotes escaping one char.
 * Whitespace and everything else stays, so a word can be found inside a command line.
 */
function shellUnquote(s: string): string {
  if (!/['"\\]/.test(s)) return s;
  let out = "";
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === "\\") {
      if (s[i + 1] !== "\n") out += s[i + 1] ?? "";
      i += 2;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) return out + s.slice(i);
      out += s.slice(i + 1, end);
      i = end + 1;
    } else if (c === "$" && s[i + 1] === "'") {
      let j = i + 2;
      while (j < s.length && s[j] !== "'") j += s[j] === "\\" ? 2 : 1;
      out += cUnescape(s.slice(i + 2, j));
      i = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') {
        if (s[j] === "\\" && /[$`"\\\n]/.test(s[j + 1] ?? "")) {
          if (s[j + 1] !== "\n") out += s[j + 1];
          j += 2;
        } else out += s[j++];
      }
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Patch lines without their `+`, `-` or ` ` marker (a multi-line value in `apply_patch`). */
function patchUnmark(s: string): string {
  return /\n[+\- ]/.test(s) ? s.replace(/^[+\- ]/gm, "") : s;
}

/** Percent-escapes decoded as UTF-8 where they form UTF-8, else byte by byte; `+` as space too. */
function percentDecode(s: string): string {
  if (!/%[0-9a-fA-F]{2}/.test(s)) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "%" && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of new TextEncoder().encode(s[i])) bytes.push(b);
    }
  }
  return utf8.decode(new Uint8Array(bytes));
}

function formDecode(s: string): string {
  return s.includes("+") ? percentDecode(s.replaceAll("+", " ")) : s;
}

const DECODINGS: [string, (s: string) => string][] = [
  ["c-escapes", cUnescape],
  ["backslashes", backslashUnescape],
  ["shell", shellUnquote],
  ["patch", patchUnmark],
  ["percent", percentDecode],
  ["form", formDecode],
];

/**
 * Runs of base64 (either alphabet, line breaks inside allowed) decoded at each of the four
 * alignments, as UTF-8 and as Latin-1 (a value cut out of a longer blob).
 */
function base64Runs(view: string): string[] {
  const out: string[] = [];
  for (const run of view.match(/[A-Za-z0-9+/_-]{16,}(?:(?:\r?\n|\\n)[A-Za-z0-9+/_-]+)*/g) ?? []) {
    const clean = run.replace(/\r?\n|\\n/g, "").replace(/-/g, "+").replace(/_/g, "/");
    for (let shift = 0; shift < 4; shift++) {
      const part = clean.slice(shift);
      const usable = part.slice(0, part.length - (part.length % 4));
      if (usable.length < 8) continue;
      try {
        const bytes = Uint8Array.from(atob(usable), (c) => c.charCodeAt(0));
        out.push(utf8.decode(bytes), latin1.decode(bytes));
      } catch {
        // Not base64 at this alignment.
      }
    }
  }
  return out;
}

/** Runs of hex digits decoded at both alignments. */
function hexRuns(view: string): string[] {
  const out: string[] = [];
  for (const run of view.match(/[0-9a-fA-F]{16,}/g) ?? []) {
    for (let shift = 0; shift < 2; shift++) {
      const part = run.slice(shift);
      const pairs = part.slice(0, part.length - (part.length % 2)).match(/../g) ?? [];
      const bytes = Uint8Array.from(pairs, (pair) => parseInt(pair, 16));
      out.push(utf8.decode(bytes), latin1.decode(bytes));
    }
  }
  return out;
}
