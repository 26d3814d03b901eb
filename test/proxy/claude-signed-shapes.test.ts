/**
 * A credential-shaped string in the model's own signed reasoning: shape detection would replace it,
 * which breaks the block's signature (the API rejects it, the client retries). The proxy refuses
 * once instead; the same string outside a signed block is redacted and forwarded.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { startMockAnthropic } from "../e2e/mock-anthropic.ts";
import { startClaudeProxy } from "./claude-harness.ts";
import { fakes } from "../core/redact/shapes-fakes.ts";

const upstream = startMockAnthropic(() => [{ type: "text", text: "ok" }]);
const claude = await startClaudeProxy({
  upstream: upstream.origin,
  secrets: [{ name: "REGISTERED", source: "test", value: `registered-${crypto.randomUUID()}` }],
  shapes: true,
  unix: false,
});
afterAll(async () => {
  await claude.stop();
  await upstream.stop();
});

function send(content: unknown[]) {
  return claude.send(
    "/v1/messages",
    JSON.stringify({
      model: "m",
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content },
        { role: "user", content: "go on" },
      ],
    }),
  );
}

describe("a credential shape inside a signed thinking block", () => {
  test("refused once with ficta's message, nothing sent; outside a signed block it is redacted", async () => {
    const [format, , credential] = fakes()[0];
    const before = upstream.received.length;
    const refused = await send([
      { type: "thinking", thinking: `maybe ${credential} works`, signature: "c2ln" },
    ]);
    expect(refused.status).toBe(451);
    const error = await refused.json();
    expect(error.error.message).toStartWith("ficta blocked this request");
    expect(error.error.message).toContain("signed thinking blocks");
    expect(error.error.message).not.toContain(credential);
    expect(upstream.received.length).toBe(before);

    const sent = await send([{ type: "text", text: `maybe ${credential} works` }]);
    expect(sent.status, format).toBe(200);
    expect(upstream.received.length).toBe(before + 1);
    const received = upstream.received.at(-1)!.body;
    expect(received).not.toContain(credential);
  });
});
