/**
 * Where a restored value lands in a shell command (a tool field the dialect marks `shell`), and how to spell it
 * so the shell hands the program the real value. The model quoted a surrogate (plain
 * `[A-Za-z0-9_]`) as it saw fit; a value with spaces, quotes or newlines needs the quoting the
 * model would have written had it seen the value: single quotes in a bare word, backslashes in
 * double quotes, nothing in a quoted here-document.
 */
import type { LiteralContext } from "./spans.ts";

const enum Sh {
  Plain,
  Single,
  Double,
  /** `$'...'`: backslash escapes. */
  Ansi,
  Comment,
  /** The word after `<<`. */
  Delimiter,
  Heredoc,
}

interface Frame {
  state: Sh;
  /**
   * For a command substitution: open parentheses of a `$(...)` opened inside double quotes (the
   * `)` that brings them to 0 closes it), or -1 for a backquoted one; 0 for the command line.
   */
  parens: number;
}

interface HereDoc {
  delimiter: string;
  quoted: boolean;
  stripTabs: boolean;
}

/** Per state, the characters that may change it (the others are skipped in bulk). */
const STOPS: Partial<Record<Sh, RegExp>> = {
  [Sh.Plain]: /[\\'"#()`<\n]/g,
  [Sh.Single]: /'/g,
  [Sh.Double]: /[\\"(`]/g,
  [Sh.Ansi]: /[\\']/g,
  [Sh.Comment]: /\n/g,
  [Sh.Heredoc]: /[\\\n]/g,
};

/** Characters a bare shell word may hold without quoting. */
const BARE = /^[A-Za-z0-9_@%+=:,./-]*$/;
const WORD_BREAK = " \t\n;&|()<>";

/** `value` inside '...': each quote closes, is escaped, and reopens. */
export function inSingleQuotes(value: string): string {
  return value.replaceAll("'", "'\\''");
}

/** `value` inside "...", as ficta writes it and as `declare -p` / `export -p` print it. */
export function inDoubleQuotes(value: string): string {
  return value.replace(/[\\"$`]/g, "\\$&");
}

/** `value` inside $'...'. */
export function inAnsiQuotes(value: string): string {
  return value.replace(/[\\']/g, "\\$&").replaceAll("\n", "\\n").replaceAll("\r", "\\r");
}

/** `value` in an unquoted here-document. */
export function inHeredoc(value: string): string {
  return value.replace(/[\\$`]/g, "\\$&");
}

const BASH_ANSI: Record<string, string> = {
  "'": "\\'",
  "\\": "\\\\",
  "\x07": "\\a",
  "\b": "\\b",
  "\x1b": "\\E",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
};
const encoder = new TextEncoder();

/**
 * `value` inside $'...' as bash prints it (`declare -p`, `printf %q`, `set -x` for values with
 * control characters): C escapes, other controls in octal, and outside a UTF-8 locale every
 * non-ASCII byte in octal.
 */
export function inBashAnsiQuotes(value: string, utf8Locale: boolean): string {
  let out = "";
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (BASH_ANSI[ch]) out += BASH_ANSI[ch];
    else if (c < 0x20 || c === 0x7f) out += "\\" + c.toString(8).padStart(3, "0");
    else if (c < 0x80 || utf8Locale) out += ch;
    else for (const b of encoder.encode(ch)) out += "\\" + b.toString(8);
  }
  return out;
}

/** What bash's `printf %q` leaves bare; it backslash-escapes everything else. */
const PRINTF_Q_BARE = /[^A-Za-z0-9_@%+:./=~#\-\u0080-\uffff]|^[~#]/g;
// deno-lint-ignore no-control-regex -- control characters make bash switch to $'...'
const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * The spellings of `value` shells write: inside each kind of quotes (as ficta restores it and as
 * `set -x`, `declare -p`, `export -p` print it), in an unquoted here-document, and as
 * `printf %q` prints it. Unchanged ones included; the caller drops them.
 */
export function shellSpellings(value: string): string[] {
  const out = [inSingleQuotes(value), inDoubleQuotes(value), inAnsiQuotes(value), inHeredoc(value)];
  out.push(inBashAnsiQuotes(value, true), inBashAnsiQuotes(value, false));
  if (!CONTROL.test(value)) out.push(value.replace(PRINTF_Q_BARE, "\\$&"));
  return out;
}

/** A small lexer for the shell (bash) syntax a model writes in a command line. */
export class ShellLexer implements LiteralContext {
  #frames: Frame[] = [{ state: Sh.Plain, parens: 0 }];
  #escape = false;
  #prev = "";
  #wordStart = true;
  #pending: HereDoc[] = [];
  #heredoc: HereDoc | undefined;
  #delimiter = { text: "", quoted: false, stripTabs: false, started: false };
  #line = "";

  feed(text: string): void {
    let i = 0;
    while (i < text.length) {
      const stops = this.#escape ? undefined : STOPS[this.#top.state];
      let next = i;
      if (stops) {
        // Characters that change nothing in this state go by in one step.
        // `test` finds the stop without building a match.
        stops.lastIndex = i;
        next = stops.test(text) ? stops.lastIndex - 1 : text.length;
        if (next > i) {
          if (this.#top.state === Sh.Heredoc) this.#line += text.slice(i, next);
          this.#prev = text[next - 1];
          this.#wordStart = WORD_BREAK.includes(this.#prev);
        }
      }
      if (next < text.length) this.#step(text[next]);
      i = next + 1;
    }
  }

  /** `value` spelled for the position after the text fed so far. */
  spell(value: string): string {
    let spelled = this.#quoted(value);
    // Inside backquotes, backslashes and backquotes are unescaped once before anything else.
    for (const frame of this.#frames) {
      if (frame.parens === -1) spelled = spelled.replace(/[\\`]/g, "\\$&");
    }
    return spelled;
  }

  #quoted(value: string): string {
    switch (this.#top.state) {
      case Sh.Plain:
        return BARE.test(value) ? value : "'" + inSingleQuotes(value) + "'";
      case Sh.Single:
        return inSingleQuotes(value);
      case Sh.Double:
        return inDoubleQuotes(value);
      case Sh.Ansi:
        return inAnsiQuotes(value);
      case Sh.Comment:
        return value.replace(/[\r\n]/g, " ");
      case Sh.Heredoc:
        return this.#heredoc?.quoted ? value : inHeredoc(value);
      case Sh.Delimiter:
        return value;
    }
  }

  get #top(): Frame {
    return this.#frames[this.#frames.length - 1];
  }

  #step(ch: string): void {
    const prev = this.#prev;
    this.#prev = ch;
    const top = this.#top;
    const wordStart = this.#wordStart;
    this.#wordStart = WORD_BREAK.includes(ch);
    if (this.#escape) {
      // An escaped character starts nothing, not even with the next one (`\$(` is no substitution).
      this.#escape = false;
      this.#prev = "";
      return;
    }
    switch (top.state) {
      case Sh.Plain:
        return this.#plain(ch, prev, top, wordStart);
      case Sh.Single:
        if (ch === "'") top.state = Sh.Plain;
        return;
      case Sh.Ansi:
        if (ch === "\\") this.#escape = true;
        else if (ch === "'") top.state = Sh.Plain;
        return;
      case Sh.Double:
        if (ch === "\\") this.#escape = true;
        else if (ch === '"') this.#frames.pop();
        else if (ch === "(" && prev === "$") this.#frames.push({ state: Sh.Plain, parens: 1 });
        else if (ch === "`") this.#frames.push({ state: Sh.Plain, parens: -1 });
        return;
      case Sh.Comment:
        if (ch === "\n") {
          top.state = Sh.Plain;
          this.#lineEnd();
        }
        return;
      case Sh.Delimiter:
        return this.#delimiterChar(ch, top);
      case Sh.Heredoc:
        return this.#heredocChar(ch, top);
    }
  }

  #plain(ch: string, prev: string, top: Frame, wordStart: boolean): void {
    if (ch === "\\") this.#escape = true;
    else if (ch === "'") top.state = prev === "$" ? Sh.Ansi : Sh.Single;
    else if (ch === '"') this.#frames.push({ state: Sh.Double, parens: 0 });
    else if (ch === "#" && wordStart) top.state = Sh.Comment;
    else if (ch === "(") {
      if (top.parens > 0) top.parens++;
    } else if (ch === ")") {
      if (top.parens > 0 && --top.parens === 0) this.#frames.pop();
    } else if (ch === "`") {
      if (top.parens === -1) this.#frames.pop();
      else this.#frames.push({ state: Sh.Plain, parens: -1 });
    } else if (ch === "<" && prev === "<") {
      this.#delimiter = { text: "", quoted: false, stripTabs: false, started: false };
      top.state = Sh.Delimiter;
    } else if (ch === "\n") this.#lineEnd();
  }

  #delimiterChar(ch: string, top: Frame): void {
    const d = this.#delimiter;
    if (!d.started) {
      if (ch === "<") return void (top.state = Sh.Plain); // `<<<`: a here-string
      if (ch === "-" && d.text === "" && !d.stripTabs) return void (d.stripTabs = true);
      if (ch === " " || ch === "\t") return;
      d.started = true;
    }
    if (ch === "'" || ch === '"' || ch === "\\") d.quoted = true;
    else if (WORD_BREAK.includes(ch)) {
      this.#pending.push({ delimiter: d.text, quoted: d.quoted, stripTabs: d.stripTabs });
      top.state = Sh.Plain;
      if (ch === "\n") this.#lineEnd();
    } else d.text += ch;
  }

  #heredocChar(ch: string, top: Frame): void {
    const doc = this.#heredoc!;
    if (ch === "\\" && !doc.quoted) {
      this.#escape = true;
      this.#line += ch;
      return;
    }
    if (ch !== "\n") {
      this.#line += ch;
      return;
    }
    const line = doc.stripTabs ? this.#line.replace(/^\t+/, "") : this.#line;
    this.#line = "";
    if (line !== doc.delimiter) return;
    top.state = Sh.Plain;
    this.#lineEnd();
  }

  /** At the end of a command line, the here-documents it announced begin. */
  #lineEnd(): void {
    this.#heredoc = this.#pending.shift();
    if (this.#heredoc) this.#top.state = Sh.Heredoc;
  }
}
