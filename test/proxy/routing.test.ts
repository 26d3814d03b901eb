import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { PROXY_TOKEN_HEADER } from "../../src/proxy/mod.ts";
import { fakeEngine, fakeSecrets } from "./fake-engine.ts";
import {
  apiKeyHeaders,
  chatgptHeaders,
  sse,
  startTestProxy,
  type TestProxy,
  until,
} from "./harness.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

let t: TestProxy;
afterEach(async () => await t.close());

function start(options: { housekeepingNeedsToken?: boolean; upstreamOrigin?: string } = {}) {
  t = startTestProxy({ engine: fakeEngine(fakeSecrets("API_TOKEN")), ...options });
  return t;
}

describe("every routing row, end to end", () => {
  test.each(
    [
      ["POST", "/v1/responses", "chatgpt", "/backend-api/codex/responses", "chatgpt"],
      ["POST", "/v1/codex/responses", "chatgpt", "/backend-api/codex/responses", "chatgpt"],
      ["POST", "/v1/responses", "apikey", "/v1/responses", "openai"],
      [
        "GET",
        "/v1/models?client_version=0.169.0",
        "chatgpt",
        "/backend-api/codex/models?client_version=0.169.0",
        "chatgpt",
      ],
      ["GET", "/v1/models", "apikey", "/v1/models", "openai"],
      [
        "GET",
        "/backend-api/wham/accounts/check",
        "chatgpt",
        "/backend-api/wham/accounts/check",
        "backend-api",
      ],
      [
        "POST",
        "/v1/responses/compact",
        "chatgpt",
        "/backend-api/codex/responses/compact",
        "unlisted",
      ],
      ["POST", "/v1/responses/compact", "apikey", "/v1/responses/compact", "unlisted"],
    ] as const,
  )("%s %s (%s) -> %s", async (method, path, mode, upstreamTarget, route) => {
    start();
    const headers = mode === "chatgpt" ? chatgptHeaders() : apiKeyHeaders();
    const res = await t.send(path, {
      method,
      headers,
      body: method === "POST" ? JSON.stringify({ model: "m" }) : undefined,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(t.upstream.received.map((r) => `${r.method} ${r.target}`)).toEqual([
      `${method} ${upstreamTarget}`,
    ]);
    // Auth headers arrive exactly as Codex sent them.
    expect(t.upstream.received[0].headers.get("authorization")).toBe(headers.authorization);
    expect(t.upstream.received[0].headers.get("chatgpt-account-id")).toBe(
      headers["chatgpt-account-id"] ?? null,
    );
    await until(() => t.entries().length === 1);
    const [entry] = t.entries();
    expect(entry.route).toBe(route);
    expect(entry.status).toBe(200);
    // The log names the upstream without the query.
    expect(entry.upstream).toBe(t.upstream.origin + upstreamTarget.split("?")[0]);
  });
});

describe("ficta's own answers", () => {
  test("unknown path: 404 text/plain, not forwarded, logged", async () => {
    start();
    const res = await t.send("/admin/settings", {
      method: "POST",
      headers: chatgptHeaders(),
      body: "{}",
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toStartWith("text/plain");
    expect(await res.text()).toStartWith("ficta refused this request: POST /admin/settings");
    expect(t.upstream.received).toHaveLength(0);
    expect(t.entries()[0]).toMatchObject({ status: 404, refused: "not-allowed", route: null });
  });

  test("WebSocket upgrade: 426, not forwarded", async () => {
    start();
    const res = await t.send("/v1/responses", {
      headers: { ...chatgptHeaders(), connection: "Upgrade", upgrade: "websocket" },
    });
    expect(res.status).toBe(426);
    expect(await res.text()).toStartWith("ficta");
    expect(t.upstream.received).toHaveLength(0);
  });

  test("/v1 without the token, or with a wrong one: 403, not forwarded, logged", async () => {
    start();
    for (const token of [null, "wrong", t.token.slice(0, -1)]) {
      const res = await t.send("/v1/responses", {
        method: "POST",
        headers: chatgptHeaders(),
        body: "{}",
        token,
      });
      expect(res.status).toBe(403);
      expect(res.headers.get("content-type")).toStartWith("text/plain");
    }
    expect(t.upstream.received).toHaveLength(0);
    expect(t.entries().map((e) => [e.status, e.refused])).toEqual([
      [403, "token"],
      [403, "token"],
      [403, "token"],
    ]);
  });

  test("the token header is never forwarded upstream", async () => {
    start();
    await t.send("/v1/responses", { method: "POST", headers: chatgptHeaders(), body: "{}" });
    await t.send("/backend-api/wham/usage", { headers: chatgptHeaders() });
    expect(t.upstream.received).toHaveLength(2);
    for (const r of t.upstream.received) expect(r.headers.has(PROXY_TOKEN_HEADER)).toBe(false);
  });

  test("/backend-api without the token is forwarded by default; with the switch on it is 403", async () => {
    start();
    expect((await t.send("/backend-api/wham/usage", { token: null })).status).toBe(200);
    expect(t.upstream.received).toHaveLength(1);
    // A wrong token is a foreign caller, whatever the path.
    expect((await t.send("/backend-api/wham/usage", { token: "guess" })).status).toBe(403);
    expect(t.upstream.received).toHaveLength(1);
    await t.close();
    start({ housekeepingNeedsToken: true });
    expect((await t.send("/backend-api/wham/usage", { token: null })).status).toBe(403);
    expect((await t.send("/backend-api/wham/usage")).status).toBe(200);
    expect(t.upstream.received).toHaveLength(1);
  });

  test("a request from a web browser (Origin, Sec-Fetch-Site): 403 even with the right token", async () => {
    start();
    const browserHeaders: Record<string, string>[] = [
      { origin: "https://evil.test" },
      { "sec-fetch-site": "cross-site" },
    ];
    for (const extra of browserHeaders) {
      const res = await t.send("/backend-api/wham/usage", {
        headers: { ...chatgptHeaders(), ...extra },
      });
      expect(res.status).toBe(403);
    }
    expect(t.upstream.received).toHaveLength(0);
    expect(t.entries().map((e) => e.refused)).toEqual(["browser", "browser"]);
  });

  test("a Host other than 127.0.0.1:<port>: 421, not forwarded", async () => {
    start();
    for (const host of ["localhost:" + t.proxy.port, "evil.test", "127.0.0.1", "127.0.0.1:1"]) {
      const res = await t.send("/v1/responses", {
        method: "POST",
        headers: { ...chatgptHeaders(), host },
        body: "{}",
      });
      expect(res.status).toBe(421);
    }
    expect(t.upstream.received).toHaveLength(0);
    expect(t.entries().every((e) => e.refused === "host")).toBe(true);
  });

  test("upstream unreachable: 502 text/plain naming the upstream host", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const port = closed.port;
    const origin = `http://127.0.0.1:${port}`;
    await closed.stop(true);
    start({ upstreamOrigin: origin });
    const res = await t.send("/v1/responses", {
      method: "POST",
      headers: chatgptHeaders(),
      body: "{}",
    });
    expect(res.status).toBe(502);
    expect(res.headers.get("content-type")).toStartWith("text/plain");
    expect(await res.text()).toContain(`ficta could not reach the upstream 127.0.0.1:${port}`);
    expect(t.entries()[0]).toMatchObject({ status: 502, refused: "unreachable" });
  });

  test("stop() returns even while a stream is open, and the port is closed after", async () => {
    start();
    t.upstream.answer(() =>
      new Response(
        new ReadableStream({
          start: (c) => c.enqueue(new TextEncoder().encode(sse([{ type: "response.created" }]))),
          pull: () => Bun.sleep(50),
        }),
        { headers: { "content-type": "text/event-stream" } },
      )
    );
    const res = await t.send("/v1/responses", {
      method: "POST",
      headers: chatgptHeaders(),
      body: "{}",
    });
    expect(res.status).toBe(200);
    await res.body!.getReader().read();
    await t.proxy.stop();
    await expect(fetch(t.proxy.origin + "/v1/responses")).rejects.toThrow();
  });

  test("every request opts out of Bun's idle timeout (a silent stream survives it)", async () => {
    t = startTestProxy({ engine: fakeEngine([]), seams: { idleTimeout: 1 } });
    t.upstream.answer(() =>
      new Response(
        new ReadableStream({
          async start(c) {
            c.enqueue(new TextEncoder().encode("event: a\ndata: {}\n\n"));
            // Bun checks idle sockets every ~4 s: with idleTimeout 1 a 5 s pause is cut without the opt-out.
            await Bun.sleep(5000);
            c.enqueue(new TextEncoder().encode("event: b\ndata: {}\n\n"));
            c.close();
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      )
    );
    const res = await t.send("/v1/responses", {
      method: "POST",
      headers: chatgptHeaders(),
      body: "{}",
    });
    expect(await res.text()).toBe("event: a\ndata: {}\n\nevent: b\ndata: {}\n\n");
  }, 15_000);
});
