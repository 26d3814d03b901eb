import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  brotliCompressSync,
  deflateRawSync,
  deflateSync,
  gzipSync,
  zstdCompressSync,
} from "node:zlib";
import { type FakeEngine, fakeEngine, type FakeSecret, fakeSecrets } from "./fake-engine.ts";
import { chatgptHeaders, startTestProxy, type TestProxy } from "./harness.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

let t: TestProxy;
let engine: FakeEngine;
let secrets: FakeSecret[];
afterEach(async () => await t.close());

function start(missed: string[] = [], settings?: Record<string, Record<string, unknown>>) {
  secrets = fakeSecrets("DB_PASSWORD", "STRIPE_KEY");
  engine = fakeEngine(secrets, missed);
  t = startTestProxy({ engine, settings });
}

const [db, stripe] = [0, 1];

function turnBody(): string {
  return JSON.stringify({
    model: "m",
    input: [{
      type: "function_call_output",
      output: `DB=${secrets[db].value}\nSTRIPE=${secrets[stripe].value}\nDB again ${
        secrets[db].value
      }`,
    }],
  });
}

function post(body: BodyInit, headers: Record<string, string> = {}, path = "/v1/responses") {
  return t.send(path, { method: "POST", headers: { ...chatgptHeaders(), ...headers }, body });
}

function sentText(i = 0): string {
  return new TextDecoder().decode(t.upstream.received[i].body);
}

describe("request bodies", () => {
  test("plain JSON: every value replaced by its surrogate, counted by name, no value sent", async () => {
    start();
    const res = await post(turnBody());
    expect(res.status).toBe(200);
    const sent = sentText();
    for (const s of secrets) expect(sent).not.toContain(s.value);
    expect(sent.split(engine.surrogate("DB_PASSWORD")).length - 1).toBe(2);
    expect(sent).toContain(engine.surrogate("STRIPE_KEY"));
    expect(t.upstream.received[0].headers.get("content-length")).toBe(
      String(t.upstream.received[0].body.length),
    );
    expect(t.entries()[0].redacted).toEqual({ body: { DB_PASSWORD: 2, STRIPE_KEY: 1 } });
  });

  test("a body of several MiB: redacted, framed by content-length (not chunked), every byte sent", async () => {
    start();
    const line = `DB=${secrets[db].value} and some ordinary text around it\n`;
    const output = line.repeat(Math.ceil((3 * 1024 * 1024) / line.length));
    const body = JSON.stringify({ model: "m", input: [{ type: "function_call_output", output }] });
    const res = await post(body);
    expect(res.status).toBe(200);
    const received = t.upstream.received[0];
    expect(received.headers.get("transfer-encoding")).toBeNull();
    expect(received.headers.get("content-length")).toBe(String(received.body.length));
    const expected = body.replaceAll(secrets[db].value, engine.surrogate("DB_PASSWORD"));
    expect(sentText()).toBe(expected);
    expect(t.entries()[0].bytesUp).toBe(received.body.length);
  });

  const encoders: [string, (b: Uint8Array) => Uint8Array<ArrayBuffer>][] = [
    ["zstd", (b) => zstdCompressSync(b)],
    ["gzip", (b) => gzipSync(b)],
    ["x-gzip", (b) => gzipSync(b)],
    ["deflate", (b) => deflateSync(b)],
    ["deflate", (b) => deflateRawSync(b)],
    ["br", (b) => brotliCompressSync(b)],
    ["gzip, zstd", (b) => zstdCompressSync(gzipSync(b))],
    ["br, gzip, identity", (b) => gzipSync(brotliCompressSync(b))],
  ];
  test.each(encoders)(
    "content-encoding %s: decoded, redacted, forwarded decoded",
    async (coding, encode) => {
      start();
      const plain = new TextEncoder().encode(turnBody());
      const res = await post(encode(plain), { "content-encoding": coding });
      expect(res.status).toBe(200);
      const received = t.upstream.received[0];
      expect(received.headers.has("content-encoding")).toBe(false);
      expect(received.headers.get("content-length")).toBe(String(received.body.length));
      const sent = sentText();
      expect(sent).toStartWith('{"model":"m"');
      for (const s of secrets) expect(sent).not.toContain(s.value);
      expect(sent).toContain(engine.surrogate("STRIPE_KEY"));
      expect(t.entries()[0].bytesIn).toBeLessThan(plain.length);
    },
  );

  test("undecodable or unknown content-encoding: 415, nothing forwarded", async () => {
    start();
    for (
      const [coding, body] of [
        ["gzip", "this is not gzip"],
        ["zstd", turnBody()],
        ["compress", "x"],
        ["gzip, snappy", "x"],
      ]
    ) {
      const res = await post(body, { "content-encoding": coding });
      expect(res.status).toBe(415);
      expect(res.headers.get("content-type")).toStartWith("text/plain");
      const text = await res.text();
      expect(text).toStartWith("ficta refused this request");
      for (const s of secrets) expect(text).not.toContain(s.value);
    }
    expect(t.upstream.received).toHaveLength(0);
  });

  test("oversized body: 413 whether declared, streamed or decoded (zip bomb)", async () => {
    start([], { proxy: { max_body_mb: 1 } });
    const big = new Uint8Array(1024 * 1024 + 1).fill(120);
    expect((await post(big)).status).toBe(413);
    const chunked = new ReadableStream({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(300 * 1024).fill(121));
        c.close();
      },
    });
    expect((await post(chunked)).status).toBe(413);
    const bomb = zstdCompressSync(new Uint8Array(8 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const res = await post(bomb, { "content-encoding": "zstd" });
    expect(res.status).toBe(413);
    expect(await res.text()).toContain("1 MiB");
    expect(t.upstream.received).toHaveLength(0);
    expect(t.entries().map((e) => e.refused)).toEqual(["too-large", "too-large", "too-large"]);
    // Just under the cap still passes.
    expect((await post(new Uint8Array(1024 * 1024).fill(122))).status).toBe(200);
  });

  test("non-UTF-8 bytes are matched as bytes and forwarded unchanged", async () => {
    start();
    const body = new Uint8Array([0xff, 0xfe, 0x00, 0x80, 0x41]);
    expect((await post(body, { "content-type": "application/octet-stream" })).status).toBe(200);
    expect(t.upstream.received[0].body.length).toBeGreaterThan(0);
  });
});

