/**
 * A credential-shaped string in the model's own signed reasoning: shape detection would replace it,
 * which breaks the block's signature (the API rejects it, the client retries). The proxy refuses
 * once instead; the same string outside a signed block is redacted and forwarded.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claudeProxy } from "../../src/agents/claude/proxy.ts";
import { messagesDialect } from "../../src/agents/claude/wire.ts";
import { schema } from "../../src/config/schema.ts";
import { compileEngine, importSurrogateKey } from "../../src/core/mod.ts";
import { PROXY_TOKEN_HEADER, serve } from "../../src/proxy/mod.ts";
import { createSession } from "../../src/report/index.ts";
import { startMockAnthropic } from "../e2e/mock-anthropic.ts";
import { fakes } from "../core/redact/shapes-fakes.ts";

const upstream = startMockAnthropic(() => [{ type: "text", text: "ok" }]);
const dir = mkdtempSync(join(tmpdir(), "ficta-claude-signed-"));
const settings = schema.parse({ upstream: { anthropic: upstream.origin } });
const session = createSession(settings, { FICTA_HOME: join(dir, "home") });
const token = crypto.randomUUID();
const key = await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
const engine = await compileEngine(
  [{ name: "REGISTERED", source: "test", value: `registered-${crypto.randomUUID()}` }],
  key,
  {
    encoded: true,
    shapes: true,
    disabledFormats: [],
    restoreIntoTools: "all",
    dialect: messagesDialect,
  },
);
const proxy = serve({
  agent: claudeProxy,
  engine,
  dialect: messagesDialect,
  settings,
  token,
  session,
});
afterAll(async () => {
  await proxy.stop();
  session.close();
  await upstream.stop();
  rmSync(dir, { recursive: true, force: true });
});

function send(content: unknown[]) {
  return fetch(`${proxy.origin}/v1/messages`, {
    method: "POST",
    headers: { [PROXY_TOKEN_HEADER]: token, "x-api-key": "sk-ant-api03-fake" },
    body: JSON.stringify({
      model: "m",
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content },
        { role: "user", content: "go on" },
      ],
    }),
  });
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
