/**
 * Claude Code's cut of a long tool output (measured with 2.1.332): the first 2 KB, cut anywhere,
 * then `\n...\n</persisted-output>`. A value cut there must not leave its head in the request.
 */
import { expect, test } from "bun:test";
import { messagesDialect } from "../../../src/agents/claude/wire.ts";
import { compileEngine, importSurrogateKey } from "../../../src/core/mod.ts";

test("the head of a value cut by Claude Code's persisted-output preview is replaced", async () => {
  const value = `cut-${crypto.randomUUID()}`;
  const key = await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
  const engine = await compileEngine([{ name: "CUT_SECRET", source: "test", value }], key, {
    encoded: false,
    shapes: false,
    disabledFormats: [],
    restoreIntoTools: "all",
    dialect: messagesDialect,
  });
  for (const kept of [8, 12, 20, value.length - 1]) {
    const head = value.slice(0, kept);
    const preview =
      `<persisted-output>\nOutput too large (89.9KB). Full output saved to: /tmp/x.txt\n\n` +
      `Preview (first 2KB):\nk=${"A".repeat(40)}${head}\n...\n</persisted-output>`;
    const body = JSON.stringify({
      model: "m",
      messages: [{
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "t", content: preview }],
      }],
    });
    const out = await engine.redactText(body);
    expect(out.output).not.toContain(head);
    expect(out.output).toContain("</persisted-output>");
  }
});
