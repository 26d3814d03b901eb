import { describe, expect, test } from "bun:test";
import { parseDotenv } from "../../src/registry/dotenv-parse.ts";

const fake = () => crypto.randomUUID().replaceAll("-", "");

function values(text: string): Record<string, string> {
  const { entries, problems } = parseDotenv(text);
  expect(problems).toEqual([]);
  return Object.fromEntries(entries.map((e) => [e.name, e.value]));
}

describe("dotenv syntax", () => {
  test("comments, blank lines, export, spaces around =, colon form", () => {
    const a = fake();
    const b = fake();
    const text = `# a comment\n\n   \nexport A=${a}\n  B = ${b}  \nC: ${a}x\n`;
    expect(values(text)).toEqual({ A: a, B: b, C: `${a}x` });
  });

  test("CRLF line endings and a byte-order mark", () => {
    const a = fake();
    expect(values(`\ufeffA=${a}\r\nB="${a}y"\r\n`)).toEqual({ A: a, B: `${a}y` });
  });

  test("inline comments need whitespace before # in unquoted values", () => {
    expect(values("A=abc#def\nB=abc #def\nC= #only a comment\nD=#value\nE=x\t# tab")).toEqual({
      A: "abc#def",
      B: "abc",
      C: "",
      D: "#value",
      E: "x",
    });
  });

  test("single quotes and backticks are literal", () => {
    const { entries } = parseDotenv("A='a\\nb $X \"q\"'\nB=`a\\tb 'q'`\n");
    expect(entries.map((e) => [e.value, e.literal])).toEqual([
      ['a\\nb $X "q"', 'a\\nb $X "q"'],
      ["a\\tb 'q'", "a\\tb 'q'"],
    ]);
  });

  test('double quotes decode \\n \\r \\t \\" \\\\ and keep unknown escapes; literal kept', () => {
    const { entries } = parseDotenv('A="l1\\nl2\\r\\t\\"q\\" back\\\\slash \\d ${X}" # c\n');
    expect(entries[0].value).toBe('l1\nl2\r\t"q" back\\slash \\d ${X}');
    expect(entries[0].literal).toBe('l1\\nl2\\r\\t\\"q\\" back\\\\slash \\d ${X}');
  });

  test("multi-line quoted values (a PEM key), with line numbers after them", () => {
    const body = [fake(), fake(), fake()];
    const pem = `-----BEGIN PRIVATE KEY-----\n${body.join("\n")}\n-----END PRIVATE KEY-----`;
    const text = `A=1\nKEY="${pem}"\nB='x\ny'\nC=after\n`;
    const { entries, problems } = parseDotenv(text.replaceAll("\n", "\r\n"));
    expect(problems).toEqual([]);
    expect(entries.map((e) => [e.name, e.line])).toEqual([["A", 1], ["KEY", 2], ["B", 7], [
      "C",
      9,
    ]]);
    expect(entries[1].value).toBe(pem); // CRLF inside the quotes reads as LF
    expect(entries[1].literal).toBe(pem.replaceAll("\n", "\r\n")); // as the file spells it
    expect(entries[2].value).toBe("x\ny");
  });

  test("duplicate names are all kept, in order", () => {
    const { entries } = parseDotenv("A=first-value\nA=second-value\n");
    expect(entries.map((e) => e.value)).toEqual(["first-value", "second-value"]);
  });

  test("a bare `export NAME` is no assignment and no error", () => {
    expect(values("export A B\nC=value-here")).toEqual({ C: "value-here" });
  });

  test("an unparseable line is a problem with its number; later lines still parse", () => {
    const secret = fake();
    const { entries, problems } = parseDotenv(`A=1\nnot an assignment ${secret}\nB=2\n`);
    expect(entries.map((e) => e.name)).toEqual(["A", "B"]);
    expect(problems).toHaveLength(1);
    expect(problems[0].line).toBe(2);
    expect(problems[0].message).not.toContain(secret);
    expect(problems[0].text).toContain(secret);
  });

  test("an unterminated quote is a problem holding the rest of the file", () => {
    const secret = fake();
    const { entries, problems } = parseDotenv(`A=ok-value\nB="${secret}\nC=${secret}2\n`);
    expect(entries.map((e) => e.name)).toEqual(["A"]);
    expect(problems).toEqual([{
      line: 2,
      message: "unterminated double quote",
      text: `${secret}\nC=${secret}2\n`,
    }]);
  });

  test("text after a closing quote is a problem, the value still counts", () => {
    const { entries, problems } = parseDotenv('A="quoted"trailing\n');
    expect(entries[0].value).toBe("quoted");
    expect(problems.map((p) => [p.line, p.text])).toEqual([[1, "trailing"]]);
  });

  test("an escaped quote does not close a double-quoted value", () => {
    expect(values('A="x\\"y"\nB=z')).toEqual({ A: 'x"y', B: "z" });
  });
});
