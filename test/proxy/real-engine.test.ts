/** The proxy with the real engine (`compileEngine`): what the upstream sees, what Codex gets back. */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { zstdCompressSync } from "node:zlib";
import {
  compileEngine,
  importSurrogateKey,
  type Secret,
  SURROGATE_PATTERN,
} from "../../src/core/mod.ts";
import { responsesDialect } from "../../src/agents/codex/wire.ts";
import { chatgptHeaders, sse, startTestProxy, type TestProxy, until } from "./harness.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

let t: TestProxy;
afterEach(async () => await t.close());

async function start(restoreIntoTools: "all" | "none" = "all") {
  const secrets: Secret[] = [
    { name: "DB_PASSWORD", source: ".env", value: `pw-${crypto.randomUUID()}` },
    { name: "QUOTED_SECRET", source: ".env", value: `q"uo\\te-${crypto.randomUUID()}` },
  ];
  const key = await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
  const engine = await compileEngine(secrets, key, {
    encoded: true,
    shapes: true,
    disabledFormats: [],
    restoreIntoTools,
    dialect: responsesDialect,
  });
  t = startTestProxy({ engine });
  return secrets;
}

/** Plays the model: echoes every surrogate it received in small text deltas and a tool call. */
function echoSurrogates(body: Uint8Array): Response {
  const found = [...new Set(new TextDecoder().decode(body).match(SURROGATE_PATTERN) ?? [])];
  const text = `I saw ${found.join(" and ")}.`;
  const deltas = text.match(/.{1,5}/gs)!.map((delta) => ({
    type: "response.output_text.delta",
    delta,
  }));
  return new Response(
    sse([
      ...deltas,
      {
        type: "response.output_item.done",
        item: {
          type: "function_call",
          name: "exec_command",
          arguments: JSON.stringify({ cmd: `echo ${found[0]}` }),
        },
      },
      { type: "response.completed", response: { usage: { total_tokens: 1 } } },
    ]),
    { headers: { "content-type": "text/event-stream" } },
  );
}

function events(text: string): { type: string; delta?: string; item?: { arguments: string } }[] {
  return text.split("\n").filter((l) => l.startsWith("data: ")).map((l) => JSON.parse(l.slice(6)));
}

describe("with the real engine", () => {
  test("a zstd turn carrying `cat .env` output: no value reaches the upstream, Codex gets them back", async () => {
    const secrets = await start();
    t.upstream.answer((_req, body) => echoSurrogates(body));
    const catEnv = `DB_PASSWORD=${secrets[0].value}\nQUOTED_SECRET="${
      secrets[1].value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')
    }"`;
    const request = JSON.stringify({
      model: "m",
      input: [
        {
          type: "function_call",
          name: "exec_command",
          arguments: JSON.stringify({ cmd: `echo ${secrets[0].value}` }),
        },
        { type: "function_call_output", output: `Output:\n${catEnv}` },
        {
          type: "message",
          role: "user",
          content: [{ type: "input_text", text: `use ${secrets[1].value}` }],
        },
      ],
    });
    const res = await t.send("/v1/responses", {
      method: "POST",
      headers: { ...chatgptHeaders(), "content-encoding": "zstd" },
      body: zstdCompressSync(new TextEncoder().encode(request)),
    });
    expect(res.status).toBe(200);
    const answer = await res.text();

    const sent = new TextDecoder().decode(t.upstream.received[0].body);
    for (const s of secrets) {
      expect(sent).not.toContain(s.value);
      expect(sent).not.toContain(JSON.stringify(s.value).slice(1, -1));
    }
    const all = events(answer);
    const text = all.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta)
      .join("");
    expect(text).toContain(secrets[0].value);
    expect(text).toContain(secrets[1].value);
    const call = all.find((e) => e.type === "response.output_item.done")!;
    expect(JSON.parse(call.item!.arguments).cmd).toStartWith("echo ");
    expect(answer).not.toMatch(SURROGATE_PATTERN);

    await until(() => t.entries().length === 1);
    const [entry] = t.entries();
    expect(entry.redacted.body).toMatchObject({
      DB_PASSWORD: expect.any(Number),
      QUOTED_SECRET: expect.any(Number),
    });
    expect(entry.restored).toBeGreaterThanOrEqual(3);
    const log = await Bun.file(t.session.requestsLog).text();
    for (const s of secrets) expect(log).not.toContain(s.value);
  });

  test("restore_into_tools = none: tool-call arguments keep their surrogates, text is restored", async () => {
    const secrets = await start("none");
    t.upstream.answer((_req, body) => echoSurrogates(body));
    const res = await t.send("/v1/responses", {
      method: "POST",
      headers: chatgptHeaders(),
      body: JSON.stringify({ input: `my password is ${secrets[0].value}` }),
    });
    const all = events(await res.text());
    const text = all.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta)
      .join("");
    expect(text).toContain(secrets[0].value);
    const call = all.find((e) => e.type === "response.output_item.done")!;
    expect(call.item!.arguments).toMatch(SURROGATE_PATTERN);
    expect(call.item!.arguments).not.toContain(secrets[0].value);
    await until(() => t.entries().length === 1);
    expect(t.entries()[0].keptInTools).toBe(1);
  });
});
