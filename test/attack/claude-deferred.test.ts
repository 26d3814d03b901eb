/**
 * Attacks on the deferred engine through Claude's proxy: requests that arrive before the engine
 * compiled from every source is ready (the agent is spawned before the registry walk) must wait,
 * never be forwarded with a partial engine; a signed thinking block among them (a resumed session's
 * first request) is gated with the full engine, not refused for being early nor let through; and a
 * compile that fails after the spawn (a registry source that throws) forwards nothing.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claudeProxy } from "../../src/agents/claude/proxy.ts";
import { messagesDialect } from "../../src/agents/claude/wire.ts";
import { schema } from "../../src/config/schema.ts";
import { compileEngine, type Engine, importSurrogateKey } from "../../src/core/mod.ts";
import { PROXY_TOKEN_HEADER, serve } from "../../src/proxy/mod.ts";
import { createSession } from "../../src/report/index.ts";
import { deferredEngine } from "../../src/session/deferred-engine.ts";
import { startMockAnthropic } from "../e2e/mock-anthropic.ts";
import { findLeaks } from "../leak-check.ts";

const value = `late "walk" \\ ${crypto.randomUUID()} é`;
const secrets = [{ name: "LATE_SECRET", source: "walk", value }];
const upstream = startMockAnthropic(() => [{ type: "text", text: "ok" }]);
const dir = mkdtempSync(join(tmpdir(), "ficta-attack-deferred-"));
const settings = schema.parse({ upstream: { anthropic: upstream.origin } });
const session = createSession(settings, { FICTA_HOME: join(dir, "home") });
const token = crypto.randomUUID();
const key = await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
const options = {
  encoded: true,
  shapes: false,
  disabledFormats: [],
  restoreIntoTools: "all" as const,
  dialect: messagesDialect,
};
const proxies: Array<{ stop(): Promise<void> }> = [];
afterAll(async () => {
  for (const proxy of proxies) await proxy.stop();
  session.close();
  await upstream.stop();
  rmSync(dir, { recursive: true, force: true });
});

function start(compiling: Promise<Engine>) {
  const unix = join(dir, `${proxies.length}.sock`);
  const proxy = serve({
    agent: claudeProxy,
    engine: deferredEngine(compiling),
    dialect: messagesDialect,
    settings,
    token,
    session,
    unix,
  });
  proxies.push(proxy);
  return (body: unknown) =>
    fetch("http://localhost/v1/messages?beta=true", {
      method: "POST",
      unix,
      headers: { [PROXY_TOKEN_HEADER]: token, "x-api-key": "sk-ant-api03-fake" },
      body: JSON.stringify(body),
    } as RequestInit);
}

const plain = { model: "m", stream: false, messages: [{ role: "user", content: `k=${value}` }] };
const resumed = {
  model: "m",
  stream: false,
  messages: [
    { role: "user", content: "hi" },
    { role: "assistant", content: [{ type: "thinking", thinking: "fine", signature: "c2ln" }] },
    { role: "user", content: `k=${value}` },
  ],
};
const signedLeak = {
  ...resumed,
  messages: [
    { role: "user", content: "hi" },
    { role: "assistant", content: [{ type: "thinking", thinking: value, signature: "c2ln" }] },
    { role: "user", content: "go" },
  ],
};

describe("attack: requests before the deferred engine is ready", () => {
  test("they wait for the full engine; thinking blocks are gated with it", async () => {
    const gate = Promise.withResolvers<void>();
    const send = start(gate.promise.then(() => compileEngine(secrets, key, options)));
    const before = upstream.received.length;
    const answers = [send(plain), send(resumed), send(signedLeak)];
    await Bun.sleep(150);
    expect(upstream.received.length).toBe(before); // nothing forwarded while compiling
    gate.resolve();
    const [a, b, c] = await Promise.all(answers);
    expect([a.status, b.status, c.status]).toEqual([200, 200, 451]);
    const got = upstream.received.slice(before);
    expect(got.length).toBe(2);
    for (const r of got) expect(findLeaks(r.raw, [{ name: "LATE_SECRET", value }])).toEqual([]);
  });

  test("a compile that fails after the spawn forwards nothing", async () => {
    const gate = Promise.withResolvers<void>();
    const send = start(gate.promise.then(() => {
      throw new Error("the secret manager went away");
    }));
    const before = upstream.received.length;
    const answers = [send(plain), send(resumed)];
    await Bun.sleep(50);
    gate.resolve();
    for (const answer of await Promise.all(answers)) {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(findLeaks(await answer.text(), [{ name: "LATE_SECRET", value }])).toEqual([]);
    }
    const late = await send(plain);
    expect(late.status).toBeGreaterThanOrEqual(400);
    expect(upstream.received.length).toBe(before);
  });
});
