import { describe, expect, test } from "bun:test";
import { compileEngine, importSurrogateKey } from "../../../src/core/mod.ts";
import { cutEdges, MIN_PIECE, minimumPiece } from "../../../src/core/redact/truncation.ts";
import { responsesDialect } from "../../../src/agents/codex/wire.ts";

const options = {
  encoded: true,
  shapes: false,
  disabledFormats: [],
  restoreIntoTools: "all" as const,
  dialect: responsesDialect,
};

async function engineFor(values: string[]) {
  const key = await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
  return compileEngine(
    values.map((value, i) => ({ name: `V${i}`, source: "t", value })),
    key,
    options,
  );
}

/** A request body as Codex sends a tool output back: the output is a JSON string. */
function body(output: string): string {
  return JSON.stringify({
    input: [{ type: "function_call_output", call_id: "c1", output }],
  });
}

/** Codex's exec_command output: header lines, then the command's output. */
function execOutput(stdout: string): string {
  return `Chunk ID: 1a2b3c\nWall time: 0.0010 seconds\nProcess exited with code 0\nOriginal token count: 900\nOutput:\n${stdout}`;
}

/** Head and tail of `text` around Codex's marker, cut at `head` and `tail` characters. */
function truncated(text: string, head: number, tail: number): string {
  return `${text.slice(0, head)}…${Math.ceil((text.length - head - tail) / 4)} tokens truncated…${
    text.slice(text.length - tail)
  }`;
}

/** A seeded generator, so a failure can be replayed. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

describe("truncation", () => {
  test("marker edges and tool output edges are found, JSON escapes respected", () => {
    const json = body(execOutput(truncated("x".repeat(100) + '"q"', 40, 30)));
    // The engine's view: one char per byte.
    const text = new TextDecoder("latin1").decode(new TextEncoder().encode(json));
    const ellipsis = new TextDecoder("latin1").decode(new TextEncoder().encode("…"));
    const { before, after } = cutEdges(
      new TextEncoder().encode(json),
      responsesDialect.truncation!,
    );
    const marker = text.indexOf(ellipsis);
    expect(before.map(([edge]) => edge)).toContain(marker);
    const close = text.indexOf(ellipsis, marker + 1) + ellipsis.length;
    expect(after.map(([edge]) => edge)).toContain(close);
    const start = text.indexOf("Output:\\n") + "Output:\\n".length;
    expect(after.map(([edge]) => edge)).toContain(start);
    expect(before.map(([edge]) => edge)).toContain(text.lastIndexOf('"}'));
  });

  test("a value cut by the marker: neither piece leaves, in any cut position", async () => {
    const value = Array.from({ length: 36 }, (_, i) => ALPHABET[(i * 7 + 3) % 64]).join("");
    const engine = await engineFor([value]);
    const file = `# config\nAPI_TOKEN=${value}\nOTHER=1\n`;
    const at = file.indexOf(value);
    const min = minimumPiece(value.length);
    for (let cut = 1; cut < value.length; cut++) {
      // Head ends `cut` characters into the value; the tail starts right after the marker.
      const sent = body(execOutput(truncated(file, at + cut, file.length - at - cut - 2)));
      const { output } = await engine.redactText(sent);
      const head = value.slice(0, cut);
      if (cut >= min) expect(output.includes(head)).toBe(false);
    }
  });

  test("two reads with different limits never rebuild a value (seeded, 300 cases)", async () => {
    const random = rng(11);
    for (let round = 0; round < 300; round++) {
      const length = 12 + Math.floor(random() * 60);
      const value = Array.from({ length }, () => ALPHABET[Math.floor(random() * 64)]).join("");
      const engine = await engineFor([value]);
      const file = `PREFIX_LINE=abc\nSECRET=${value}\nTAIL_LINE=xyz\n`;
      const at = file.indexOf(value);
      // Each read cuts somewhere inside the value: keeps a head of it, or a tail of it.
      const learned = new Set<string>();
      for (let read = 0; read < 2; read++) {
        const cut = 1 + Math.floor(random() * (length - 1));
        const sent = body(execOutput(truncated(file, at + cut, file.length - at - cut)));
        const { output } = await engine.redactText(sent);
        const inner = JSON.parse(output).input[0].output as string;
        const [head, tail] = inner.split(/…\d+ tokens truncated…/);
        learned.add(head.slice(head.indexOf("SECRET=") + 7));
        learned.add(tail);
      }
      const known = [...learned].join("");
      // What leaked: at most MIN_PIECE - 1 characters from each end of the value.
      let prefix = 0;
      while (
        prefix < length && [...learned].some((p) => p.startsWith(value.slice(0, prefix + 1)))
      ) {
        prefix++;
      }
      let suffix = 0;
      while (
        suffix < length && [...learned].some((p) => p.includes(value.slice(length - suffix - 1)))
      ) {
        suffix++;
      }
      const min = minimumPiece(length);
      expect(prefix).toBeLessThan(min);
      expect(suffix).toBeLessThan(min);
      expect(known.includes(value)).toBe(false);
    }
  }, 30_000);

  test("the start and end of a tool output (head -c, tail -c) are edges too", async () => {
    const value = `tok-${crypto.randomUUID()}`;
    const engine = await engineFor([value]);
    const headOnly = body(execOutput(`KEY=${value.slice(0, 20)}`));
    expect((await engine.redactText(headOnly)).output).not.toContain(value.slice(0, 20));
    const tailOnly = body(execOutput(value.slice(-20)));
    expect((await engine.redactText(tailOnly)).output).not.toContain(value.slice(-20));
  });

  test("pieces below the minimum and pieces away from an edge are left alone", async () => {
    const value = `tok-${crypto.randomUUID()}`;
    const engine = await engineFor([value]);
    const short = body(execOutput(`x${value.slice(0, MIN_PIECE - 1)}`));
    expect((await engine.redactText(short)).output).toBe(short);
    const middle = body(execOutput(`${value.slice(0, 20)} and more text after it`));
    expect((await engine.redactText(middle)).output).toBe(middle);
  });

  test("an escaped form cut by the marker (a quote in the value) is caught", async () => {
    const value = `pa"ss\\word-${crypto.randomUUID()}`;
    const engine = await engineFor([value]);
    const sent = body(execOutput(truncated(`V=${value}\n`, 2 + 18, 10)));
    const { output } = await engine.redactText(sent);
    expect(output).not.toContain(JSON.stringify(value.slice(0, 18)).slice(1, -1));
  });

  test('the guardian transcript\'s <truncated omitted_approx_tokens="N" /> marker is an edge too', async () => {
    const value = `tok-${crypto.randomUUID()}`;
    const engine = await engineFor([value]);
    const transcript = `KEY=${value.slice(0, 20)}<truncated omitted_approx_tokens="40" />${
      value.slice(-14)
    }\n`;
    const sent = JSON.stringify({
      input: [{ role: "user", content: [{ type: "input_text", text: transcript }] }],
    });
    const { output } = await engine.redactText(sent);
    expect(output).not.toContain(value.slice(0, 20));
    expect(output).not.toContain(value.slice(-14));
    expect(output).toContain('<truncated omitted_approx_tokens=\\"40\\" />');
  });
});
