/**
 * The WebSocket relay with the real engine, between a Bun WebSocket client playing Codex and the
 * loopback Responses WebSocket mock: what the upstream receives, what Codex gets back.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  compileEngine,
  type Engine,
  importSurrogateKey,
  type Secret,
  SURROGATE_PATTERN,
} from "../../src/core/mod.ts";
import type { RequestEntry } from "../../src/report/index.ts";
import { createWebSocketRelay, type Transport } from "../../src/proxy/websocket.ts";
import { runtime, type Server } from "../../src/runtime/mod.ts";
import { type MockWsUpstream, startMockWsUpstream } from "../e2e/mock-ws-upstream.ts";
import type { Item, Script } from "../e2e/mock-upstream.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";
import { PROXY_TOKEN_HEADER } from "../../src/proxy/mod.ts";
import { codexProxy } from "../../src/agents/codex/proxy.ts";
import { codexWebSocket } from "../../src/agents/codex/websocket.ts";
import { responsesDialect } from "../../src/agents/codex/wire.ts";
import { fakeEngine, fakeSecrets } from "./fake-engine.ts";
import { startTestProxy, until } from "./harness.ts";

/** Bun's WebSocket client, which takes headers (a Bun client stands in for Codex). */
const ClientWebSocket = WebSocket as unknown as new (
  url: string,
  options: { headers?: Record<string, string> },
) => WebSocket;

// deno-lint-ignore no-explicit-any -- events are read field by field
type AnyEvent = Record<string, any>;

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

const TOKEN_HEADER = "x-ficta-token";

interface Stand {
  mock: MockWsUpstream;
  server: Server;
  url: string;
  entries: RequestEntry[];
  secrets: Secret[];
  engine: Engine;
  relay: ReturnType<typeof createWebSocketRelay>;
}

const stands: Stand[] = [];
afterEach(async () => {
  for (const s of stands.splice(0)) {
    await s.server.stop();
    await s.mock.stop();
  }
});

async function stand(
  script: Script,
  mockOptions: Parameters<typeof startMockWsUpstream>[1] = {},
  transport: Transport = "auto",
  maxFrameBytes = 1024 * 1024,
): Promise<Stand> {
  const secrets: Secret[] = [
    { name: "DB_PASSWORD", source: ".env", value: `pw-${crypto.randomUUID()}` },
    { name: "QUOTED_SECRET", source: ".env", value: `q"uo\\te-${crypto.randomUUID()}` },
  ];
  const key = await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
  const engine = await compileEngine(secrets, key, {
    encoded: true,
    shapes: true,
    disabledFormats: [],
    restoreIntoTools: "all",
    dialect: responsesDialect,
  });
  const mock = startMockWsUpstream(script, { deltaSize: 3, ...mockOptions });
  const entries: RequestEntry[] = [];
  const relay = createWebSocketRelay({
    engine,
    dialect: responsesDialect,
    support: codexWebSocket,
    identityHeaders: codexProxy.identityHeaders,
    tokenHeader: TOKEN_HEADER,
    maxFrameBytes,
    record: (entry) => entries.push(entry),
    connectTimeoutMs: 3000,
    transport,
    env: {},
  });
  const server = runtime.serve({
    hostname: "127.0.0.1",
    port: 0,
    webSocket: relay.serverOptions,
    error: () => new Response("error", { status: 500 }),
    handler: async (req, srv) =>
      await relay.upgrade(req, srv, {
        upstream: new URL(`${mock.origin}/v1/responses`),
        route: "openai",
        path: "/v1/responses",
      }),
  });
  const s = {
    mock,
    server,
    url: `ws://127.0.0.1:${server.port}/v1/responses`,
    entries,
    secrets,
    engine,
    relay,
  };
  stands.push(s);
  return s;
}

