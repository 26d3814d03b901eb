/**
 * `ficta codex exec` with the real Codex CLI over the Responses WebSocket (proxy.transport auto,
 * the default), against the loopback WebSocket mock: the three-turn conversation of
 * codex-modes.test.ts in both login modes, a session that compacts, and one whose upstream
 * refuses the WebSocket. Every check is on the frames (and upgrade headers) the mock received.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findLeaks } from "../leak-check.ts";
import {
  baseEnv,
  type Dirs,
  type FakeSecret,
  fictaCommand,
  filesUnder,
  finalMessage,
  forEachCodex,
  leaks,
  needles,
  OFFLINE_FLAGS,
  PROCESS_SECRET,
  removeTempDirs,
  run,
  type RunResult,
  tempDirs,
  writeLogin,
  writeProjectSecrets,
} from "./harness.ts";
import type { Item, ResponsesBody } from "./mock-upstream.ts";
import { toolOutputs } from "./mock-upstream.ts";
import { type MockWsUpstream, requestKind, startMockWsUpstream } from "./mock-ws-upstream.ts";
import { fileText, finalText, OUTPUT_FILE, threeTurns, TURN1_NAMES } from "./turns.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);
afterAll(removeTempDirs);

/** Four real Codex runs at once on a shared 2-core machine: generous, never a speed claim. */
const SCENARIOS_TIMEOUT_MS = 240_000;

type Kind = "chatgpt" | "apikey" | "compaction" | "fallback";

interface Scenario {
  kind: Kind;
  dirs: Dirs;
  secrets: FakeSecret[];
  mock: MockWsUpstream;
  seen: Record<string, string>;
  bearer: string;
  accountId?: string;
  result: RunResult;
}

/** What the model's surrogates restore to (the dotenv spelling for values read from a file). */
function values(secrets: FakeSecret[]): Record<string, string> {
  return Object.fromEntries(secrets.map((s) => [s.name, s.spelling ?? s.value]));
}

const COMPACT_LIMIT = 200_000;

/**
 * Compaction: the model reads the files (an answer reporting far more tokens than the limit),
 * Codex compacts over a second WebSocket, the model's summary quotes a surrogate it saw, and the
 * conversation goes on from the summary.
 */
function compactingConversation(seen: Record<string, string>) {
  const script = (body: ResponsesBody): Item[] => {
    const outputs = toolOutputs(body);
    const text = JSON.stringify(body.input ?? []);
    if (outputs.length === 0 && !text.includes("SUMMARY-OF-MOCK")) {
      return [{
        type: "function_call",
        name: "exec_command",
        arguments: JSON.stringify({ cmd: "cat .env" }),
      }];
    }
    for (const m of text.matchAll(/E2E_PLAIN=(ficta_[A-Za-z0-9]{22})/g)) seen.E2E_PLAIN = m[1];
    return [{ type: "message", text: `Done. plain=${seen.E2E_PLAIN}` }];
  };
  const compaction = (body: ResponsesBody): Item[] => {
    const text = JSON.stringify(body.input ?? []);
    const plain = /E2E_PLAIN=(ficta_[A-Za-z0-9]{22})/.exec(text)?.[1] ?? "none";
    seen.E2E_PLAIN = plain;
    return [{ type: "message", text: `SUMMARY-OF-MOCK: read .env; E2E_PLAIN is ${plain}.` }];
  };
  return { script, compaction };
}

async function scenario(kind: Kind): Promise<Scenario> {
  const dirs = tempDirs(`ws-${kind}`);
  const secrets = writeProjectSecrets(dirs.project);
  let seen: Record<string, string> = {};
  let mock: MockWsUpstream;
  const args: string[] = [];
  if (kind === "compaction") {
    const c = compactingConversation(seen);
    mock = startMockWsUpstream(c.script, {
      compaction: c.compaction,
      usage: (n) => n === 1 ? COMPACT_LIMIT * 3 : 120,
    });
    args.push("-c", `model_auto_compact_token_limit=${COMPACT_LIMIT}`);
  } else {
    const conversation = threeTurns();
    mock = startMockWsUpstream(
      (body, request) => conversation.script(body, request),
      kind === "fallback" ? { refuse: 403 } : {},
    );
    seen = conversation.seen;
  }
  const env: Record<string, string> = {
    ...baseEnv(dirs),
    FICTA_PROXY_TRANSPORT: "auto",
    FICTA_CHATGPT_UPSTREAM: mock.origin,
    FICTA_OPENAI_UPSTREAM: mock.origin,
    [PROCESS_SECRET]: secrets.find((s) => s.name === PROCESS_SECRET)!.value,
  };
  const login = writeLogin(dirs.codexHome, kind === "chatgpt" ? "chatgpt" : "apikey");
  const password = env[PROCESS_SECRET];
  const result = await run(
    [
      ...fictaCommand(),
      "codex",
      "exec",
      "--json",
      ...OFFLINE_FLAGS,
      ...args,
      `Read the settings and save them. The service password is ${password}.`,
    ],
    { cwd: dirs.project, env, timeoutMs: SCENARIOS_TIMEOUT_MS - 30_000 },
  );
  return {
    kind,
    dirs,
    secrets,
    mock,
    seen,
    bearer: login.bearer,
    accountId: login.accountId,
    result,
  };
}

