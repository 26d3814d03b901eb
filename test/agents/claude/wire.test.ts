/**
 * Claude Code's Messages dialect through the core restorer: text and tool input split anywhere
 * (mid-escape too), Bash's command quoted for the shell, Write's content as exact text, thinking
 * byte for byte, whole JSON answers.
 */
import { describe, expect, test } from "bun:test";
import { messagesDialect } from "../../../src/agents/claude/wire.ts";
import { type Block, sseMessage } from "../../e2e/mock-anthropic.ts";
import { fakeSurrogate, sessionFor } from "../../core/restore/fixtures.ts";
import { restoreText } from "../../core/restore/whole.ts";

const value = `it's a "va lue" \\ $HOME ${crypto.randomUUID()} é`;
const { surrogates: [surrogate], lookup } = sessionFor([value]);
const options = { lookup, restoreIntoTools: "all" as const, dialect: messagesDialect };

/** Each block's text as Claude Code assembles it from the deltas. */
function assembled(stream: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of stream.split("\n")) {
    if (!line.startsWith("data: ")) continue;
    const event = JSON.parse(line.slice(6));
    if (event.type !== "content_block_delta") continue;
    const d = event.delta;
    out.set(
      event.index,
      (out.get(event.index) ?? "") + (d.text ?? d.partial_json ?? d.thinking ?? d.signature ?? ""),
    );
  }
  return out;
}

describe("Claude Code's Messages dialect", () => {
  test("Bash command: the value quoted for the shell, through partial_json cut everywhere", () => {
    for (let size = 1; size <= 7; size++) {
      const blocks: Block[] = [{
        type: "tool_use",
        name: "Bash",
        input: { command: `printf '%s' ${surrogate} > out.txt`, description: `uses ${surrogate}` },
        splits: [size],
      }];
      const { output } = restoreText(sseMessage(blocks).join(""), { ...options, kind: "sse" });
      const input = JSON.parse(assembled(output).get(0)!);
      expect(input.command).toBe(`printf '%s' '${value.replaceAll("'", "'\\''")}' > out.txt`);
      expect(input.description).toBe(`uses ${value}`);
    }
  });

  test("Write content and text deltas: the exact value, JSON-escaped for the transport", () => {
    const blocks: Block[] = [
      { type: "text", text: `see ${surrogate}.`, deltaSize: 3 },
      {
        type: "tool_use",
        name: "Write",
        input: { file_path: "/p/f", content: `k=${surrogate}\n` },
        splits: [1, 2],
      },
    ];
    const { output } = restoreText(sseMessage(blocks).join(""), { ...options, kind: "sse" });
    const parts = assembled(output);
    expect(parts.get(0)).toBe(`see ${value}.`);
    expect(JSON.parse(parts.get(1)!).content).toBe(`k=${value}\n`);
  });

  test("thinking and its signature pass byte for byte", () => {
    const blocks: Block[] = [
      {
        type: "thinking",
        thinking: `about ${surrogate} and ${fakeSurrogate()}`,
        signature: "c2ln+/==",
      },
      { type: "redacted_thinking", data: `${surrogate}` },
    ];
    const stream = sseMessage(blocks).join("");
    expect(restoreText(stream, { ...options, kind: "sse" }).output).toBe(stream);
  });

  test("a whole JSON answer: text restored, thinking untouched, Bash command quoted", () => {
    const answer = JSON.stringify({
      content: [
        { type: "thinking", thinking: `about ${surrogate}`, signature: "c2ln" },
        { type: "text", text: `here: ${surrogate}` },
        { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: `echo ${surrogate}` } },
      ],
    });
    const restored = JSON.parse(restoreText(answer, { ...options, kind: "json" }).output);
    expect(restored.content[0].thinking).toBe(`about ${surrogate}`);
    expect(restored.content[1].text).toBe(`here: ${value}`);
    expect(restored.content[2].input.command).toBe(`echo '${value.replaceAll("'", "'\\''")}'`);
  });
});
