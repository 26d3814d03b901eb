import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { gzipSync, zstdCompressSync } from "node:zlib";
import {
  type FakeEngine,
  fakeEngine,
  type FakeSecret,
  fakeSecrets,
  randomSurrogate,
} from "./fake-engine.ts";
import { chatgptHeaders, sse, startTestProxy, type TestProxy, until } from "./harness.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

let t: TestProxy;
let engine: FakeEngine;
let secrets: FakeSecret[];
afterEach(async () => await t.close());

function start() {
  secrets = fakeSecrets("DB_PASSWORD", "STRIPE_KEY");
  engine = fakeEngine(secrets);
  t = startTestProxy({ engine });
}

const encoder = new TextEncoder();

function turn(path = "/v1/responses", token?: string | null) {
  return t.send(path, { method: "POST", headers: chatgptHeaders(), body: "{}", token });
}

function modelEvents(): unknown[] {
  const s = engine.surrogate("DB_PASSWORD");
  return [
    { type: "response.created", response: { id: "r1" } },
    { type: "response.output_text.delta", delta: `the password is ${s}` },
    {
      type: "response.output_item.done",
      item: {
        type: "function_call",
        name: "exec_command",
        arguments: JSON.stringify({ cmd: `echo ${s}` }),
      },
    },
    { type: "response.completed", response: { id: "r1", usage: { total_tokens: 1 } } },
  ];
}

