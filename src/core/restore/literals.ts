/**
 * Where a restored value lands inside a tool input, and how it must be spelled there so the tool
 * receives the real value: a JavaScript string literal, a patch line, a shell word. Each context
 * follows the decoded input as it streams. Which tool (or tool field) is written in which syntax
 * is the dialect's business (see dialect.ts), not this file's.
 */
import { ShellLexer, shellSpellings } from "./shell-words.ts";
import type { LiteralSets } from "../redact/forms.ts";
import type { LiteralContext } from "./spans.ts";
import type { Syntax } from "./dialect.ts";

export type { LiteralContext } from "./spans.ts";

const enum Js {
  Code,
  LineComment,
  BlockComment,
  Single,
  Double,
  Template,
}

const SLASH = 0x2f;
const STAR = 0x2a;
const BACKSLASH = 0x5c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * A small JavaScript lexer: enough to know whether a position is inside a '...', "..." or `...`
 * literal (template substitutions nest), a comment, or code. Regular expression literals are not
 * recognised: a quote inside one confuses it (documented limit).
 */
export class JsLiteral implements LiteralContext {
  #state = Js.Code;
  #escape = false;
  #prev = 0;
  #depth = 0;
  /** Brace depth at which each open `${` substitution returns to its template. */
  #templates: number[] = [];

  feed(decoded: string): void {
    for (let i = 0; i < decoded.length; i++) this.#step(decoded.charCodeAt(i));
  }

  spell(value: string): string {
    switch (this.#state) {
      case Js.Single:
        return escapeForLiteral(value, "'");
      case Js.Double:
        return escapeForLiteral(value, '"');
      case Js.Template:
        return escapeForLiteral(value, "`");
      case Js.LineComment:
      case Js.BlockComment:
        // Comments carry no meaning: keep the code intact (no line break, no `*/`).
        return escapeForLiteral(value, '"').replaceAll("*/", "*\\/");
      default:
        // Code outside any literal: the raw value (the model wrote the surrogate as code).
        return value;
    }
  }

  #step(c: number): void {
    const prev = this.#prev;
    this.#prev = c;
    switch (this.#state) {
      case Js.Code:
        if (c === 0x27) this.#state = Js.Single;
        else if (c === 0x22) this.#state = Js.Double;
        else if (c === 0x60) this.#state = Js.Template;
        else if (prev === SLASH && (c === SLASH || c === STAR)) {
          this.#state = c === SLASH ? Js.LineComment : Js.BlockComment;
          this.#prev = 0;
        } else if (c === 0x7b) this.#depth++;
        else if (c === 0x7d) {
          if (this.#templates.at(-1) === this.#depth) {
            this.#templates.pop();
            this.#state = Js.Template;
          } else this.#depth--;
        }
        return;
      case Js.LineComment:
        if (c === LF || c === CR) this.#state = Js.Code;
        return;
      case Js.BlockComment:
        if (prev === STAR && c === SLASH) {
          this.#state = Js.Code;
          this.#prev = 0;
        }
        return;
      case Js.Single:
      case Js.Double:
        if (this.#escape) {
          this.#escape = false;
          this.#prev = 0; // `\${` opens no substitution
        } else if (c === BACKSLASH) this.#escape = true;
        else if (c === (this.#state === Js.Single ? 0x27 : 0x22) || c === LF || c === CR) {
          this.#state = Js.Code;
        }
        return;
      case Js.Template:
        if (this.#escape) {
          this.#escape = false;
          this.#prev = 0; // `\${` opens no substitution
        } else if (c === BACKSLASH) this.#escape = true;
        else if (c === 0x60) this.#state = Js.Code;
        else if (c === 0x7b && prev === 0x24) {
          this.#templates.push(this.#depth);
          this.#state = Js.Code;
        }
        return;
    }
  }
}

const LITERAL_SPECIALS = /[\\\n\r\u2028\u2029'"`$]/g;

/** `value` as the body of a JavaScript string literal delimited by `quote`. */
function escapeForLiteral(value: string, quote: "'" | '"' | "`"): string {
  return value.replace(LITERAL_SPECIALS, (ch) => {
    switch (ch) {
      case "\\":
        return "\\\\";
      case "\n":
        return "\\n";
      case "\r":
        return "\\r";
      case "\u2028":
        return "\\u2028";
      case "\u2029":
        return "\\u2029";
      case "$":
        return quote === "`" ? "\\$" : ch;
      default:
        return ch === quote ? "\\" + ch : ch;
    }
  });
}

/**
 * Every spelling ficta writes when it restores `value` into a tool input (shell words, JavaScript
 * literals and comments, patch lines), and the shell spellings ordinary tools print. The engine
 * registers each as a form of `value`, so a tool call echoed back next turn is replaced again.
 */
export function restoreSpellings(value: string): LiteralSets {
  const printed = shellSpellings(value);
  // Inside one level of backquotes, ficta escapes backslashes and backquotes once more: only
  // ficta writes that, inside a tool call's arguments.
  const written: string[] = [];
  for (const spelled of printed) {
    if (/[\\`]/.test(spelled)) written.push(spelled.replace(/[\\`]/g, "\\$&"));
  }
  if (value.includes("\n")) {
    for (const marker of ["+", "-", " "]) {
      printed.push(value.replace(/\r?\n/g, (eol) => eol + marker));
    }
  }
  // A JavaScript tool input is freeform text: one JSON layer deep.
  const input = [
    ...(["'", '"', "`"] as const).map((quote) => escapeForLiteral(value, quote)),
    escapeForLiteral(value, '"').replaceAll("*/", "*\\/"),
  ];
  return { printed, written, input };
}

