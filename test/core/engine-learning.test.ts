/**
 * Values nobody registered, found by shape detection: replaced, learned for the session, gated
 * and restored. A deterministic stand-in finder drives most tests; the last ones go through
 * compileEngine with the real shape finder.
 */
import { describe, expect, test } from "bun:test";
import type { ShapeFinder } from "../../src/core/engine.ts";
import { compileEngine } from "../../src/core/mod.ts";
import { SURROGATE_PATTERN } from "../../src/core/surrogate.ts";
import {
  ALNUM,
  bytes,
  compiledEngine,
  engineFor,
  fakeValue,
  OPTIONS,
  secret,
  testKey,
} from "./fakes.ts";

const inner = (s: string) => JSON.stringify(s).slice(1, -1);

/** Finds `FAKE_` + 24 alphanumerics; format `fake`. */
const fakeFinder: ShapeFinder = (text, disabled) => {
  if (disabled?.has("fake")) return [];
  return [...text.matchAll(/FAKE_[A-Za-z0-9]{24}/g)].map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
    format: "fake",
    value: m[0],
  }));
};
const shaped = () => "FAKE_" + fakeValue(24);

describe("values learned by shape", () => {
  test("replaced on sight, counted by format, then caught in every form without detection", async () => {
    const value = shaped();
    let calls = 0;
    const counting: ShapeFinder = (text, disabled) => {
      calls++;
      return fakeFinder(text, disabled);
    };
    const engine = await engineFor([], { shapes: true }, counting);
    const first = await engine.redactText(`pasted ${value} here`);
    expect(first.output).not.toContain(value);
    expect(first.counts).toEqual({ "shape:fake": 1 });
    expect(engine.stats()).toEqual({ values: 1, detections: { fake: 1 } });
    const surrogate = first.output.match(SURROGATE_PATTERN)![0];

    // Later requests: the base64 and percent forms are not shapes, but the value is known now.
    const later = `${bytes("xx" + value).toBase64()} ${encodeURIComponent(value)}`;
    expect(engine.gateText(later)).toEqual(["shape:fake"]);
    const second = await engine.redactText(later);
    expect(second.counts).toEqual({ "shape:fake": 2 });
    expect(engine.restoreText(`use ${surrogate}`).output).toBe(`use ${value}`);
    expect(calls).toBe(2);
    // Seen again: not a new detection.
    await engine.redactText(value);
    expect(engine.stats().detections).toEqual({ fake: 1 });
  });

  test("the detected spelling is learned too, when it differs from the value", async () => {
    const value = shaped();
    // A finder that reports the value spelled with a JSON escape in front of it.
    const escaped: ShapeFinder = (text) => {
      const at = text.indexOf("\\t" + value);
      return at < 0 ? [] : [{ start: at, end: at + 2 + value.length, format: "fake", value }];
    };
    const engine = await engineFor([], { shapes: true }, escaped);
    await engine.redactText(`a\\t${value}`);
    expect(engine.gateText(`b\\t${value}`)).toEqual(["shape:fake"]);
  });

  test("registered values win where a detection overlaps them", async () => {
    const value = shaped();
    const registeredPart = value.slice(3, 20);
    const engine = await engineFor([secret("REG", registeredPart)], { shapes: true }, fakeFinder);
    const { output, counts } = await engine.redactText(`x ${value} y`);
    expect(counts).toEqual({ REG: 1 });
    expect(output).not.toContain(registeredPart);
    // A detection of a registered value is the registered value: no new value learned.
    const whole = await engineFor([secret("WHOLE", value)], { shapes: true }, fakeFinder);
    expect((await whole.redactText(value)).counts).toEqual({ WHOLE: 1 });
    expect(whole.stats()).toEqual({ values: 1, detections: {} });
  });

  test("concurrent requests learn a value once", async () => {
    const value = shaped();
    const engine = await engineFor([], { shapes: true }, fakeFinder);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => engine.redactText(`${value}`)),
    );
    expect(new Set(results.map((r) => r.output)).size).toBe(1);
    expect(engine.stats()).toEqual({ values: 1, detections: { fake: 1 } });
  });

  test("shapes off or the format disabled: nothing detected", async () => {
    const value = shaped();
    const off = await engineFor([], { shapes: false }, fakeFinder);
    expect((await off.redactText(value)).output).toBe(value);
    const disabled = await engineFor([], { shapes: true, disabledFormats: ["fake"] }, fakeFinder);
    expect((await disabled.redactText(value)).output).toBe(value);
  });

  test("byte offsets hold with non-ASCII text around and between detections", async () => {
    const [a, b] = [shaped(), shaped()];
    const engine = await engineFor([], { shapes: true }, fakeFinder);
    const { output } = await engine.redactText(`\ufeffééé 😀 ${a} ü—中文 ${b}€ end`);
    const surrogate = "ficta_[A-Za-z0-9]{22}";
    expect(output).toMatch(new RegExp(`^\ufeffééé 😀 ${surrogate} ü—中文 ${surrogate}€ end$`));
  });

  test("a real U+FFFD in valid UTF-8, or an invalid byte as long as its text, keeps offsets", async () => {
    const value = shaped();
    const engine = await engineFor([], { shapes: true }, fakeFinder);
    const { output } = await engine.redactText(`\ufffd é \ufffd ${value} end`);
    expect(output).toMatch(/^\ufffd é \ufffd ficta_[A-Za-z0-9]{22} end$/);
    // 0x80 decodes to one U+FFFD: same length as the bytes, but not one character per byte.
    const input = new Uint8Array([0x80, 0xc3, 0xa9, 0xe2, 0x82, 0x20, ...bytes(value), 0x20]);
    const redacted = await engine.redactBytes(input);
    expect([...redacted.output.subarray(0, 6)]).toEqual([0x80, 0xc3, 0xa9, 0xe2, 0x82, 0x20]);
    expect(new TextDecoder().decode(redacted.output.subarray(6, -1))).toMatch(
      /^ficta_[A-Za-z0-9]{22}$/,
    );
  });

  test("bytes that are not UTF-8 still get detections at the right offsets", async () => {
    const value = shaped();
    const engine = await engineFor([], { shapes: true }, fakeFinder);
    const input = new Uint8Array([0xff, 0xc3, 0x20, ...bytes(value), 0x20, 0x80]);
    const { output } = await engine.redactBytes(input);
    expect([...output.subarray(0, 3)]).toEqual([0xff, 0xc3, 0x20]);
    expect([...output.subarray(-2)]).toEqual([0x20, 0x80]);
    expect(new TextDecoder().decode(output.subarray(3, -2))).toMatch(/^ficta_[A-Za-z0-9]{22}$/);
  });
});