describe("the gate", () => {
  test("a value redaction missed: 400 text/plain with names only, nothing forwarded", async () => {
    start(["DB_PASSWORD"]);
    const res = await post(gzipSync(new TextEncoder().encode(turnBody())), {
      "content-encoding": "gzip",
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toStartWith("text/plain");
    const text = await res.text();
    expect(text).toStartWith(
      "ficta blocked this request: 1 protected value(s) (DB_PASSWORD) would have reached the model in the request body.",
    );
    expect(text).toContain("Nothing was sent");
    for (const s of secrets) expect(text).not.toContain(s.value);
    expect(t.upstream.received).toHaveLength(0);
    const [entry] = t.entries();
    expect(entry).toMatchObject({
      status: 400,
      blocked: true,
      blockedNames: ["DB_PASSWORD"],
      refused: "blocked",
    });
    expect(JSON.stringify(entry)).not.toContain(secrets[db].value);
  });

  test("values in several surfaces are all named", async () => {
    start(["DB_PASSWORD", "STRIPE_KEY"]);
    const res = await post(`{"x":"${secrets[stripe].value}"}`, {
      "x-note": secrets[db].value,
    }, `/v1/responses?q=${encodeURIComponent(secrets[db].value)}`);
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toStartWith(
      "ficta blocked this request: 2 protected value(s) (DB_PASSWORD, STRIPE_KEY) would have reached the model in the URL query, x-note header and the request body.",
    );
    expect(t.upstream.received).toHaveLength(0);
  });
});

describe("query, headers", () => {
  test("query values are redacted (decoded), others kept as sent", async () => {
    start();
    const path = `/v1/models?client_version=0.169.0&note=${
      encodeURIComponent(`a ${secrets[db].value}`)
    }`;
    const res = await t.send(path, { headers: chatgptHeaders() });
    expect(res.status).toBe(200);
    const target = t.upstream.received[0].target;
    expect(target).not.toContain(secrets[db].value);
    const params = new URL(target, "http://x").searchParams;
    expect(params.get("client_version")).toBe("0.169.0");
    expect(params.get("note")).toBe(`a ${engine.surrogate("DB_PASSWORD")}`);
    expect(t.entries()[0].redacted).toEqual({ query: { DB_PASSWORD: 1 } });
    expect(t.entries()[0].upstream).not.toContain("?");
  });

  test("auth headers untouched (even holding a registered value), others redacted, hop-by-hop stripped", async () => {
    start();
    const auth = {
      authorization: `Bearer ${secrets[stripe].value}`,
      "x-api-key": secrets[stripe].value,
      cookie: `session=${secrets[db].value}`,
      "chatgpt-account-id": crypto.randomUUID(),
    };
    const res = await post("{}", {
      ...auth,
      "x-codex-turn-metadata": JSON.stringify({ note: secrets[db].value }),
      connection: "keep-alive, x-private-hop",
      "x-private-hop": "1",
      "keep-alive": "timeout=5",
      te: "trailers",
      trailer: "x-foo",
      "proxy-authorization": "Basic abc",
      "proxy-connection": "keep-alive",
      "x-kept": "yes",
    });
    expect(res.status).toBe(200);
    const h = t.upstream.received[0].headers;
    for (const [name, value] of Object.entries(auth)) expect(h.get(name)).toBe(value);
    expect(h.get("x-codex-turn-metadata")).toBe(
      JSON.stringify({ note: engine.surrogate("DB_PASSWORD") }),
    );
    for (
      const name of [
        "x-private-hop",
        "keep-alive",
        "te",
        "trailer",
        "proxy-authorization",
        "proxy-connection",
      ]
    ) {
      expect(h.has(name)).toBe(false);
    }
    expect(h.get("host")).toBe(new URL(t.upstream.origin).host);
    expect(h.get("x-kept")).toBe("yes");
    expect(t.entries()[0].redacted).toEqual({ headers: { DB_PASSWORD: 1 } });
  });

  test("a non-ASCII value in a header is matched as the UTF-8 bytes sent", async () => {
    secrets = [{ name: "UNICODE_PW", value: `pässwörd-€-${crypto.randomUUID()}` }];
    engine = fakeEngine(secrets);
    t = startTestProxy({ engine });
    const utf8AsLatin1 = String.fromCharCode(
      ...new TextEncoder().encode(`note ${secrets[0].value}`),
    );
    const res = await post("{}", { "x-note": utf8AsLatin1 });
    expect(res.status).toBe(200);
    expect(t.upstream.received[0].headers.get("x-note")).toBe(
      `note ${engine.surrogate("UNICODE_PW")}`,
    );
    expect(t.entries()[0].redacted).toEqual({ headers: { UNICODE_PW: 1 } });
  });

  test("accept-encoding is narrowed to codings ficta can decode", async () => {
    start();
    await post("{}", { "accept-encoding": "gzip, snappy, zstd;q=0.5" });
    expect(t.upstream.received[0].headers.get("accept-encoding")).toBe("gzip, zstd;q=0.5");
  });

  test("log.bodies writes what was sent upstream (redacted) to a separate 0600 file", async () => {
    start([], { log: { bodies: true } });
    await post(turnBody());
    const file = t.session.bodiesLog!;
    const text = await Bun.file(file).text();
    for (const s of secrets) expect(text).not.toContain(s.value);
    expect(JSON.parse(text.trim()).body).toBe(sentText());
    expect((await Bun.file(file).stat()).mode & 0o777).toBe(0o600);
  });
});
