/**
 * Attacks on `ficta claude`'s wire (Messages dialect, Unix-socket proxy), checked on the bytes the
 * mock Anthropic received with the independent leak check (test/leak-check.ts), seeded values:
 *
 * - a tool input whose JSON text the model streams in `input_json_delta.partial_json` pieces cut
 *   at seeded random places (mid-escape, mid-`\u` escape, mid-surrogate-value) comes back to the
 *   client as the exact value, and the client's echo of it next turn (tool_use input, tool_result
 *   content arrays with text and base64 images, `system` as string and as blocks, a
 *   `role:"system"` message) reaches the upstream without the value;
 * - count_tokens is redacted like Messages;
 * - a registered value in a thinking / redacted_thinking block or in a `signature`, plain,
 *   `\u`-escaped, gzip- or zstd-compressed, streaming or not: refused, nothing forwarded.
 */
import { afterAll, describe, expect, test } from "bun:test";
import zlib from "node:zlib";
import { type Block, type MessagesBody, startMockAnthropic } from "../e2e/mock-anthropic.ts";
import { findLeaks } from "../leak-check.ts";
import { startClaudeProxy } from "../proxy/claude-harness.ts";

const SEED = Number(process.env.ATTACK_SEED ?? 0x5eed1);
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(SEED);
const ALPHABET = [..."abcXYZ019 '\"\\$`\n\t/é€😀-_=+{}[]<>&;|"];
function nasty(length: number): string {
  let out = `Q${crypto.randomUUID().slice(0, 8)}`;
  while (out.length < length) out += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return out + "Z";
}

const values = [nasty(12), nasty(40), nasty(300)];
const secrets = values.map((value, i) => ({ name: `ATTACK_${i}`, source: "test", value }));
/** Surrogates the model saw, by value index (read from what the upstream received). */
const seen = new Map<number, string>();
const splitsFor = () => Array.from({ length: 9 }, () => 1 + Math.floor(random() * 8));

const upstream = startMockAnthropic((body: MessagesBody): Block[] => {
  const first = body.messages?.[0]?.content;
  const text = typeof first === "string" ? first : "";
  for (const match of text.matchAll(/<<(\d+):([\s\S]*?)>>/g)) seen.set(Number(match[1]), match[2]);
  const blocks: Block[] = [{ type: "text", text: "ok", deltaSize: 1 }];
  for (const [i, surrogate] of seen) {
    blocks.push({
      type: "tool_use",
      name: "Write",
      input: { file_path: `/tmp/f${i}`, content: `a${surrogate}b\n${surrogate}` },
      splits: splitsFor(),
    });
    blocks.push({
      type: "tool_use",
      name: "Bash",
      input: { command: `printf '%s' ${surrogate}`, description: surrogate },
      splits: splitsFor(),
    });
  }
  return blocks;
}, { compress: true, chunkBytes: 7 });

const claude = await startClaudeProxy({ upstream: upstream.origin, secrets });
afterAll(async () => {
  await claude.stop();
  await upstream.stop();
});

function send(path: string, body: BodyInit, headers: Record<string, string> = {}) {
  return claude.send(path, body, { "content-type": "application/json", ...headers });
}

/** Blocks as Claude Code assembles them from the stream. */
function assemble(stream: string): Array<Record<string, unknown>> {
  const blocks: Array<Record<string, unknown> & { json?: string }> = [];
  for (const line of stream.split("\n")) {
    if (!line.startsWith("data: ")) continue;
    const event = JSON.parse(line.slice(6));
    if (event.type === "content_block_start") {
      blocks[event.index] = { ...event.content_block, json: "" };
    }
    if (event.type === "content_block_delta") {
      const block = blocks[event.index];
      if (event.delta.type === "text_delta") {
        block.text = String(block.text ?? "") + event.delta.text;
      }
      if (event.delta.type === "input_json_delta") block.json += event.delta.partial_json;
    }
  }
  return blocks.map(({ json, ...block }) =>
    block.type === "tool_use" ? { ...block, input: JSON.parse(json || "{}") } : block
  );
}