describe("with the real shape finder", () => {
  const githubToken = () => {
    const body = crypto.getRandomValues(new Uint8Array(36));
    return "ghp_" + Array.from(body, (b) => ALNUM[b % ALNUM.length]).join("");
  };

  test("a token in a tool output is replaced, learned and restored", async () => {
    const token = githubToken();
    const engine = await compiledEngine([], await testKey(), { ...OPTIONS, shapes: true });
    const body = JSON.stringify({
      input: [{ type: "function_call_output", output: `Output:\nGH_TOKEN=${token}\n` }],
    });
    const { output, counts } = await engine.redactText(body);
    expect(output).not.toContain(token);
    expect(Object.values(counts)).toEqual([1]);
    expect(engine.stats().values).toBe(1);
    expect(engine.gateText(inner(inner(token)))).toHaveLength(1);
    const surrogate = output.match(SURROGATE_PATTERN)![0];
    expect(engine.restoreText(surrogate).output).toBe(token);
  });

  test("ordinary request text is not touched", async () => {
    const engine = await compileEngine([], await testKey(), { ...OPTIONS, shapes: true });
    const body = bytes(JSON.stringify({ input: [{ text: "ghp_ is GitHub's prefix; sk- too." }] }));
    expect((await engine.redactBytes(body)).output).toBe(body);
  });
});
