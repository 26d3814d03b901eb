/**
 * Glob patterns as Bun's `Glob#match` reads them, compiled to a RegExp: the portable matcher for
 * runtimes without a native one. Whole-string, case-sensitive; `*` and `?` do not cross `/` and do
 * match a leading dot; `**` as a whole path segment crosses `/`; `[abc]`, `[a-z]`, `[!a]`/`[^a]`
 * (`]` first is literal); `{a,b}` nests; `\` escapes; each leading `!` negates. An unclosed `[`
 * or `{` is literal. POSIX classes (`[[:alpha:]]`) are not supported (ficta's patterns are variable
 * and file names). test/runtime/portable.test.ts checks it against Bun's Glob pattern by pattern.
 *
 * @example
 * ```ts
 * globMatcher("AWS_*").match("AWS_SECRET_ACCESS_KEY"); // true
 * ```
 */
import type { GlobMatcher } from "./types.ts";

export function globMatcher(pattern: string): GlobMatcher {
  let negated = false;
  let start = 0;
  while (pattern[start] === "!") {
    negated = !negated;
    start++;
  }
  const regex = new RegExp(`^(?:${translate(pattern, start, pattern.length)})$`, "s");
  return { match: (text) => regex.test(text) !== negated };
}

const SPECIAL = /[.*+?^${}()|[\]\\/]/g;
const literal = (text: string) => text.replace(SPECIAL, "\\$&");

/** `pattern[from, to)` as a RegExp source. */
function translate(pattern: string, from: number, to: number): string {
  let out = "";
  for (let i = from; i < to; i++) {
    const c = pattern[i];
    if (c === "\\" && i + 1 < to) {
      out += literal(pattern[++i]);
    } else if (c === "*") {
      let end = i;
      while (end + 1 < to && pattern[end + 1] === "*") end++;
      const segment = end > i && (i === from || pattern[i - 1] === "/") &&
        (end + 1 === to || pattern[end + 1] === "/");
      if (segment && end + 1 < to) {
        // `**/`: any number of whole segments, none included.
        out += "(?:[^/]*(?:/[^/]*)*/)?";
        i = end + 1;
      } else {
        out += segment ? ".*" : "[^/]*";
        i = end;
      }
    } else if (c === "?") {
      out += "[^/]";
    } else if (c === "[") {
      const close = classEnd(pattern, i, to);
      if (close < 0) {
        out += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, close);
      let negate = false;
      if (body[0] === "!" || body[0] === "^") {
        negate = true;
        body = body.slice(1);
      }
      const escaped = body.replace(/[\\\]^[]/g, "\\$&");
      out += negate ? `[^/${escaped}]` : `[${escaped}]`;
      i = close;
    } else if (c === "{") {
      const alternatives = braceParts(pattern, i, to);
      if (!alternatives) {
        out += "\\{";
        continue;
      }
      out += `(?:${alternatives.parts.map(([a, b]) => translate(pattern, a, b)).join("|")})`;
      i = alternatives.end;
    } else {
      out += literal(c);
    }
  }
  return out;
}

/** Index of the `]` closing the class opened at `open`, or -1. */
function classEnd(pattern: string, open: number, to: number): number {
  let i = open + 1;
  if (pattern[i] === "!" || pattern[i] === "^") i++;
  if (pattern[i] === "]") i++;
  for (; i < to; i++) if (pattern[i] === "]") return i;
  return -1;
}

/** The top-level `,`-separated ranges of the `{...}` opened at `open`, or null if unclosed. */
function braceParts(
  pattern: string,
  open: number,
  to: number,
): { parts: Array<[number, number]>; end: number } | null {
  const parts: Array<[number, number]> = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open + 1; i < to; i++) {
    const c = pattern[i];
    if (c === "\\") i++;
    else if (c === "[") {
      const close = classEnd(pattern, i, to);
      if (close > 0) i = close;
    } else if (c === "{") depth++;
    else if (c === "}" && depth > 0) depth--;
    else if (c === "}") {
      parts.push([start, i]);
      return { parts, end: i };
    } else if (c === "," && depth === 0) {
      parts.push([start, i]);
      start = i + 1;
    }
  }
  return null;
}