describe("answers", () => {
  test("SSE: surrogates restored, also split across chunks, stats logged", async () => {
    start();
    const text = sse(modelEvents());
    t.upstream.answer(() =>
      new Response(
        new ReadableStream({
          async start(c) {
            // Small chunks split every token somewhere.
            for (let i = 0; i < text.length; i += 7) {
              c.enqueue(encoder.encode(text.slice(i, i + 7)));
              if (i % 70 === 0) await Bun.sleep(1);
            }
            c.close();
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      )
    );
    const res = await turn();
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const body = await res.text();
    expect(body).toBe(text.replaceAll(engine.surrogate("DB_PASSWORD"), secrets[0].value));
    await until(() => t.entries().length === 1);
    expect(t.entries()[0]).toMatchObject({
      restore: true,
      restored: 2,
      unknownSurrogates: 0,
      outcome: "complete",
    });
    expect(t.entries()[0].bytesOut).toBe(encoder.encode(body).length);
  });

  test("JSON and text restored; content-length dropped; unknown surrogates counted", async () => {
    start();
    const stranger = randomSurrogate();
    const json = JSON.stringify({ text: `${engine.surrogate("STRIPE_KEY")} and ${stranger}` });
    t.upstream.answer(() =>
      new Response(json, { headers: { "content-type": "application/json", "x-request-id": "abc" } })
    );
    const res = await turn();
    expect(res.headers.get("x-request-id")).toBe("abc");
    expect(await res.json()).toEqual({ text: `${secrets[1].value} and ${stranger}` });
    await until(() => t.entries().length === 1);
    expect(t.entries()[0]).toMatchObject({ restored: 1, unknownSurrogates: 1 });
  });

  test("no content-type: handed to the restorer to sniff", async () => {
    start();
    const text = sse(modelEvents());
    // A stream body is the one way to make Bun.serve send no content-type at all.
    t.upstream.answer(() =>
      new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(encoder.encode(text));
            c.close();
          },
        }),
      )
    );
    const res = await turn();
    expect(res.headers.has("content-type")).toBe(false);
    expect(await res.text()).toContain(secrets[0].value);
  });

  test("compressed answers are decoded and restored; content-encoding dropped", async () => {
    start();
    const text = sse(modelEvents());
    for (const [coding, encode] of [["gzip", gzipSync], ["zstd", zstdCompressSync]] as const) {
      t.upstream.answer(() =>
        new Response(encode(encoder.encode(text)), {
          headers: { "content-type": "text/event-stream", "content-encoding": coding },
        })
      );
      const res = await turn();
      expect(res.headers.has("content-encoding")).toBe(false);
      expect(await res.text()).toBe(
        text.replaceAll(engine.surrogate("DB_PASSWORD"), secrets[0].value),
      );
    }
  });

  test("binary answers pass through byte for byte, headers and all", async () => {
    start();
    const bytes = encoder.encode(`\x00PNG ${engine.surrogate("DB_PASSWORD")}`);
    const packed = gzipSync(bytes);
    t.upstream.answer(() =>
      new Response(packed, {
        status: 201,
        headers: { "content-type": "image/png", "content-encoding": "gzip", connection: "close" },
      })
    );
    const res = await turn();
    expect(res.status).toBe(201);
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(res.headers.get("content-length")).toBe(String(packed.length));
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(packed);
    await until(() => t.entries().length === 1);
    expect(t.entries()[0]).toMatchObject({ restore: false, restored: 0 });
  });

  test("hop-by-hop headers of the answer are not passed on", async () => {
    start();
    t.upstream.answer(() =>
      Response.json({ ok: 1 }, {
        headers: { connection: "x-hop", "x-hop": "1", "keep-alive": "timeout=5", "x-end": "2" },
      })
    );
    const res = await turn();
    expect(res.headers.has("x-hop")).toBe(false);
    expect(res.headers.has("keep-alive")).toBe(false);
    expect(res.headers.get("x-end")).toBe("2");
  });

  test("an upstream redirect is never passed to Codex (it would follow it around ficta)", async () => {
    start();
    for (const status of [301, 302, 307, 308]) {
      t.upstream.answer(() =>
        new Response(null, { status, headers: { location: "https://elsewhere.test/v1/responses" } })
      );
      const res = await turn();
      expect(res.status).toBe(502);
      expect(res.headers.has("location")).toBe(false);
      expect(await res.text()).toContain(`ficta refused a ${status} redirect`);
    }
    await until(() => t.entries().length === 4);
    expect(t.entries().every((e) => e.refused === "redirect")).toBe(true);
  });

  test("/backend-api without the token: answer not restored; with it: restored", async () => {
    start();
    const s = engine.surrogate("DB_PASSWORD");
    t.upstream.answer(() => Response.json({ echo: s }));
    expect(await (await turn("/backend-api/wham/usage", null)).json()).toEqual({ echo: s });
    expect(await (await turn("/backend-api/wham/usage")).json()).toEqual({
      echo: secrets[0].value,
    });
    await until(() => t.entries().length === 2);
    expect(t.entries().map((e) => e.restore)).toEqual([false, true]);
  });

  test("SSE is streamed: the first event arrives before the upstream finishes", async () => {
    start();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    t.upstream.answer(() =>
      new Response(
        new ReadableStream({
          async start(c) {
            c.enqueue(encoder.encode(sse([modelEvents()[1]])));
            await released;
            c.enqueue(encoder.encode(sse([modelEvents()[3]])));
            c.close();
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      )
    );
    const res = await turn();
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain("the password is");
    release();
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      rest += new TextDecoder().decode(r.value);
    }
    expect(first + rest).toContain(secrets[0].value);
    expect(first + rest).toContain("response.completed");
  });

  test("Codex going away aborts the upstream request", async () => {
    start();
    t.upstream.answer(() =>
      new Response(
        new ReadableStream({
          async pull(c) {
            c.enqueue(encoder.encode("event: x\ndata: {}\n\n"));
            await Bun.sleep(20);
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      )
    );
    const controller = new AbortController();
    const res = await t.send("/v1/responses", {
      method: "POST",
      headers: chatgptHeaders(),
      body: "{}",
      signal: controller.signal,
    });
    await res.body!.getReader().read();
    controller.abort();
    await until(() => t.upstream.signals[0]?.aborted === true);
    await until(() => t.entries().length === 1);
    expect(t.entries()[0].outcome).toBe("aborted");
  });

  test("Codex going away before the first byte aborts the upstream request", async () => {
    start();
    t.upstream.answer(async (req) => {
      await new Promise((resolve) => req.signal.addEventListener("abort", resolve));
      return new Response("late");
    });
    const controller = new AbortController();
    const pending = t.send("/v1/responses", {
      method: "POST",
      headers: chatgptHeaders(),
      body: "{}",
      signal: controller.signal,
    }).catch(() => null);
    await until(() => t.upstream.signals.length === 1);
    controller.abort();
    await pending;
    await until(() => t.upstream.signals[0].aborted);
    await until(() => t.entries().length === 1);
    expect(t.entries()[0]).toMatchObject({ status: 0, outcome: "aborted" });
  });
});
