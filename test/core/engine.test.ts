import { describe, expect, test } from "bun:test";
import { compileEngine } from "../../src/core/mod.ts";
import { SURROGATE_LENGTH, SURROGATE_PATTERN } from "../../src/core/surrogate.ts";
import type { Engine } from "../../src/core/types.ts";
import { responsesDialect } from "../../src/agents/codex/wire.ts";
import {
  bytes,
  compiledEngine,
  engineFor,
  fakePem,
  fakeValue,
  OPTIONS,
  randomString,
  secret,
  seeded,
  testKey,
  text,
} from "./fakes.ts";

const inner = (s: string) => JSON.stringify(s).slice(1, -1);

/** A Codex-like request body carrying `payload` in a message, a tool call and a tool output. */
function requestBody(payload: string): string {
  return JSON.stringify({
    model: "gpt-5-codex",
    input: [
      { type: "message", role: "user", content: [{ type: "input_text", text: `see ${payload}` }] },
      {
        type: "function_call",
        name: "exec_command",
        call_id: "call_1",
        arguments: JSON.stringify({ cmd: `echo '${payload}'`, workdir: "/tmp" }),
      },
      {
        type: "function_call_output",
        call_id: "call_1",
        output: `Chunk ID: 1a2b3c\nWall time: 0.0010 seconds\nProcess exited with code 0\n` +
          `Original token count: 12\nOutput:\nAPI_KEY=${payload}\n`,
      },
    ],
    stream: true,
  });
}

/** Every string in a JSON document, and in JSON documents nested in its strings. */
function allStrings(json: string): string[] {
  const out: string[] = [];
  const walk = (node: unknown) => {
    if (typeof node === "string") {
      out.push(node);
      try {
        const nested = JSON.parse(node);
        if (nested !== null && typeof nested === "object") walk(nested);
      } catch {
        // Not JSON: a plain string.
      }
    } else if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === "object") Object.values(node).forEach(walk);
  };
  walk(JSON.parse(json));
  return out;
}

async function redacted(engine: Engine, input: string): Promise<string> {
  const { output } = await engine.redactText(input);
  expect(engine.gateText(output)).toEqual([]);
  return output;
}

