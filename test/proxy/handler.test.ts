/**
 * The handler as a plain `Request -> Response` function, with no proxy server, driven by an agent
 * that is not Codex: what the proxy does comes from the `ProxyAgent` it is given (routes, identity
 * headers, tokenless calls, how a refusal is rendered), never from an agent's name.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { schema } from "../../src/config/schema.ts";
import { plainDialect } from "../../src/core/mod.ts";
import {
  createHandler,
  type HandlerOptions,
  plainRefusal,
  PROXY_TOKEN_HEADER,
  type ProxyAgent,
  type Refusal,
  upstreamUrl,
} from "../../src/proxy/mod.ts";
import type { RequestEntry } from "../../src/report/index.ts";
import { fakeEngine, fakeSecrets } from "./fake-engine.ts";
import { type MockUpstream, mockUpstream } from "./harness.ts";

const HOST = "127.0.0.1:4100";
let upstream: MockUpstream | undefined;
afterEach(async () => {
  await upstream?.stop();
  upstream = undefined;
});

/** An agent with its own route names, an identity header of its own, and JSON refusals. */
const echoAgent: ProxyAgent<{ api: string }> = {
  client: "Echo CLI",
  upstreams: (settings) => ({ api: settings.upstream.openai }),
  route: ({ method, pathname }, upstreams) => {
    if (method === "POST" && pathname === "/v9/echo") {
      return {
        name: "echo",
        kind: "turn",
        upstream: upstreamUrl(upstreams.api, "/echo"),
        provider: true,
      };
    }
    if (pathname === "/local/hello") {
      return {
        name: "hello",
        kind: "housekeeping",
        upstream: upstreamUrl(upstreams.api, "/never"),
        provider: false,
        answer: () => Response.json({ hello: true }),
      };
    }
    if (pathname.startsWith("/open/")) {
      return {
        name: "open",
        kind: "housekeeping",
        upstream: upstreamUrl(upstreams.api, pathname),
        provider: false,
      };
    }
    return null;
  },
  tokenless: (pathname) => pathname.startsWith("/open/"),
  identityHeaders: new Set(["x-echo-key"]),
  upstreamSettings: ["upstream.openai"],
  render: (refusal: Refusal) =>
    Response.json({ error: { message: refusal.message } }, {
      status: 200,
      headers: { "x-why": refusal.reason },
    }),
};

function setup(overrides: Partial<HandlerOptions> = {}) {
  const secrets = fakeSecrets("ECHO_SECRET");
  const engine = fakeEngine(secrets);
  upstream = mockUpstream();
  const entries: RequestEntry[] = [];
  const lines: string[] = [];
  const received: Request[] = [];
  const token = crypto.randomUUID();
  const handle = createHandler({
    agent: echoAgent,
    dialect: plainDialect,
    engine,
    settings: schema.parse({ upstream: { openai: upstream.origin } }),
    token,
    host: HOST,
    session: { bodiesLog: null, record: (entry) => void entries.push(entry), recordBody() {} },
    requestLines: (line) => lines.push(line),
    onBodyReceived: (request) => void received.push(request),
    ...overrides,
  });
  const request = (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    headers.set("host", HOST);
    const given = init.token === undefined ? token : init.token;
    if (given !== null) headers.set(PROXY_TOKEN_HEADER, given);
    return new Request(`http://${HOST}${path}`, { ...init, headers });
  };
  return { handle, request, secrets, entries, lines, received, upstream };
}

