/**
 * The proxy serving Claude Code over a Unix socket: the socket is the user's only (0600), the
 * Host Claude Code sends there (`localhost`) and the launch token admit a request, the Messages
 * routes reach `upstream.anthropic` redacted (query kept), other paths are refused locally, and a
 * registered value inside a signed thinking block is refused with Claude Code's 451, never
 * rewritten and never forwarded.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { PROXY_TOKEN_HEADER } from "../../src/proxy/mod.ts";
import { startMockAnthropic } from "../e2e/mock-anthropic.ts";
import { startClaudeProxy } from "./claude-harness.ts";

const secret = `claude-proxy-${crypto.randomUUID()}`;
const upstream = startMockAnthropic(() => [{ type: "text", text: "ok" }]);
const claude = await startClaudeProxy({
  upstream: upstream.origin,
  secrets: [{ name: "E2E_CLAUDE_SECRET", source: "test", value: secret }],
});
const { proxy } = claude;
const socket = claude.socket!;
afterAll(async () => {
  await claude.stop();
  await upstream.stop();
});

function send(path: string, body: unknown, headers: Record<string, string> = {}) {
  return claude.send(path, JSON.stringify(body), headers);
}

describe("the proxy for Claude Code, on a Unix socket", () => {
  test("the socket is the user's only; origin http://localhost", () => {
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(proxy.origin).toBe("http://localhost");
    expect(proxy.unix).toBe(socket);
  });

  test("Messages and count_tokens reach upstream.anthropic redacted, query kept", async () => {
    const before = upstream.received.length;
    const body = { model: "m", stream: true, messages: [{ role: "user", content: `k=${secret}` }] };
    const answer = await send("/v1/messages?beta=true", body);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('"text":"ok"');
    const counted = await send("/v1/messages/count_tokens?beta=true", body);
    expect(counted.status).toBe(200);
    const got = upstream.received.slice(before);
    expect(got.map((r) => r.url)).toEqual([
      "/v1/messages?beta=true",
      "/v1/messages/count_tokens?beta=true",
    ]);
    for (const r of got) {
      expect(r.body).not.toContain(secret);
      expect(r.body).toMatch(/k=ficta_[A-Za-z0-9]{22}/);
      expect(r.headers["x-api-key"]).toBe("sk-ant-api03-fake");
      expect(r.headers[PROXY_TOKEN_HEADER]).toBeUndefined();
    }
  });

  test("other paths, a wrong Host and a missing token are refused locally", async () => {
    const before = upstream.received.length;
    expect((await send("/v1/complete", {})).status).not.toBe(200);
    expect((await send("/v1/messages", {}, { host: "evil.example" })).status).toBe(421);
    const tokenless = await fetch("http://localhost/v1/messages", {
      method: "POST",
      unix: socket,
      body: "{}",
    } as RequestInit);
    expect(tokenless.status).not.toBe(200);
    expect(upstream.received.length).toBe(before);
  });

  test("a registered value in a signed thinking block: 451, verbatim message, nothing sent", async () => {
    const before = upstream.received.length;
    const answer = await send("/v1/messages?beta=true", {
      model: "m",
      stream: true,
      messages: [
        { role: "user", content: "hi" },
        {
          role: "assistant",
          content: [{ type: "thinking", thinking: `it is ${secret}`, signature: "c2ln" }],
        },
        { role: "user", content: "go on" },
      ],
    });
    expect(answer.status).toBe(451);
    const error = await answer.json();
    expect(error.type).toBe("error");
    expect(error.error.message).toStartWith("ficta blocked this request");
    expect(error.error.message).toContain("E2E_CLAUDE_SECRET");
    expect(error.error.message).not.toContain(secret);
    expect(upstream.received.length).toBe(before);
  });
});