function describeFailure(s: Scenario): string {
  return `exit ${s.result.code}\n--- stderr\n${s.result.stderr}\n--- stdout\n${s.result.stdout}`;
}

/** Everything that left for the upstream: each upgrade's headers and frames, each HTTP request. */
function wire(s: Scenario): Array<{ what: string; text: string }> {
  const out: Array<{ what: string; text: string }> = [];
  for (const [i, c] of s.mock.connections.entries()) {
    out.push({ what: `upgrade ${i}`, text: `${c.url}\n${JSON.stringify(c.headers)}` });
    for (const [k, f] of c.frames.entries()) out.push({ what: `frame ${i}.${k}`, text: f });
  }
  for (const r of s.mock.refused) {
    out.push({ what: "refused upgrade", text: `${r.url}\n${JSON.stringify(r.headers)}` });
  }
  for (const r of s.mock.http.received) {
    out.push({
      what: `${r.method} ${r.url}`,
      text: `${r.url}\n${JSON.stringify(r.headers)}\n${r.body}`,
    });
  }
  return out;
}

function modelFrames(s: Scenario): Array<Record<string, unknown>> {
  return s.mock.frames().filter((f) => f.type === "response.create" && f.generate !== false);
}

function kindOf(frame: Record<string, unknown>): string | undefined {
  const metadata = (frame.client_metadata ?? {}) as Record<string, unknown>;
  return requestKind(String(metadata["x-codex-turn-metadata"] ?? ""));
}