/** JSON text with every string's a-f letters and non-ASCII written as `\\u` escapes (valid JSON). */
function uEscaped(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value).replace(
      /(\\*)([a-f]|[^ -~])/g,
      (all, slashes: string, c: string) =>
        slashes.length % 2 ? all : `${slashes}\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  }
  if (Array.isArray(value)) return `[${value.map(uEscaped).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${uEscaped(k)}:${uEscaped(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const leaksIn = (bytes: string) =>
  findLeaks(bytes, secrets.map(({ name, value }) => ({ name, value })));

describe("attack: Claude's Messages wire", () => {
  test("partial_json cut anywhere: exact values back, and the echo next turn leaks nothing", async () => {
    const prompt = values.map((value, i) => `<<${i}:${value}>>`).join(" ");
    const first = { model: "m", stream: true, messages: [{ role: "user", content: prompt }] };
    const answer = await send("/v1/messages?beta=true", JSON.stringify(first));
    expect(answer.status).toBe(200);
    const blocks = assemble(await answer.text());
    expect(leaksIn(upstream.received.at(-1)!.body)).toEqual([]);
    expect(seen.size).toBe(values.length);
    for (const [i, value] of values.entries()) {
      const write = blocks.find((b) =>
        b.name === "Write" && (b.input as { file_path?: string }).file_path === `/tmp/f${i}`
      );
      expect((write!.input as { content?: string }).content).toBe(`a${value}b\n${value}`);
    }
    const base64 = (text: string) => Buffer.from(text).toString("base64");
    const second = {
      model: "m",
      stream: true,
      system: [{ type: "text", text: `sys ${values[0]}` }, { type: "text", text: values[2] }],
      messages: [
        { role: "system", content: `role system ${values[1]}` },
        { role: "user", content: prompt },
        { role: "assistant", content: blocks },
        {
          role: "user",
          content: blocks.filter((b) => b.type === "tool_use").map((b, n) => ({
            type: "tool_result",
            tool_use_id: b.id,
            content: [
              { type: "text", text: `ran ${values[n % values.length]}` },
              {
                type: "image",
                source: {
                  type: "base64",
                  media_type: "image/png",
                  data: base64(values[n % values.length]),
                },
              },
            ],
          })),
        },
      ],
    };
    for (const body of [second, { ...second, system: `plain ${values.join("|")}` }]) {
      const before = upstream.received.length;
      const again = await send("/v1/messages?beta=true", zlib.gzipSync(JSON.stringify(body)), {
        "content-encoding": "gzip",
      });
      expect(again.status).toBe(200);
      await again.text();
      const got = upstream.received.slice(before);
      expect(got.length).toBe(1);
      expect(leaksIn(got[0].body)).toEqual([]);
      const counted = await send("/v1/messages/count_tokens?beta=true", JSON.stringify(body));
      expect(counted.status).toBe(200);
      expect(leaksIn(upstream.received.at(-1)!.body)).toEqual([]);
    }
  });

  const signedCases: Array<[string, (value: string) => Record<string, unknown>]> = [
    ["thinking", (v) => ({ type: "thinking", thinking: `so ${v}`, signature: "c2ln" })],
    ["signature", (v) => ({ type: "thinking", thinking: "hm", signature: v })],
    ["redacted_thinking", (v) => ({ type: "redacted_thinking", data: v })],
  ];
  const encodings: Array<[string, (text: string) => BodyInit, Record<string, string>]> = [
    ["plain", (t) => t, {}],
    ["\\u-escaped", (t) => uEscaped(JSON.parse(t)), {}],
    ["gzip", (t) => new Uint8Array(zlib.gzipSync(t)), { "content-encoding": "gzip" }],
    ["zstd", (t) => new Uint8Array(Bun.zstdCompressSync(new TextEncoder().encode(t))), {
      "content-encoding": "zstd",
    }],
    ["br", (t) => new Uint8Array(zlib.brotliCompressSync(t)), { "content-encoding": "br" }],
    ["deflate", (t) => new Uint8Array(zlib.deflateSync(t)), { "content-encoding": "deflate" }],
    ["gzip twice", (t) => new Uint8Array(zlib.gzipSync(zlib.gzipSync(t))), {
      "content-encoding": "gzip, gzip",
    }],
  ];
  for (const [where, block] of signedCases) {
    for (const [how, encode, headers] of encodings) {
      for (const stream of [true, false]) {
        test(`a value in ${where}, ${how}, stream ${stream}: refused, nothing forwarded`, async () => {
          const value = values[1];
          const before = upstream.received.length;
          const body = {
            model: "m",
            stream,
            messages: [
              { role: "user", content: "hi" },
              { role: "assistant", content: [block(value), { type: "text", text: "x" }] },
              { role: "user", content: "go on" },
            ],
          };
          const answer = await send(
            "/v1/messages?beta=true",
            encode(JSON.stringify(body)),
            headers,
          );
          expect(answer.status).toBe(451);
          expect(leaksIn(await answer.text())).toEqual([]);
          expect(upstream.received.length).toBe(before);
        });
      }
    }
  }
});
