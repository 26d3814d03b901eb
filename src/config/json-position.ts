/**
 * Where JSON text goes wrong. JavaScriptCore's JSON.parse names no position, and a user fixing
 * FICTA_REGISTRY_COMMAND by hand needs one.
 */

export interface JsonProblem {
  /** 0-based offset of the first character that cannot be JSON here. */
  position: number;
  line: number;
  column: number;
  reason: string;
}

/** The first problem in `text`, or null when it is valid JSON. */
export function jsonProblem(text: string): JsonProblem | null {
  let i = 0;
  const fail = (reason: string): never => {
    throw { position: i, reason };
  };
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const literal = (word: string) => {
    for (const c of word) if (text[i++] !== c) (i--, fail(`expected ${word}`));
  };
  const string = () => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) fail("control character in a string");
      if (text[i] === "\\") {
        i++;
        if (text[i] === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail("bad \\u escape");
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? "")) fail("bad escape");
      }
      i++;
    }
    if (i >= text.length) fail("unterminated string");
    i++;
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match) fail("bad number");
    i += match![0].length;
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === "{") {
      i++;
      space();
      if (text[i] === "}") return void i++;
      for (;;) {
        space();
        if (text[i] !== '"') fail("expected a quoted key");
        string();
        space();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        value();
        space();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return void i++;
        else fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      space();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        space();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return void i++;
        else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    if (c === "t") return literal("true");
    if (c === "f") return literal("false");
    if (c === "n") return literal("null");
    if (c === "-" || (c >= "0" && c <= "9")) return number();
    fail(c === undefined ? "unexpected end" : "unexpected character");
  };
  try {
    value();
    space();
    if (i < text.length) fail("unexpected text after the value");
    return null;
  } catch (error) {
    const { position, reason } = error as { position: number; reason: string };
    const before = text.slice(0, position).split("\n");
    return { position, line: before.length, column: before.at(-1)!.length + 1, reason };
  }
}
