import { describe, expect, test } from "bun:test";
import { unwrappedBase64Runs } from "../../../src/core/redact/wrapped-base64.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const runs = (text: string) =>
  unwrappedBase64Runs(encoder.encode(text)).map((r) => decoder.decode(r));

function wrapped(bytes: number, width: number): { b64: string; lines: string[] } {
  const b64 = Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64");
  return { b64, lines: b64.match(new RegExp(`.{1,${width}}`, "g"))! };
}

describe("unwrappedBase64Runs", () => {
  test("joins lines of one width across every spelling of a line break", () => {
    for (const width of [76, 64, 16]) {
      const { b64, lines } = wrapped(300, width);
      for (const sep of ["\n", "\r\n", "\\n", "\\r\\n", "\\\\n", "\\\\\\\\n"]) {
        // A base64-looking word right after the last line may join too: only ever looked at.
        const found = runs(`Output: x\n${lines.join(sep)}\nnext line`);
        expect(found.length).toBe(1);
        expect(found[0].startsWith(b64)).toBe(true);
        expect(runs(JSON.stringify({ output: lines.join("\n") }))).toEqual([b64]);
      }
    }
  });

  test("stops at a wider line, at padding, and after the shorter last line", () => {
    const { b64, lines } = wrapped(120, 76);
    expect(runs(`${lines.join("\n")}\n${"A".repeat(80)}`)).toEqual([b64]);
    const padded = Buffer.from("x".repeat(100)).toString("base64").match(/.{1,76}/g)!;
    expect(runs(`${padded.join("\n")}\nQUJDREVGR0hJSktMTU5PUA`)).toEqual([padded.join("")]);
  });

  test("ordinary text and single lines are no run", () => {
    expect(runs("short\nlines of\nordinary text\n")).toEqual([]);
    expect(runs(`${"A".repeat(100)}\n`)).toEqual([]);
    expect(runs(`a_path /usr/local/bin\nanother line\n`)).toEqual([]);
    expect(runs("")).toEqual([]);
  });
});