describe("each form of a value is caught", () => {
  const cases: Array<[string, string]> = [
    ["plain key", fakeValue(40)],
    ["quotes", `pa"ss'wo"rd-${fakeValue(10)}`],
    ["backslashes", `C:\\Users\\x\\${fakeValue(10)}\\`],
    ["newlines and tabs", `line one\nline\ttwo\r\n${fakeValue(10)}`],
    ["non-ASCII", `clé-secrète-€-😀-${fakeValue(10)}`],
    ["controls", `a\u0001b\u001fc\u007f-${fakeValue(10)}`],
    ["slashes and HTML", `</script>&<b>/${fakeValue(10)}`],
  ];
  for (const [label, value] of cases) {
    test(`${label}: raw, JSON, JSON in JSON, percent-encoded, \\u-escaped`, async () => {
      const engine = await engineFor([secret("S", value)]);
      const pythonAscii = inner(value).replace(
        /[\u0080-\uffff]/g,
        (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
      );
      const body = requestBody(value) + `\n${encodeURIComponent(value)}\n${pythonAscii}\n` +
        new URLSearchParams({ q: value }).toString();
      expect(engine.gateText(body)).toEqual(["S"]);
      const out = await redacted(engine, body);
      for (const s of allStrings(out.split("\n")[0])) expect(s).not.toContain(value);
      expect(out).not.toContain(encodeURIComponent(value));
      expect(out).not.toContain(pythonAscii);
      expect(out.match(SURROGATE_PATTERN)?.length).toBeGreaterThanOrEqual(6);
    });
  }

  test("the dotenv spelling (quoted, escaped) has its own surrogate and restores as itself", async () => {
    const value = `multi\nline "quoted" ${fakeValue(10)}`;
    const spelling = `"multi\\nline \\"quoted\\" ${value.slice(-10)}"`;
    const engine = await engineFor([secret("DOTENV", value, [spelling])]);
    const body = requestBody(`X=${spelling}`);
    const out = await redacted(engine, body);
    expect(out).not.toContain(value.slice(-10));
    const surrogates = new Set(out.match(SURROGATE_PATTERN));
    expect(surrogates.size).toBe(1);
    const [surrogate] = surrogates;
    expect((await engine.redactText(spelling)).output).toBe(surrogate);
    expect((await engine.redactText(value)).output).not.toBe(surrogate);
    expect(engine.restoreText(`X=${surrogate}`).output).toBe(`X=${spelling}`);
  });

  test("each line of a PEM block, registered on its own, is caught alone", async () => {
    const pem = fakePem();
    const lines = pem.split("\n").slice(1, -1);
    const engine = await engineFor([
      secret("KEY", pem),
      ...lines.map((line) => secret("KEY", line)),
    ]);
    // `head -3 key.pem` sends the header and two lines, not the whole block.
    const partial = pem.split("\n").slice(0, 3).join("\n");
    const out = await redacted(engine, requestBody(partial));
    for (const line of lines) expect(out).not.toContain(line);
    // The whole block still goes as one surrogate.
    const whole = await engine.redactText(requestBody(pem));
    expect(whole.counts).toEqual({ KEY: 3 });
  });

  test("counts are per value name", async () => {
    const a = fakeValue(20);
    const b = fakeValue(20);
    const engine = await engineFor([secret("A", a), secret("B", b)]);
    const { counts } = await engine.redactText(`${a} ${b} ${a} ${inner(a)}`);
    expect(counts).toEqual({ A: 3, B: 1 });
  });

  test("the same value under two names is one value with the first name", async () => {
    const value = fakeValue(20);
    const engine = await engineFor([secret("FIRST", value), secret("SECOND", value)]);
    expect((await engine.redactText(value)).counts).toEqual({ FIRST: 1 });
    expect(engine.stats().values).toBe(1);
  });
});

describe("passthrough", () => {
  test("bytes with no value come back as the very same object", async () => {
    const engine = await engineFor([secret("S", fakeValue(30))]);
    const input = bytes(requestBody("nothing to see"));
    const { output, counts } = await engine.redactBytes(input);
    expect(output).toBe(input);
    expect(counts).toEqual({});
    const text = requestBody("still nothing");
    expect((await engine.redactText(text)).output).toBe(text);
  });

  test("bytes around a value are byte-identical (no re-serialization)", async () => {
    const value = fakeValue(24);
    const engine = await engineFor([secret("S", value)]);
    const body =
      `{"a" : 1.50e+3,  "big": 123456789012345678901234567890, "s": "${value}",\t"u":"\\u00e9"}`;
    const { output } = await engine.redactText(body);
    const surrogate = output.match(SURROGATE_PATTERN)![0];
    expect(output).toBe(body.replace(value, surrogate));
  });

  test("an empty registry passes everything through and gates nothing", async () => {
    const engine = await engineFor([]);
    const input = bytes("anything at all");
    expect((await engine.redactBytes(input)).output).toBe(input);
    expect(engine.gateBytes(input)).toEqual([]);
  });
});

describe("gate", () => {
  test("catches a form the redaction pass was made to miss", async () => {
    const value = `s3cr"et/${fakeValue(20)}`;
    const engine = await engineFor([secret("MISSED", value), secret("OTHER", fakeValue(20))]);
    const clean = await redacted(engine, requestBody(value));
    // Inject what a faulty redaction would have left behind, in each form.
    const injected = [
      value,
      inner(value),
      inner(inner(value)),
      encodeURIComponent(value),
      bytes(value).toBase64(),
      bytes(value).toHex(),
    ];
    for (const leftover of injected) {
      const at = clean.indexOf("Output:");
      const leaky = clean.slice(0, at) + leftover + clean.slice(at);
      expect(engine.gateText(leaky)).toEqual(["MISSED"]);
      expect(engine.gateBytes(bytes(leaky))).toEqual(["MISSED"]);
    }
  });

  test("reports every value present, even one hidden inside another's match", async () => {
    const inside = fakeValue(12);
    const outer = `prefix-${inside}-suffix`;
    const engine = await engineFor([secret("INNER", inside), secret("OUTER", outer)]);
    expect(engine.gateText(`..${outer}..`)).toEqual(["INNER", "OUTER"]);
    expect((await engine.redactText(`..${outer}..`)).counts).toEqual({ OUTER: 1 });
  });
});

describe("encoded forms", () => {
  test("base64 (both alphabets, every alignment) and hex inside longer blobs: caught and gated", async () => {
    const rand = seeded(3);
    const value = fakeValue(24);
    const engine = await engineFor([secret("B64", value)]);
    for (let before = 0; before < 9; before++) {
      const blob = bytes(randomString(rand, "xyz", before) + value + randomString(rand, "q", 5));
      for (
        const encoded of [blob.toBase64(), blob.toBase64({ alphabet: "base64url" }), blob.toHex()]
      ) {
        const body = JSON.stringify({ encrypted_content: encoded });
        expect(engine.gateText(body)).toEqual(["B64"]);
        const { output, counts } = await engine.redactText(body);
        expect(counts).toEqual({ B64: 1 });
        expect(engine.gateText(output)).toEqual([]);
      }
    }
  });

  test("off: base64 passes (the gate checks the same forms as redaction)", async () => {
    const value = fakeValue(24);
    const engine = await engineFor([secret("B64", value)], { encoded: false });
    const body = bytes(value).toBase64();
    expect(engine.gateText(body)).toEqual([]);
    expect((await engine.redactText(body)).output).toBe(body);
  });
});

describe("surrogates and restore", () => {
  test("deterministic per key, surrogate-shaped, restored by the engine", async () => {
    const value = `p@ss"\n${fakeValue(12)}`;
    const secrets = [secret("S", value)];
    const key = await testKey();
    const a = await compiledEngine(secrets, key, OPTIONS);
    const b = await compileEngine(secrets, key, OPTIONS);
    const out = (await a.redactText(value)).output;
    expect(out).toHaveLength(SURROGATE_LENGTH);
    expect((await b.redactText(value)).output).toBe(out);
    expect(a.restoreText(`plain text ${out}`).output).toBe(`plain text ${value}`);
  });

  test("a redacted JSON body restores to the same JSON value", async () => {
    const value = `we"ird\\va\nlue-é-${fakeValue(12)}`;
    const engine = await engineFor([secret("S", value)]);
    const body = requestBody(value);
    const out = await redacted(engine, body);
    const { output, stats } = engine.restoreText(out);
    expect(JSON.parse(output)).toEqual(JSON.parse(body));
    expect(stats.restored).toBeGreaterThan(0);
  });

  test("the streaming restorer knows the engine's surrogates", async () => {
    const value = fakeValue(30);
    const engine = await engineFor([secret("S", value)]);
    const surrogate = (await engine.redactText(value)).output;
    const { stream, stats } = engine.restorer({
      contentType: "text/plain",
      dialect: responsesDialect,
    });
    const restored = await new Response(
      new Response(`answer: ${surrogate}.`).body!.pipeThrough(stream),
    ).text();
    expect(restored).toBe(`answer: ${value}.`);
    expect(stats.restored).toBe(1);
  });
});

describe("property: random values in random bodies", () => {
  test("no value survives redaction in any string, at any JSON depth; gate agrees", async () => {
    const rand = seeded(2024);
    const alphabet = ALPHABET;
    for (let round = 0; round < 40; round++) {
      const values = Array.from(
        { length: 1 + Math.floor(rand() * 8) },
        () => randomString(rand, alphabet, 8 + Math.floor(rand() * 30)),
      );
      const engine = await engineFor(values.map((v, i) => secret(`V${i}`, v)));
      const pieces: unknown[] = [];
      for (let k = 0; k < 20; k++) {
        const v = values[Math.floor(rand() * values.length)];
        const noise = randomString(rand, alphabet, Math.floor(rand() * 20));
        const where = Math.floor(rand() * 3);
        pieces.push(
          where === 0
            ? `${noise}${v}${noise}`
            : where === 1
            ? { arguments: JSON.stringify({ cmd: `${noise}${v}` }) }
            : { output: `Output:\nK=${v}\n${noise}` },
        );
      }
      const body = JSON.stringify({ input: pieces });
      const { output } = await engine.redactText(body);
      expect(engine.gateText(output)).toEqual([]);
      for (const s of allStrings(output)) {
        for (const v of values) expect(s.includes(v), `seed 2024 round ${round}`).toBe(false);
      }
    }
  });

  test("bodies without any value pass through byte-identical", async () => {
    const rand = seeded(99);
    const engine = await engineFor(
      Array.from({ length: 50 }, (_, i) => secret(`V${i}`, "Zq" + fakeValue(14))),
    );
    for (let round = 0; round < 50; round++) {
      const input = bytes(randomString(rand, ALPHABET, Math.floor(rand() * 5000)));
      expect((await engine.redactBytes(input)).output).toBe(input);
    }
  });
});

const ALPHABET = 'abcXYZ019 "\\/\n\té€😀<&+%=';

describe("bytes and text agree", () => {
  test("a view into a larger buffer is redacted within its bounds", async () => {
    const value = fakeValue(20);
    const engine = await engineFor([secret("S", value)], { shapes: true });
    const whole = bytes(`${value}|inside ${value} view|${value}`);
    const start = value.length + 1;
    const view = whole.subarray(start, whole.length - value.length - 1);
    const { output, counts } = await engine.redactBytes(view);
    expect(counts).toEqual({ S: 1 });
    expect(text(output)).toMatch(/^inside ficta_[A-Za-z0-9]{22} view$/);
    expect(engine.gateBytes(view)).toEqual(["S"]);
  });

  test("redactBytes on UTF-8 equals redactText", async () => {
    const value = `naïve-${fakeValue(10)}`;
    const engine = await engineFor([secret("S", value)]);
    const body = `«${value}» ${inner(value)}`;
    const fromText = (await engine.redactText(body)).output;
    expect(text((await engine.redactBytes(bytes(body))).output)).toBe(fromText);
  });
});
