import { describe, expect, test } from "bun:test";
import { signedBlocks } from "../../../src/agents/claude/signed.ts";

describe("signed blocks of a Messages request", () => {
  test("thinking and redacted_thinking blocks of any message are found", () => {
    const body = JSON.stringify({
      model: "m",
      system: [{ type: "text", text: "thinking about it" }],
      messages: [
        { role: "user", content: "hi" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: 'a "b" ü', signature: "c2ln" },
            { type: "redacted_thinking", data: "ZGF0YQ==" },
            { type: "text", text: "thinking" },
          ],
        },
      ],
    });
    expect(signedBlocks(body).map((b) => JSON.parse(b).type)).toEqual([
      "thinking",
      "redacted_thinking",
    ]);
  });

  test("none, or not JSON: nothing", () => {
    expect(signedBlocks('{"messages":[{"role":"user","content":"x"}]}')).toEqual([]);
    expect(signedBlocks('{"thinking": ')).toEqual([]);
  });
});