/**
 * A patch (the `*** Begin Patch` format): a multi-line value on a `+`, `-` or ` ` line continues on
 * lines carrying the same marker, exactly as the file holding the real value reads.
 */
export class PatchLine implements LiteralContext {
  #marker = "";
  #atLineStart = true;

  feed(decoded: string): void {
    if (decoded.length === 0) return;
    const nl = decoded.lastIndexOf("\n");
    if (nl === decoded.length - 1) {
      this.#atLineStart = true;
      return;
    }
    if (nl >= 0) this.#marker = decoded[nl + 1];
    else if (this.#atLineStart) this.#marker = decoded[0];
    this.#atLineStart = false;
  }

  spell(value: string): string {
    const marker = this.#atLineStart ? "" : this.#marker;
    if (marker !== "+" && marker !== "-" && marker !== " ") return value;
    return value.replace(/\r?\n/g, (eol) => eol + marker);
  }
}

/** A fresh context for text written in `syntax`. */
export function literalContext(syntax: Syntax): LiteralContext {
  switch (syntax) {
    case "shell":
      return new ShellLexer();
    case "javascript":
      return new JsLiteral();
    case "patch":
      return new PatchLine();
  }
}

/**
 * The context for a tool's JSON input (JSON text, fed decoded): a value inside one of `fields`'
 * top-level strings is spelled for that field's syntax; undefined when no field has one.
 */
export function fieldsContext(
  fields: Readonly<Record<string, Syntax>> | undefined,
): LiteralContext | undefined {
  return fields === undefined ? undefined : new ArgumentField(fields);
}

/** Where a JSON string's plain run ends: its closing quote or an escape. */
const STRING_STOPS = /["\\]/g;

/** What a JSON escape stands for, by the character after the backslash (`u` aside). */
const JSON_ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/**
 * Function-call arguments (JSON text, fed decoded from the event): a value inside the string of
 * a top-level field with a syntax is spelled by that field's own context, fed with the string's
 * decoded text; anywhere else it stays as is. One pass over the arguments, however many surrogates.
 */
class ArgumentField implements LiteralContext {
  readonly #fields: Readonly<Record<string, Syntax>>;
  #context: LiteralContext | undefined;
  #depth = 0;
  #awaitingKey = false;
  #key = "";
  #inString = false;
  #inKey = false;
  /** The escape being read (after its backslash), or undefined. */
  #escape: string | undefined;

  constructor(fields: Readonly<Record<string, Syntax>>) {
    this.#fields = fields;
  }

  feed(json: string): void {
    // The decoded text of the field's string, fed to its context in one piece.
    let text = "";
    let i = 0;
    while (i < json.length) {
      if (!this.#inString) {
        this.#structure(json[i++]);
        continue;
      }
      let piece: string;
      if (this.#escape !== undefined) {
        this.#escape += json[i++];
        if (this.#escape[0] === "u" && this.#escape.length < 5) continue;
        piece = this.#escape[0] === "u"
          ? String.fromCharCode(parseInt(this.#escape.slice(1), 16))
          : JSON_ESCAPES[this.#escape] ?? this.#escape;
        this.#escape = undefined;
      } else {
        STRING_STOPS.lastIndex = i;
        const stop = STRING_STOPS.test(json) ? STRING_STOPS.lastIndex - 1 : json.length;
        piece = json.slice(i, stop);
        i = stop;
        if (stop < json.length) {
          i++;
          if (json[stop] === "\\") this.#escape = "";
          else this.#inString = false;
        }
      }
      if (this.#inKey) this.#key += piece;
      else if (this.#context) text += piece;
      if (!this.#inString && this.#context) {
        this.#context.feed(text);
        text = "";
        this.#context = undefined;
      }
    }
    this.#context?.feed(text);
  }

  spell(value: string): string {
    return this.#context ? this.#context.spell(value) : value;
  }

  #structure(c: string): void {
    if (c === '"') {
      this.#inString = true;
      this.#inKey = this.#depth === 1 && this.#awaitingKey;
      if (this.#inKey) this.#key = "";
      else if (this.#depth === 1 && Object.hasOwn(this.#fields, this.#key)) {
        this.#context = literalContext(this.#fields[this.#key]);
      }
      this.#awaitingKey = false;
    } else if (c === "{" || c === "[") {
      this.#depth++;
      this.#awaitingKey = c === "{" && this.#depth === 1;
    } else if (c === "}" || c === "]") this.#depth--;
    else if (c === "," && this.#depth === 1) this.#awaitingKey = true;
  }
}