/** A Bun WebSocket client standing in for Codex; collects the events it receives. */
async function codex(url: string): Promise<{
  ws: WebSocket;
  events: Array<AnyEvent>;
  closed: Promise<{ code: number; reason: string }>;
  next(type: string): Promise<AnyEvent>;
}> {
  const ws = new ClientWebSocket(url, {
    headers: {
      authorization: "Bearer fake-login-key",
      "openai-beta": "responses_websockets=2026-02-06",
      [TOKEN_HEADER]: "token",
    },
  });
  const events: Array<AnyEvent> = [];
  const waiters: Array<() => void> = [];
  ws.onmessage = (e) => {
    events.push(JSON.parse(String(e.data)));
    for (const w of waiters.splice(0)) w();
  };
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.onclose = (e) => {
      resolve({ code: e.code, reason: e.reason });
      for (const w of waiters.splice(0)) w();
    };
  });
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("upgrade failed"));
  });
  // Events are consumed in order: `next` never returns one an earlier call already passed.
  let read = 0;
  const next = async (type: string) => {
    while (true) {
      const at = events.findIndex((e, i) => i >= read && e.type === type);
      if (at >= 0) {
        read = at + 1;
        return events[at];
      }
      if (ws.readyState !== WebSocket.OPEN) throw new Error(`closed before ${type}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { ws, events, closed, next };
}

function create(extra: Record<string, unknown>): string {
  return JSON.stringify({ type: "response.create", model: "gpt-test", stream: true, ...extra });
}

const userText = (text: string) => ({
  type: "message",
  role: "user",
  content: [{ type: "input_text", text }],
});

describe("WebSocket relay", () => {
  test("frames go up redacted; the answer comes back restored across split delta frames", async () => {
    const echo: Script = (body) => {
      const found = [...new Set(JSON.stringify(body).match(SURROGATE_PATTERN) ?? [])];
      const items: Item[] = [
        { type: "message", text: `I saw ${found.join(" and ")}.` },
        {
          type: "function_call",
          name: "exec_command",
          arguments: JSON.stringify({ cmd: `echo ${found[0]}` }),
        },
      ];
      return items;
    };
    const s = await stand(echo);
    const c = await codex(s.url);
    // The warm-up, then a turn chained on it, as Codex sends them.
    c.ws.send(create({ input: [], generate: false }));
    const warm = await c.next("response.completed");
    const [db, quoted] = s.secrets;
    c.ws.send(create({
      previous_response_id: warm.response.id,
      input: [userText(`password ${db.value} and ${quoted.value}`)],
    }));
    await c.next("response.completed");

    // What left: surrogates only, in every frame.
    const frames = s.mock.connections.flatMap((conn) => conn.frames).join("\n");
    for (const secret of s.secrets) {
      expect(frames.includes(secret.value)).toBe(false);
      expect(frames.includes(JSON.stringify(secret.value).slice(1, -1))).toBe(false);
    }
    expect(frames.match(SURROGATE_PATTERN)?.length).toBeGreaterThanOrEqual(2);
    expect(s.mock.frames()[1].previous_response_id).toBe(warm.response.id);

    // What came back: the real values, in the joined deltas and in the finished items.
    const text = c.events.filter((e) => e.type === "response.output_text.delta")
      .map((e) => e.delta).join("");
    expect(text).toBe(`I saw ${db.value} and ${quoted.value}.`);
    const args = c.events.filter((e) => e.type === "response.function_call_arguments.delta")
      .map((e) => e.delta).join("");
    expect(JSON.parse(args).cmd).toContain(db.value);
    const done = c.events.filter((e) => e.type === "response.output_item.done");
    expect(done[0].item.content[0].text).toBe(`I saw ${db.value} and ${quoted.value}.`);
    // The deltas were cut inside the surrogates upstream: no surrogate reached Codex.
    expect(JSON.stringify(c.events).match(SURROGATE_PATTERN)).toBeNull();

    // Logged: the upgrade and both request frames, the second with its redactions and restores.
    expect(s.entries.map((e) => [e.method, e.status])).toEqual([
      ["GET", 101],
      ["WS", 101],
      ["WS", 101],
    ]);
    const turn = s.entries[2];
    expect(turn.redacted.body).toEqual({ DB_PASSWORD: 1, QUOTED_SECRET: 1 });
    expect(turn.restored).toBeGreaterThanOrEqual(3);
    expect(turn.bytesUp).toBeLessThan(turn.bytesIn + 200);
    c.ws.close();
  });

  test("auth and openai-beta go up untouched; the launch token does not", async () => {
    const s = await stand(() => [{ type: "message", text: "ok" }]);
    const c = await codex(s.url);
    c.ws.send(create({ input: [], generate: false }));
    await c.next("response.completed");
    const headers = s.mock.connections[0].headers;
    expect(headers.authorization).toBe("Bearer fake-login-key");
    expect(headers["openai-beta"]).toBe("responses_websockets=2026-02-06");
    expect(headers[TOKEN_HEADER]).toBeUndefined();
    // permessage-deflate both ways.
    expect(headers["sec-websocket-extensions"]).toContain("permessage-deflate");
    expect(c.ws.extensions).toContain("permessage-deflate");
    c.ws.close();
  });

  test("a frame the gate refuses is not sent; Codex gets invalid_prompt with the message", async () => {
    const s = await stand(() => [{ type: "message", text: "never" }]);
    // A value redaction cannot swap: the model field (a protocol field ficta never rewrites).
    const c = await codex(s.url);
    const [db] = s.secrets;
    c.ws.send(JSON.stringify({ type: "response.create", model: db.value, input: [] }));
    const failed = await c.next("response.failed");
    expect(failed.response.error.code).toBe("invalid_prompt");
    expect(failed.response.error.message).toContain("ficta blocked this request");
    expect(failed.response.error.message).toContain("DB_PASSWORD");
    expect(failed.response.error.message.includes(db.value)).toBe(false);
    expect(s.mock.connections[0].frames).toEqual([]);
    const entry = s.entries.find((e) => e.method === "WS")!;
    expect(entry.blocked).toBe(true);
    expect(entry.blockedNames).toEqual(["DB_PASSWORD"]);
    c.ws.close();
  });

  test("binary and non-JSON frames close the connection with a reason; nothing is sent", async () => {
    const s = await stand(() => [{ type: "message", text: "never" }]);
    const c = await codex(s.url);
    c.ws.send(new Uint8Array([1, 2, 3]));
    const closed = await c.closed;
    expect(closed.code).toBe(1003);
    expect(closed.reason).toContain("binary");
    const d = await codex(s.url);
    d.ws.send("not json");
    expect((await d.closed).code).toBe(1007);
    await Bun.sleep(50);
    expect(s.mock.connections.flatMap((conn) => conn.frames)).toEqual([]);
    expect(s.mock.connections.reduce((n, conn) => n + conn.binary, 0)).toBe(0);
  });

  test("an oversize frame closes the connection (1009) and is not sent", async () => {
    const s = await stand(() => [{ type: "message", text: "never" }], {}, "auto", 4096);
    const c = await codex(s.url);
    c.ws.send(create({ input: [userText("x".repeat(10_000))] }));
    expect((await c.closed).code).toBe(1009);
    await Bun.sleep(50);
    expect(s.mock.connections.flatMap((conn) => conn.frames)).toEqual([]);
  });

  test("an upstream that refuses the upgrade: 426 now and for every later upgrade", async () => {
    const s = await stand(() => [{ type: "message", text: "never" }], { refuse: 403 });
    const answer = await fetch(s.url.replace("ws:", "http:"), {
      headers: {
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
      },
    });
    expect(answer.status).toBe(426);
    expect(await answer.text()).toContain("use HTTP");
    expect(s.mock.refused.length).toBe(1);
    expect(s.relay.fallenBack).toBe(true);
    await expect(codex(s.url)).rejects.toThrow();
    // The second upgrade did not try the upstream again.
    expect(s.mock.refused.length).toBe(1);
    // Logged, and not as refusals: Codex carries on over HTTP.
    expect(s.entries.map((e) => [e.status, e.refused])).toEqual([[426, null], [426, null]]);
    expect(s.entries[0].note).toBe(
      "the upstream WebSocket failed (upgrade refused or connection failed); falling back to HTTP",
    );
    expect(s.entries[1].note).toBe("websocket fallback: HTTP");
  });

  test("transport http: every upgrade is 426 without touching the upstream", async () => {
    const s = await stand(() => [{ type: "message", text: "never" }], {}, "http");
    await expect(codex(s.url)).rejects.toThrow();
    expect(s.mock.connections.length + s.mock.refused.length).toBe(0);
    expect(s.entries[0].note).toBe("websocket off: HTTP");
  });
});

describe("WebSocket through the proxy's front door", () => {
  test("an upgrade without the token, from a browser or for a foreign Host is refused; nothing opens upstream", async () => {
    const mock = startMockWsUpstream(() => [{ type: "message", text: "never" }]);
    const t = startTestProxy({
      engine: fakeEngine(fakeSecrets("API_TOKEN")),
      upstreamOrigin: mock.origin,
    });
    try {
      const upgrade = {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
      };
      const cases: Array<[RequestInit & { token?: string | null }, number]> = [
        [{ headers: upgrade, token: null }, 403],
        [{ headers: upgrade, token: "wrong" }, 403],
        [{ headers: { ...upgrade, origin: "https://evil.test" } }, 403],
        [{ headers: { ...upgrade, "sec-fetch-site": "cross-site" } }, 403],
        [{ headers: { ...upgrade, host: "evil.test" } }, 421],
      ];
      for (const [init, status] of cases) {
        const res = await t.send("/v1/responses", init);
        expect(res.status).toBe(status);
        expect(await res.text()).toStartWith("ficta refused this request");
      }
      // With the token, the same upgrade is relayed: the front door let Codex's own through.
      const codexSocket = new ClientWebSocket(
        `${t.proxy.origin.replace("http:", "ws:")}/v1/responses`,
        {
          headers: { [PROXY_TOKEN_HEADER]: t.token, authorization: "Bearer fake" },
        },
      );
      await new Promise<void>((resolve, reject) => {
        codexSocket.onopen = () => resolve();
        codexSocket.onerror = () => reject(new Error("upgrade failed"));
      });
      codexSocket.close();
      expect(mock.connections.length).toBe(1);
      expect(mock.refused).toEqual([]);
      await until(() => t.entries().length === cases.length + 1);
      expect(t.entries().slice(0, cases.length).map((e) => e.status)).toEqual(
        cases.map(([, status]) => status),
      );
    } finally {
      await t.close();
      await mock.stop();
    }
  });
});

describe("what the upstream sends", () => {
  /** An upstream that answers every frame with `frames` as given (raw text or bytes). */
  async function rawStand(frames: Array<string | Uint8Array>) {
    const upstream = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response("no", { status: 400 })),
      websocket: {
        message(ws) {
          for (const frame of frames) ws.send(frame);
        },
      },
    });
    const key = await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
    const secret = `pw-${crypto.randomUUID()}`;
    const engine = await compileEngine(
      [{ name: "DB_PASSWORD", source: ".env", value: secret }],
      key,
      {
        encoded: true,
        shapes: false,
        disabledFormats: [],
        restoreIntoTools: "all",
        dialect: responsesDialect,
      },
    );
    const relay = createWebSocketRelay({
      engine,
      dialect: responsesDialect,
      support: codexWebSocket,
      identityHeaders: codexProxy.identityHeaders,
      tokenHeader: TOKEN_HEADER,
      maxFrameBytes: 64 * 1024,
      record: () => {},
      env: {},
    });
    const server = runtime.serve({
      hostname: "127.0.0.1",
      port: 0,
      webSocket: relay.serverOptions,
      error: () => new Response("error", { status: 500 }),
      handler: async (req, srv) =>
        await relay.upgrade(req, srv, {
          upstream: new URL(`http://127.0.0.1:${upstream.port}/v1/responses`),
          route: "openai",
          path: "/v1/responses",
        }),
    });
    const surrogate = (await engine.redactText(secret)).output;
    return {
      url: `ws://127.0.0.1:${server.port}/v1/responses`,
      secret,
      surrogate,
      async stop() {
        await server.stop();
        await upstream.stop(true);
      },
    };
  }

  test("a pretty-printed event (line breaks as JSON whitespace) is restored and relayed as one frame", async () => {
    const holder: string[] = [];
    const s = await rawStand(holder);
    holder.push(
      JSON.stringify(
        { type: "response.output_text.delta", item_id: "m", delta: s.surrogate },
        null,
        2,
      ),
      JSON.stringify({ type: "response.completed", response: { id: "r" } }),
    );
    try {
      const c = await codex(s.url);
      c.ws.send(create({ input: [] }));
      const delta = await c.next("response.output_text.delta");
      expect(delta.delta).toBe(s.secret);
      await c.next("response.completed");
      c.ws.close();
    } finally {
      await s.stop();
    }
  });

  test("a binary or non-JSON frame from the upstream closes Codex's socket with a reason; nothing of it is relayed", async () => {
    for (
      const [frame, code] of [
        [new Uint8Array([0x7b, 0x7d]), 1003],
        ["data: not a Responses event", 1007],
        [JSON.stringify({ type: "response.output_text.delta", delta: "x".repeat(70_000) }), 1009],
      ] as const
    ) {
      const s = await rawStand([frame]);
      try {
        const c = await codex(s.url);
        c.ws.send(create({ input: [] }));
        const closed = await c.closed;
        expect(closed.code).toBe(code);
        expect(closed.reason).toStartWith("ficta: the upstream sent");
        expect(c.events).toEqual([]);
      } finally {
        await s.stop();
      }
    }
  });
});
