/**
 * Dotenv syntax, as the common loaders (dotenv, python-dotenv, Docker Compose) read it:
 * comments, `export`, blank lines, CRLF, `NAME=value` and `NAME: value`, unquoted values with
 * ` #` comments, single quotes and backticks (literal), double quotes (`\n \r \t \" \\`
 * escapes), quoted values over several lines, duplicate names (every one kept: the caller
 * protects each value seen).
 *
 * `${VAR}` is not expanded: the literal text is what `cat .env` shows, and an expanded value
 * is made of other registered values, each protected on its own wherever it appears.
 *
 * A line that cannot be parsed is reported with its number and its raw text (so the caller can
 * still protect it); the text is never part of the message.
 */

export interface DotenvEntry {
  name: string;
  /** The value a program loading the file sees. */
  value: string;
  /** The text between the quotes (or the unquoted value) exactly as written in the file. */
  literal: string;
  /** 1-based line where the entry starts. */
  line: number;
}

export interface DotenvProblem {
  line: number;
  /** Safe to print: says what is wrong, never quotes the file. */
  message: string;
  /** The raw text that could not be parsed; protected by the caller, never printed. */
  text: string;
}

export interface DotenvParse {
  entries: DotenvEntry[];
  problems: DotenvProblem[];
}

const ASSIGNMENT = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*(=|:(?=[ \t]|$))[ \t]*/;
const BARE_EXPORT = /^[ \t]*export(?:[ \t]+[A-Za-z_][A-Za-z0-9_]*)+[ \t]*(?:#.*)?$/;
const DOUBLE_QUOTE_ESCAPES: Record<string, string> = {
  n: "\n",
  r: "\r",
  t: "\t",
  '"': '"',
  "\\": "\\",
};

export function parseDotenv(text: string): DotenvParse {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const entries: DotenvEntry[] = [];
  const problems: DotenvProblem[] = [];
  let pos = 0;
  let line = 1;
  while (pos < s.length) {
    const lineEnd = endOfLine(s, pos);
    const raw = stripCR(s.slice(pos, lineEnd));
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#") || BARE_EXPORT.test(raw)) {
      pos = lineEnd + 1;
      line++;
      continue;
    }
    const head = ASSIGNMENT.exec(raw);
    if (!head) {
      problems.push({ line, message: "expected NAME=value", text: trimmed });
      pos = lineEnd + 1;
      line++;
      continue;
    }
    const name = head[1];
    const start = pos + head[0].length;
    const quote = s[start];
    if (quote === '"' || quote === "'" || quote === "`") {
      const close = closingQuote(s, start + 1, quote);
      if (close < 0) {
        problems.push({
          line,
          message: `unterminated ${quoteName(quote)} quote`,
          text: s.slice(start + 1),
        });
        break;
      }
      const literal = s.slice(start + 1, close);
      const normalized = literal.replace(/\r\n/g, "\n");
      const value = quote === '"' ? decodeDoubleQuoted(normalized) : normalized;
      entries.push({ name, value, literal, line });
      line += countNewlines(literal);
      const restEnd = endOfLine(s, close);
      const rest = stripCR(s.slice(close + 1, restEnd)).trim();
      if (rest !== "" && !rest.startsWith("#")) {
        problems.push({ line, message: "unexpected text after the closing quote", text: rest });
      }
      pos = restEnd + 1;
      line++;
      continue;
    }
    const value = unquotedValue(raw.slice(head[0].length), head[0]);
    entries.push({ name, value, literal: value, line });
    pos = lineEnd + 1;
    line++;
  }
  return { entries, problems };
}

function endOfLine(s: string, from: number): number {
  const i = s.indexOf("\n", from);
  return i < 0 ? s.length : i;
}

function stripCR(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf("\n"); i >= 0; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

function quoteName(quote: string): string {
  return quote === '"' ? "double" : quote === "'" ? "single" : "backtick";
}

/** Index of the quote that closes a value opened at `from - 1`; -1 when the file ends first. */
function closingQuote(s: string, from: number, quote: string): number {
  if (quote !== '"') return s.indexOf(quote, from);
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === "\\") i++;
    else if (c === '"') return i;
  }
  return -1;
}

/** Known escapes are decoded; any other backslash stays as written, like python-dotenv. */
function decodeDoubleQuoted(literal: string): string {
  if (!literal.includes("\\")) return literal;
  return literal.replace(/\\(.)/gs, (escape, c: string) => DOUBLE_QUOTE_ESCAPES[c] ?? escape);
}

/**
 * The rest of the line, up to a `#` that follows whitespace (`KEY=a#b` keeps `a#b`, as
 * Docker Compose reads it). `head` is what preceded: `KEY= #x` is an empty value.
 */
function unquotedValue(rest: string, head: string): string {
  if (rest.startsWith("#") && /[ \t]$/.test(head)) return "";
  const comment = /[ \t]#/.exec(rest);
  return (comment ? rest.slice(0, comment.index) : rest).trim();
}
