/**
 * Protocol fields ficta must not rewrite: the body's `model` and the `Content-Type`, `Accept`
 * headers reach the upstream as Codex wrote them. If a registered value equals one, the request
 * is refused (400, names only) rather than sent with a surrogate the upstream would reject.
 */
import { afterEach, expect, test } from "bun:test";
import { compileEngine, importSurrogateKey } from "../../src/core/mod.ts";
import { responsesDialect } from "../../src/agents/codex/wire.ts";
import { apiKeyHeaders, startTestProxy, type TestProxy } from "./harness.ts";

let t: TestProxy;
afterEach(async () => await t.close());

async function start(values: Record<string, string>) {
  const key = await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
  const engine = await compileEngine(
    Object.entries(values).map(([name, value]) => ({ name, source: ".env", value })),
    key,
    {
      encoded: true,
      shapes: false,
      disabledFormats: [],
      restoreIntoTools: "all",
      dialect: responsesDialect,
    },
  );
  t = startTestProxy({ engine });
}

const turn = (model: string, text: string) =>
  JSON.stringify({
    model,
    stream: true,
    input: [{ type: "message", role: "user", content: text }],
  });

test("a value equal to the model name: refused, never sent with a rewritten model", async () => {
  await start({ OPENAI_MODEL: "gpt-5.1-codex-max" });
  const res = await t.send("/v1/responses", {
    method: "POST",
    headers: apiKeyHeaders(),
    body: turn("gpt-5.1-codex-max", "hello"),
  });
  expect(res.status).toBe(400);
  expect(await res.text()).toContain("OPENAI_MODEL");
  expect(t.upstream.received).toEqual([]);
});

test("a value equal to the Content-Type: refused, the header is never rewritten", async () => {
  await start({ CONTENT_TYPE: "application/json" });
  const res = await t.send("/v1/responses", {
    method: "POST",
    headers: apiKeyHeaders(),
    body: turn("gpt-5.1-codex", "hello"),
  });
  expect(res.status).toBe(400);
  expect(await res.text()).toContain("CONTENT_TYPE");
  expect(t.upstream.received).toEqual([]);
});

test("other values in the body are still replaced; the model field stays as sent", async () => {
  const secret = `pw-${crypto.randomUUID()}`;
  await start({ DB_PASSWORD: secret });
  const res = await t.send("/v1/responses", {
    method: "POST",
    headers: apiKeyHeaders(),
    body: turn("gpt-5.1-codex", `the password is ${secret}`),
  });
  expect(res.status).toBe(200);
  const sent = JSON.parse(new TextDecoder().decode(t.upstream.received[0].body));
  expect(sent.model).toBe("gpt-5.1-codex");
  expect(JSON.stringify(sent)).not.toContain(secret);
  expect(t.upstream.received[0].headers.get("content-type")).toBe("application/json");
});
