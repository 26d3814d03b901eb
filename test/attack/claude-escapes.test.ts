/**
 * Attack on restore through `input_json_delta.partial_json` when the model writes the surrogate
 * with JSON escapes of its own (`\uXXXX` for some letters, `\/`) and the pieces cut mid-escape:
 * what Claude Code assembles must be valid JSON whose field is either the exact value (restored)
 * or the surrogate as the model wrote it, never a mix; and whatever it is, echoed next turn it
 * must not carry the value past redaction (independent leak check).
 */
import { describe, expect, test } from "bun:test";
import { messagesDialect } from "../../src/agents/claude/wire.ts";
import { compileEngine, importSurrogateKey } from "../../src/core/mod.ts";
import { sseMessage } from "../e2e/mock-anthropic.ts";
import { findLeaks } from "../leak-check.ts";

const value = `esc "q" \\ / ${crypto.randomUUID()} é`;
const secrets = [{ name: "ESC_SECRET", source: "test", value }];
const key = await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
const engine = await compileEngine(secrets, key, {
  encoded: true,
  shapes: false,
  disabledFormats: [],
  restoreIntoTools: "all",
  dialect: messagesDialect,
});
const surrogate = (await engine.redactText(value)).output;

async function restored(sse: string): Promise<string> {
  const { stream } = engine.restorer({
    contentType: "text/event-stream",
    dialect: messagesDialect,
  });
  const out = new Response(new Blob([sse]).stream().pipeThrough(stream));
  return await out.text();
}

function inputOf(stream: string): Record<string, string> {
  let json = "";
  for (const line of stream.split("\n")) {
    if (!line.startsWith("data: ")) continue;
    const event = JSON.parse(line.slice(6));
    if (event.delta?.type === "input_json_delta") json += event.delta.partial_json;
  }
  return JSON.parse(json);
}

const escapers: Array<[string, (s: string) => string]> = [
  ["plain", (s) => JSON.stringify(s)],
  [
    "\\u every 3rd char",
    (s) =>
      `"${
        [...s].map((c, i) =>
          i % 3 === 0 && c.charCodeAt(0) < 0x10000
            ? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`
            : JSON.stringify(c).slice(1, -1)
        ).join("")
      }"`,
  ],
  ["\\/ for slashes", (s) => JSON.stringify(s).replaceAll("/", "\\/")],
];

describe("attack: model-escaped surrogates in partial_json", () => {
  for (const [how, escape] of escapers) {
    test(`${how}, cut at every size 1..9`, async () => {
      let restoredCount = 0;
      for (let size = 1; size <= 9; size++) {
        for (const tool of ["Write", "Bash"]) {
          const field = tool === "Write" ? "content" : "command";
          const text = `a ${surrogate} b`;
          const json = `{"file_path":"/p","${field}":${escape(text)}}`;
          const sse = sseMessage([{
            type: "tool_use",
            name: tool,
            input: {},
            json,
            splits: [size],
          }])
            .join("");
          const input = inputOf(await restored(sse));
          const got = input[field];
          if (tool === "Write") expect([`a ${value} b`, text]).toContain(got);
          if (tool === "Write" && how === "plain") expect(got).toBe(`a ${value} b`);
          if (got !== text) restoredCount++;
          const echo = JSON.stringify({
            messages: [{
              role: "assistant",
              content: [{ type: "tool_use", id: "t", name: tool, input }],
            }],
          });
          const out = await engine.redactText(echo);
          expect(findLeaks(out.output, secrets)).toEqual([]);
        }
      }
      // Measured: plain and `\/` restore all 18; a surrogate with `\u`-escaped letters is not
      // recognised and reaches the client as the surrogate (a fidelity limit, no leak).
      if (how !== "\\u every 3rd char") expect(restoredCount).toBe(18);
    });
  }
});
