/** The independent leak checker finds a value however it was wrapped, and nothing that is clean. */
import { describe, expect, test } from "bun:test";
import { findLeaks } from "./leak-check.ts";

const value = `pa"ss\\wo'rd-$X\`y é ${crypto.randomUUID().slice(0, 8)}`;
const secrets = [{ name: "V", value }];
const body = (text: string) => JSON.stringify({ input: [{ type: "message", content: text }] });
const inArguments = (cmd: string) =>
  JSON.stringify({ input: [{ type: "function_call", arguments: JSON.stringify({ cmd }) }] });

describe("findLeaks", () => {
  const wrapped: Record<string, string> = {
    raw: value,
    "JSON in JSON": inArguments(`echo ${JSON.stringify(value)}`),
    "shell double quotes in arguments": inArguments(`echo "${value.replace(/[\\"$`]/g, "\\$&")}"`),
    "shell single quotes": body(`'${value.replaceAll("'", "'\\''")}'`),
    "bash $'…' with octal bytes": body(
      `$'${
        Array.from(new TextEncoder().encode(value), (b) =>
          b >= 0x80
            ? "\\" + b.toString(8)
            : b === 0x27 || b === 0x5c
            ? "\\" + String.fromCharCode(b)
            : String.fromCharCode(b)).join("")
      }'`,
    ),
    "percent-encoded": body(`https://x/?p=${encodeURIComponent(value)}`),
    "base64 in a blob": body(`data: ${new TextEncoder().encode(`xx${value}yy`).toBase64()}`),
    hex: body(new TextEncoder().encode(value).toHex()),
  };
  for (const [how, text] of Object.entries(wrapped)) {
    test(`finds the value: ${how}`, () => {
      const leaks = findLeaks(text, secrets);
      expect(leaks.map((l) => l.name)).toEqual(["V"]);
    });
  }

  test("finds a multi-line value written as patch lines", () => {
    const multi = `${value}\nsecond line ${crypto.randomUUID()}`;
    const leaks = findLeaks(body(`+${multi.replace("\n", "\n+")}`), [{ name: "M", value: multi }]);
    expect(leaks.map((l) => [l.name, l.what])).toEqual([["M", "value"]]);
  });

  test("finds a line of a multi-line value on its own", () => {
    const pem = `-----BEGIN KEY-----\n${"A1b2C3d4".repeat(4)}\n-----END KEY-----`;
    const leaks = findLeaks(body(`line: ${"A1b2C3d4".repeat(4)}`), [{ name: "PEM", value: pem }]);
    expect(leaks.map((l) => [l.name, l.what])).toEqual([["PEM", "line 2"]]);
  });

  test("reports nothing in a clean body, and never the value", () => {
    expect(findLeaks(body("ficta_AAAAAAAAAAAAAAAAAAAAAA and pa ss"), secrets)).toEqual([]);
    const [leak] = findLeaks(body(value), secrets);
    expect(JSON.stringify(leak)).not.toContain(value);
  });
});