forEachCodex(() => {
  const scenarios = new Map<Kind, Scenario>();

  beforeAll(async () => {
    const all = await Promise.all(
      (["chatgpt", "apikey", "compaction", "fallback"] as const).map(scenario),
    );
    for (const s of all) scenarios.set(s.kind, s);
  }, SCENARIOS_TIMEOUT_MS);

  afterAll(async () => {
    for (const s of scenarios.values()) await s.mock.stop();
  });

  function get(kind: Kind): Scenario {
    const s = scenarios.get(kind);
    if (!s) throw new Error(`scenario ${kind} did not run`);
    return s;
  }

  for (const kind of ["chatgpt", "apikey"] as const) {
    describe(`over WebSocket, ${kind} login`, () => {
      test("all three turns ride one WebSocket: warm-up, then frames chained by previous_response_id", () => {
        const s = get(kind);
        expect(s.result.code, describeFailure(s)).toBe(0);
        // No model turn over HTTP.
        expect(s.mock.http.received.filter((r) => r.url.endsWith("/responses"))).toEqual([]);
        const frames = s.mock.frames();
        expect(frames[0].generate).toBe(false);
        const turns = modelFrames(s);
        expect(turns.length).toBe(3);
        for (const frame of turns) expect(frame.previous_response_id).toMatch(/^resp_/);
        // The follow-ups carry the new items only: a few KB, not the whole history.
        const sizes = s.mock.connections[0].frames.map((f) => f.length);
        expect(Math.max(...sizes.slice(2))).toBeLessThan(8_000);
        expect(sizes[1]).toBeGreaterThan(30_000);
      });

      test("no form of any secret is in any frame or upgrade header; the token never leaves", () => {
        const s = get(kind);
        const surrogateKey = readFileSync(join(s.dirs.fictaHome, "key"), "utf8").trim();
        const found = [
          ...needles(s.secrets),
          ...needles([{ name: "key file", value: surrogateKey, spelling: null }]),
        ];
        const leakSecrets = s.secrets.map((x) => ({ name: x.name, value: x.value }));
        for (const { what, text } of wire(s)) {
          expect(leaks(text, found), what).toEqual([]);
          expect(findLeaks(text, leakSecrets), what).toEqual([]);
        }
        for (const c of s.mock.connections) {
          expect(c.headers["x-ficta-token"]).toBeUndefined();
          expect(c.headers.authorization).toBe(`Bearer ${s.bearer}`);
          expect(c.headers["openai-beta"]).toBe("responses_websockets=2026-02-06");
          expect(c.headers["sec-websocket-extensions"]).toContain("permessage-deflate");
          if (kind === "chatgpt") {
            expect(c.url).toBe("/backend-api/codex/responses");
            expect(c.headers["chatgpt-account-id"]).toBe(s.accountId!);
          } else {
            expect(c.url).toBe("/v1/responses");
            expect(c.headers["chatgpt-account-id"]).toBeUndefined();
          }
        }
        expect(Object.keys(s.seen).sort()).toEqual([...TURN1_NAMES].sort());
      });

      test("the file Codex wrote and its final message hold the real values byte for byte", () => {
        const s = get(kind);
        const written = readFileSync(join(s.dirs.project, OUTPUT_FILE));
        expect(written).toEqual(Buffer.from(fileText(values(s.secrets)) + "\n"));
        expect(finalMessage(s.result.stdout)).toBe(finalText(values(s.secrets)));
      });

      test("the request log has the upgrade and each frame; stderr and files hold no value", () => {
        const s = get(kind);
        const found = needles(s.secrets);
        expect(leaks(s.result.stderr, found)).toEqual([]);
        expect(s.result.stderr).toContain("(WebSocket, HTTP fallback)");
        const files = filesUnder(s.dirs.fictaHome);
        for (const file of files) expect(leaks(file.text, found), file.path).toEqual([]);
        const log = files.find((f) => f.path.endsWith("requests.jsonl"))!;
        const entries = log.text.trim().split("\n").map((line) => JSON.parse(line))
          .filter((e) => e.method !== undefined);
        const frames = entries.filter((e) => e.method === "WS");
        expect(frames.length).toBe(4); // warm-up and three turns
        expect(frames.every((e) => !e.blocked && e.refused === null)).toBe(true);
        expect(frames.reduce((n, e) => n + e.restored, 0)).toBeGreaterThan(0);
        expect(entries.filter((e) => e.refused !== null || e.blocked)).toEqual([]);
      });
    });
  }

  describe("compaction over WebSocket", () => {
    test("the compaction request rides its own WebSocket, redacted; the summary is restored", () => {
      const s = get("compaction");
      expect(s.result.code, describeFailure(s)).toBe(0);
      const compactions = s.mock.frames().filter((f) => kindOf(f) === "compaction");
      expect(compactions.length).toBe(1);
      expect(s.mock.connections.length).toBeGreaterThanOrEqual(2);
      const leakSecrets = s.secrets.map((x) => ({ name: x.name, value: x.value }));
      for (const { what, text } of wire(s)) {
        expect(leaks(text, needles(s.secrets)), what).toEqual([]);
        expect(findLeaks(text, leakSecrets), what).toEqual([]);
      }
      // The compaction request carried the tool output, with surrogates in place of values.
      expect(JSON.stringify(compactions[0])).toContain(s.seen.E2E_PLAIN);
      // Codex got the summary restored, and sent it back redacted in the next turn.
      const after = modelFrames(s).filter((f) => kindOf(f) === "turn").at(-1)!;
      expect(JSON.stringify(after)).toContain(`E2E_PLAIN is ${s.seen.E2E_PLAIN}`);
      const plain = s.secrets.find((x) => x.name === "E2E_PLAIN")!;
      expect(finalMessage(s.result.stdout)).toBe(`Done. plain=${plain.value}`);
    });
  });

  describe("the upstream refuses the WebSocket", () => {
    test("Codex gets 426 at once and completes the session over HTTP", () => {
      const s = get("fallback");
      expect(s.result.code, describeFailure(s)).toBe(0);
      // ficta tried the upstream once; Codex tried ficta once (426 falls back at once).
      expect(s.mock.refused.length).toBe(1);
      expect(s.mock.connections).toEqual([]);
      const posts = s.mock.http.received.filter((r) =>
        r.method === "POST" && r.url.endsWith("/responses")
      );
      expect(posts.length).toBe(3);
      const written = readFileSync(join(s.dirs.project, OUTPUT_FILE));
      expect(written).toEqual(Buffer.from(fileText(values(s.secrets)) + "\n"));
      for (const { what, text } of wire(s)) {
        expect(leaks(text, needles(s.secrets)), what).toEqual([]);
      }
      // Said in the request log, not as a refusal.
      const log = filesUnder(s.dirs.fictaHome).find((f) => f.path.endsWith("requests.jsonl"))!;
      const entries = log.text.trim().split("\n").map((line) => JSON.parse(line));
      const upgrades = entries.filter((e) => e.status === 426);
      expect(upgrades.length).toBe(1);
      expect(upgrades[0].note).toContain("falling back to HTTP");
      expect(upgrades[0].refused).toBeNull();
      expect(s.result.stderr).toContain("falling back to HTTP");
    });
  });
});
