import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { type FakeEngine, fakeEngine, type FakeSecret, fakeSecrets } from "./fake-engine.ts";
import { chatgptHeaders, sse, startTestProxy, type TestProxy, until } from "./harness.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

let t: TestProxy;
let engine: FakeEngine;
let secrets: FakeSecret[];
let stderr: string[];

beforeEach(() => {
  stderr = [];
});
afterEach(async () => {
  await t.close();
});

function start(stderrIsTTY: boolean, quiet = false, missed: string[] = []) {
  secrets = fakeSecrets("DB_PASSWORD", "STRIPE_KEY");
  engine = fakeEngine(secrets, missed);
  t = startTestProxy({
    engine,
    stderrIsTTY,
    settings: { log: { quiet } },
    seams: { say: (message) => stderr.push(`ficta: ${message}\n`) },
  });
  t.upstream.answer(() =>
    new Response(
      sse([{ type: "response.output_text.delta", delta: engine.surrogate("STRIPE_KEY") }]),
      {
        headers: { "content-type": "text/event-stream" },
      },
    )
  );
}

/** A session's worth of traffic: a turn, housekeeping, a refused foreign call. */
async function traffic() {
  const body = JSON.stringify({
    input: `${secrets[0].value} ${secrets[1].value} ${secrets[0].value}`,
  });
  await (await t.send("/v1/responses", { method: "POST", headers: chatgptHeaders(), body })).text();
  await (await t.send(`/backend-api/wham/usage?x=${secrets[0].value}`, {
    headers: chatgptHeaders(),
  })).text();
  await (await t.send("/v1/responses", { method: "POST", body, token: null })).text();
  await until(() => t.entries().length === 3);
}

function leaksNoValue(text: string) {
  for (const s of secrets) expect(text).not.toContain(s.value);
}

describe("metadata log and stderr lines", () => {
  test("requests.jsonl: one entry per request, names and counts, no values; 0600 in 0700", async () => {
    start(true);
    await traffic();
    const raw = readFileSync(t.session.requestsLog, "utf8");
    leaksNoValue(raw);
    const [turn, housekeeping, foreign] = t.entries();
    expect(turn).toMatchObject({
      method: "POST",
      path: "/v1/responses",
      route: "chatgpt",
      kind: "turn",
      upstream: `${t.upstream.origin}/backend-api/codex/responses`,
      status: 200,
      redacted: { body: { DB_PASSWORD: 2, STRIPE_KEY: 1 } },
      restore: true,
      restored: 1,
      unknownSurrogates: 0,
      blocked: false,
      refused: null,
      outcome: "complete",
    });
    expect(turn.bytesIn).toBeGreaterThan(0);
    expect(turn.bytesUp).toBeGreaterThan(0);
    expect(turn.bytesOut).toBeGreaterThan(0);
    expect(turn.durationMs).toBeGreaterThan(0);
    // Stages are laps within the request's duration.
    expect(Object.keys(turn.stagesMs)).toEqual(["read", "redact", "gate", "upstream"]);
    const laps = Object.values(turn.stagesMs).reduce((sum, ms) => sum + ms, 0);
    expect(laps).toBeLessThanOrEqual(turn.durationMs + 0.01);
    expect(foreign.stagesMs).toEqual({});
    expect(new Date(turn.time).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(housekeeping).toMatchObject({
      route: "backend-api",
      kind: "housekeeping",
      redacted: { query: { DB_PASSWORD: 1 } },
    });
    expect(foreign).toMatchObject({ status: 403, refused: "token" });
    expect(statSync(t.session.requestsLog).mode & 0o777).toBe(0o600);
    expect(statSync(t.session.dir).mode & 0o777).toBe(0o700);
  });

  test("a path holding a protected value is logged redacted, or withheld when the gate still sees it", async () => {
    start(true, false, ["STRIPE_KEY"]);
    await t.send(`/v1/files/${secrets[0].value}`, { headers: chatgptHeaders() });
    await t.send(`/nowhere/${secrets[1].value}`, { headers: chatgptHeaders() });
    await until(() => t.entries().length === 2);
    leaksNoValue(readFileSync(t.session.requestsLog, "utf8"));
    expect(t.entries()[0].path).toBe(`/v1/files/${engine.surrogate("DB_PASSWORD")}`);
    expect(t.upstream.received[0].target).toBe(
      `/backend-api/codex/files/${engine.surrogate("DB_PASSWORD")}`,
    );
    expect(t.entries()[1].path).toBe("(withheld: holds a protected value)");
  });

  test("stderr not a TTY: one `ficta: ->` line per request, no values", async () => {
    start(false);
    await traffic();
    const lines = stderr.join("").trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toStartWith("ficta: -> ");
    expect(lines[0]).toMatch(
      new RegExp(
        `^ficta: -> POST /v1/responses -> ${t.upstream.origin}/backend-api/codex/responses \\[chatgpt\\] 200 \\d+ms, 3 redacted, 1 restored$`,
      ),
    );
    expect(lines[1]).toContain("GET /backend-api/wham/usage -> ");
    expect(lines[2]).toMatch(/ 403 \d+ms, refused \(token\)$/);
    leaksNoValue(stderr.join(""));
  });

  test("log.quiet: only model turns, new endpoints and refusals on stderr; the file has everything", async () => {
    start(false, true);
    await traffic();
    await (await t.send("/v1/models", { headers: chatgptHeaders() })).text();
    await (await t.send("/v1/responses/compact", {
      method: "POST",
      headers: chatgptHeaders(),
      body: "{}",
    })).text();
    await until(() => t.entries().length === 5);
    const lines = stderr.join("").trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain("POST /v1/responses -> ");
    expect(lines[1]).toContain("refused (token)");
    expect(lines[2]).toContain("POST /v1/responses/compact -> ");
    expect(lines[2]).toContain("[unlisted]");
  });

  test("stderr a TTY (Codex's TUI): nothing printed at all", async () => {
    start(true);
    await traffic();
    expect(stderr).toEqual([]);
  });

  test("a blocked request's line names the values, never shows them", async () => {
    start(false, false, ["DB_PASSWORD"]);
    await traffic();
    const lines = stderr.join("").trimEnd().split("\n");
    expect(lines[0]).toMatch(/ 400 \d+ms, blocked \(DB_PASSWORD\)$/);
    leaksNoValue(stderr.join(""));
  });
});
