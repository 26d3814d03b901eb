import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { schema } from "../../src/config/schema.ts";
import {
  createSession,
  PID_FILE,
  pruneSessions,
  type RequestEntry,
} from "../../src/report/index.ts";
import { writeStepSummary } from "../../src/report/ci.ts";

let home: string;
beforeEach(() => (home = mkdtempSync(join(tmpdir(), "ficta-report-test-"))));
afterEach(() => rmSync(home, { recursive: true, force: true }));

function settings(log: Record<string, unknown> = {}) {
  return schema.parse({ log });
}

function entry(over: Partial<RequestEntry> = {}): RequestEntry {
  return {
    time: new Date().toISOString(),
    method: "POST",
    path: "/v1/responses",
    route: "chatgpt",
    kind: "turn",
    upstream: "https://chatgpt.com/backend-api/codex/responses",
    status: 200,
    bytesIn: 10,
    bytesUp: 10,
    bytesOut: 20,
    durationMs: 1.5,
    stagesMs: {},
    redacted: {},
    restore: true,
    restored: 0,
    unknownSurrogates: 0,
    keptInTools: 0,
    blocked: false,
    blockedNames: [],
    refused: null,
    outcome: "complete",
    ...over,
  };
}

/** Makes an old session directory with `bytes` of log. */
function oldSession(name: string, bytes = 10) {
  mkdirSync(join(home, "logs", name), { recursive: true });
  writeFileSync(join(home, "logs", name, "requests.jsonl"), "x".repeat(bytes));
}

describe("session log", () => {
  test("lives in <FICTA_HOME>/logs/<session>/requests.jsonl, 0600 in 0700", () => {
    const session = createSession(
      settings(),
      { FICTA_HOME: home },
      new Date("2026-11-24T08:37:41Z"),
    );
    expect(session.dir).toStartWith(join(home, "logs", "20261124-083741-"));
    expect(session.requestsLog).toBe(join(session.dir, "requests.jsonl"));
    expect(session.bodiesLog).toBeNull();
    session.record(entry());
    expect(statSync(session.dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, "logs")).mode & 0o777).toBe(0o700);
    expect(statSync(session.requestsLog).mode & 0o777).toBe(0o600);
    session.close();
    expect(JSON.parse(readFileSync(session.requestsLog, "utf8"))).toEqual(
      entry({ time: expect.any(String) }),
    );
  });

  test("totals and the exit summary line", () => {
    const session = createSession(settings(), { FICTA_HOME: home });
    session.record(entry({ redacted: { body: { A: 2, B: 1 } }, restored: 3 }));
    session.record(
      entry({ redacted: { body: { A: 2 }, headers: { C: 1 } }, unknownSurrogates: 1 }),
    );
    session.record(entry({ status: 400, blocked: true, blockedNames: ["D"], refused: "blocked" }));
    session.record(entry({ status: 403, refused: "token" }));
    session.record(entry({ status: 502, refused: "unreachable" }));
    expect(session.totals()).toEqual({
      requests: 5,
      blocked: 1,
      refused: 1,
      valuesKeptOut: 3,
      replacements: 6,
      restored: 3,
      unrestorable: 1,
      unreachable: 1,
    });
    expect(session.summaryLine()).toBe(
      "3 values protected; 5 requests; 2 refused (1 held a protected value); " +
        "upstream unreachable for 1 request; 1 unrestorable surrogate; " +
        `log: ${session.requestsLog}`,
    );
    session.close();
  });

  test("a run without requests: the plain summary, and no log folder at all", () => {
    const session = createSession(settings(), { FICTA_HOME: home });
    expect(session.summaryLine()).toBe(
      "0 values protected; 0 requests; 0 refused; no log (no request)",
    );
    session.close();
    expect(existsSync(join(home, "logs"))).toBe(false);
    const one = createSession(settings(), { FICTA_HOME: home });
    one.record(entry({ redacted: { body: { A: 1 } } }));
    expect(one.summaryLine()).toStartWith("1 value protected; 1 request; 0 refused; log: ");
    one.close();
  });

  test("a failed write never throws and is reported in the summary", () => {
    const session = createSession(settings(), { FICTA_HOME: home });
    session.close();
    expect(() => session.record(entry())).not.toThrow();
    expect(session.summaryLine()).toContain("(incomplete: 1 write(s) failed)");
  });

  test("GITHUB_STEP_SUMMARY: Markdown appended with the session, counts and refused requests, no name", () => {
    const session = createSession(settings(), { FICTA_HOME: home });
    session.record(entry({ redacted: { body: { SECRET_NAME: 4 } } }));
    session.record(
      entry({
        path: "/v1/responses",
        status: 400,
        blocked: true,
        blockedNames: ["OTHER_NAME"],
        refused: "blocked",
      }),
    );
    const file = join(home, "summary.md");
    writeFileSync(file, "# earlier step\n");
    const outcome = {
      kind: "blocked" as const,
      exitCode: 65,
      agent: "Codex",
      agentExit: 1,
      sessionId: session.id,
      totals: session.totals(),
      refused: session.refusedRequests(),
    };
    expect(writeStepSummary({}, outcome)).toBe(false);
    expect(writeStepSummary({ GITHUB_STEP_SUMMARY: join(home, "no", "such", "dir") }, outcome))
      .toBe(false);
    expect(writeStepSummary({ GITHUB_STEP_SUMMARY: file }, outcome)).toBe(true);
    const text = readFileSync(file, "utf8");
    expect(text).toStartWith("# earlier step\n\n### ficta: request(s) blocked\n");
    expect(text).toContain(`session \`${session.id}\` · exit code 65 · Codex exited 1`);
    expect(text).toContain("| 1 | 2 | 1 | 0 | 0 |");
    expect(text).toContain("| POST `/v1/responses` | 400 | blocked |");
    expect(text).not.toContain("SECRET_NAME");
    expect(text).not.toContain("OTHER_NAME");
    session.close();
  });

  test("the CI summary's list: requests ficta refused and upstream failures, capped", () => {
    const session = createSession(settings(), { FICTA_HOME: home });
    session.record(entry());
    session.record(entry({ status: 502, refused: "unreachable" }));
    session.record(entry({ status: 503 }));
    session.record(entry({ status: 403, refused: "token", path: "/v1/models" }));
    expect(session.refusedRequests().map((r) => [r.status, r.reason])).toEqual([
      [502, "unreachable"],
      [503, "upstream error"],
      [403, "token"],
    ]);
    for (let i = 0; i < 150; i++) session.record(entry({ status: 404, refused: "not-allowed" }));
    expect(session.refusedRequests()).toHaveLength(100);
    session.close();
  });

  test("log.enabled off: no directory, no file, the totals still count", () => {
    const session = createSession(settings(), { FICTA_HOME: home }, new Date(), null);
    session.record(entry({ redacted: { body: { SECRET_NAME: 4 } } }));
    expect(session.totals().requests).toBe(1);
    expect(session.summaryLine()).toEndWith("log: off");
    expect(existsSync(join(home, "logs"))).toBe(false);
    session.close();
  });
});