describe("createHandler, without a server", () => {
  test("routes by the agent's table and forwards redacted; identity headers go untouched", async () => {
    const t = setup();
    const value = t.secrets[0].value;
    const response = await t.handle(t.request("/v9/echo", {
      method: "POST",
      headers: { "x-echo-key": value, "x-note": value, "content-type": "application/json" },
      body: JSON.stringify({ say: value }),
    }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    const [sent] = t.upstream.received;
    expect(sent.target).toBe("/echo");
    expect(sent.headers.get("x-echo-key")).toBe(value);
    expect(sent.headers.get("x-note")).not.toContain(value);
    expect(new TextDecoder().decode(sent.body)).not.toContain(value);
    expect(sent.headers.has(PROXY_TOKEN_HEADER)).toBe(false);
    expect(t.received).toHaveLength(1);
    expect(t.entries[0]).toMatchObject({ route: "echo", kind: "turn", status: 200 });
    expect(t.lines).toHaveLength(1);
  });

  test("refusals are rendered by the agent and name its client", async () => {
    const t = setup();
    const missing = await t.handle(
      t.request("/v9/echo", { method: "POST", token: null, body: "{}" }),
    );
    expect(missing.status).toBe(200);
    expect(missing.headers.get("x-why")).toBe("token");
    expect((await missing.json()).error.message).toBe(
      "ficta refused this request: this proxy only serves the Echo CLI that ficta launched.",
    );
    const unknown = await t.handle(t.request("/v1/responses", { method: "POST", body: "{}" }));
    expect(unknown.headers.get("x-why")).toBe("not-allowed");
    expect(t.upstream.received).toEqual([]);
    expect(t.entries.map((entry) => entry.refused)).toEqual(["token", "not-allowed"]);
  });

  test("a request the gate refuses is logged with the stages it went through", async () => {
    const secrets = fakeSecrets("LEAKY");
    const t = setup({ engine: fakeEngine(secrets, ["LEAKY"]) });
    const response = await t.handle(
      t.request("/v9/echo", { method: "POST", body: JSON.stringify({ say: secrets[0].value }) }),
    );
    expect(response.headers.get("x-why")).toBe("blocked");
    expect(t.upstream.received).toEqual([]);
    expect(t.entries[0]).toMatchObject({ blocked: true, blockedNames: ["LEAKY"] });
    expect(Object.keys(t.entries[0].stagesMs)).toEqual(["read", "redact", "gate"]);
  });

  test("a redirect's refusal names the agent's upstream settings", async () => {
    const t = setup();
    t.upstream.answer(() =>
      new Response(null, { status: 307, headers: { location: "https://elsewhere.test/" } })
    );
    const response = await t.handle(t.request("/v9/echo", { method: "POST", body: "{}" }));
    expect(response.headers.get("x-why")).toBe("redirect");
    expect((await response.json()).error.message).toEndWith("Check upstream.openai.");
  });

  test("the agent's tokenless paths are served without the token, untrusted", async () => {
    const t = setup();
    const response = await t.handle(t.request("/open/ping", { token: null }));
    expect(response.status).toBe(200);
    await response.text(); // the entry is recorded once the answer has been sent
    expect(t.upstream.received.map((r) => r.target)).toEqual(["/open/ping"]);
    expect(t.entries[0]).toMatchObject({ route: "open", restore: false });
    // A wrong token is never tolerated, tokenless path or not.
    const wrong = await t.handle(t.request("/open/ping", { token: "not-the-token" }));
    expect(wrong.headers.get("x-why")).toBe("token");
  });

  test("a route the agent answers itself is neither read nor forwarded", async () => {
    const t = setup();
    const response = await t.handle(t.request("/local/hello", { method: "POST", body: "{}" }));
    expect(await response.json()).toEqual({ hello: true });
    expect(t.upstream.received).toEqual([]);
    expect(t.received).toEqual([]);
    expect(t.entries[0]).toMatchObject({
      route: "hello",
      upstream: null,
      status: 200,
      refused: null,
    });
  });

  test("no request lines without a sink; the Host is the one given", async () => {
    const t = setup({ requestLines: undefined });
    const request = new Request(`http://127.0.0.1:1/v9/echo`, { method: "POST", body: "{}" });
    const response = await t.handle(request);
    expect(response.headers.get("x-why")).toBe("host");
    expect(t.entries).toHaveLength(1);
    expect(t.lines).toEqual([]);
  });

  test("plainRefusal: the status and the message as text/plain", async () => {
    const response = plainRefusal({
      status: 400,
      reason: "blocked",
      message: "ficta blocked this request.",
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await response.text()).toBe("ficta blocked this request.");
  });
});