describe("retention", () => {
  test("keeps the newest keep_sessions sessions (counting the new one), prunes at launch", () => {
    for (let i = 1; i <= 5; i++) oldSession(`2026010${i}-000000-abcdef`);
    const session = createSession(settings({ keep_sessions: 3 }), { FICTA_HOME: home });
    expect(session.pruned).toEqual([
      "20260101-000000-abcdef",
      "20260102-000000-abcdef",
      "20260103-000000-abcdef",
    ]);
    session.record(entry());
    expect(readdirSync(join(home, "logs")).sort()).toEqual([
      "20260104-000000-abcdef",
      "20260105-000000-abcdef",
      session.id,
    ]);
    session.close();
  });

  test("caps the total size, oldest first; leaves foreign entries alone", () => {
    const MiB = 1024 * 1024;
    oldSession("20260101-000000-aaaaaa", MiB);
    oldSession("20260102-000000-bbbbbb", MiB);
    oldSession("20260103-000000-cccccc", MiB / 2);
    mkdirSync(join(home, "logs", "keep-me"));
    writeFileSync(join(home, "logs", "notes.txt"), "x".repeat(3 * MiB));
    const session = createSession(settings({ max_total_mb: 2 }), { FICTA_HOME: home });
    expect(session.pruned).toEqual(["20260101-000000-aaaaaa"]);
    session.record(entry());
    expect(readdirSync(join(home, "logs")).sort()).toEqual(
      ["20260102-000000-bbbbbb", "20260103-000000-cccccc", session.id, "keep-me", "notes.txt"]
        .sort(),
    );
    session.close();
  });

  test("a session whose ficta still runs is never pruned; a dead one's is", async () => {
    const dead = Bun.spawn(["true"]);
    await dead.exited;
    for (
      const [name, pid] of [
        ["20260101-000000-aaaaaa", process.pid],
        ["20260102-000000-bbbbbb", dead.pid],
        ["20260103-000000-cccccc", null],
      ] as const
    ) {
      oldSession(name);
      if (pid) writeFileSync(join(home, "logs", name, PID_FILE), String(pid));
    }
    const session = createSession(settings({ keep_sessions: 2 }), { FICTA_HOME: home });
    expect(session.pruned).toEqual(["20260102-000000-bbbbbb", "20260103-000000-cccccc"]);
    session.record(entry());
    expect(readFileSync(join(session.dir, PID_FILE), "utf8")).toBe(String(process.pid));
    session.close();
    expect(readdirSync(session.dir)).toEqual(["requests.jsonl"]);
  });

  test("no logs directory yet: nothing to prune", () => {
    expect(pruneSessions(join(home, "missing"), 20, 1)).toEqual({ removed: [] });
  });
});
