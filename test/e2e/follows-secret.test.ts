/**
 * Protection that follows the secret, not the launch (issue 11), with the real Codex CLI against
 * the loopback mock model. Each test asserts on the bytes the upstream received: resume from
 * another directory and after rotation, a value appended to `.env` mid-session, a monorepo's
 * nested dotenv files, Codex's own auth.json tokens, output cut by Codex's truncation marker (one
 * read and two reads), and plain settings in `.env` that must not break a turn.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { minimumPiece } from "../../src/core/redact/truncation.ts";
import {
  baseEnv,
  CODEX_MATRIX,
  type Dirs,
  fictaCommand,
  filesUnder,
  leaks,
  needles,
  OFFLINE_FLAGS,
  removeTempDirs,
  run,
  type RunResult,
  tempDirs,
  writeLogin,
} from "./harness.ts";
import {
  type Item,
  type Received,
  type Script,
  startMockUpstream,
  toolOutputs,
} from "./mock-upstream.ts";

afterAll(removeTempDirs);

const id = () => crypto.randomUUID().replaceAll("-", "");
/** A value with no credential shape: only a registry (or the store) can know it. */
const plainValue = (label: string) => `${label}-${id().slice(0, 24)}`;

function execCall(cmd: string, extra: Record<string, unknown> = {}): Item {
  return {
    type: "function_call",
    name: "exec_command",
    arguments: JSON.stringify({ cmd, ...extra }),
  };
}

/** A script answering the n-th model request with `turns[n]`, then a final message. */
function scripted(turns: Array<Item[] | ((body: unknown) => Item[])>): Script {
  let n = 0;
  return (body) => {
    const turn = turns[n++];
    if (!turn) return [{ type: "message", text: "done" }];
    return typeof turn === "function" ? turn(body) : turn;
  };
}

interface Run {
  result: RunResult;
  received: Received[];
  /** Every POST body the upstream received, decoded. */
  bodies: string;
}

async function fictaExec(
  dirs: Dirs,
  script: Script,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; login?: "apikey" | "chatgpt" } = {},
): Promise<Run> {
  const upstream = startMockUpstream(script);
  if (!existsSync(join(dirs.codexHome, "auth.json"))) {
    writeLogin(dirs.codexHome, options.login ?? "apikey");
  }
  try {
    const result = await run([...fictaCommand(), "codex", "exec", ...args], {
      cwd: options.cwd ?? dirs.project,
      env: {
        ...baseEnv(dirs),
        FICTA_CHATGPT_UPSTREAM: upstream.origin,
        FICTA_OPENAI_UPSTREAM: upstream.origin,
        ...options.env,
      },
      timeoutMs: 60_000,
    });
    const received = upstream.received;
    return {
      result,
      received,
      bodies: received.filter((r) => r.method === "POST").map((r) => r.body).join("\n"),
    };
  } finally {
    await upstream.stop();
  }
}

function modelTurns(run: Run): Received[] {
  return run.received.filter((r) => r.method === "POST" && r.url.endsWith("/responses"));
}

const secretNeedles = (name: string, value: string) => needles([{ name, value, spelling: null }]);

describe("resume", () => {
  test(
    "from another directory and after rotation, old values stay protected",
    async () => {
      const dirs = tempDirs("resume");
      mkdirSync(join(dirs.project, ".git"));
      const old = plainValue("resume-old");
      writeFileSync(join(dirs.project, ".env"), `RESUME_SECRET=${old}\n`);
      const first = await fictaExec(
        dirs,
        scripted([[execCall("cat .env")]]),
        ["--json", ...OFFLINE_FLAGS, "read the settings"],
      );
      expect(first.result.code).toBe(0);
      expect(leaks(first.bodies, secretNeedles("RESUME_SECRET", old))).toEqual([]);
      const thread = /"thread_id":"([^"]+)"/.exec(first.result.stdout)?.[1];
      expect(thread).toBeDefined();
      // Codex's session file holds the restored value: what a resume re-sends.
      const sessions = filesUnder(join(dirs.codexHome, "sessions"));
      expect(sessions.some((file) => file.text.includes(old))).toBe(true);

      // From a directory without that .env.
      const elsewhere = join(dirs.root, "elsewhere");
      mkdirSync(elsewhere);
      const fromElsewhere = await fictaExec(
        dirs,
        scripted([]),
        ["resume", ...OFFLINE_FLAGS, thread!, "continue"],
        { cwd: elsewhere },
      );
      expect(fromElsewhere.result.code).toBe(0);
      expect(modelTurns(fromElsewhere).length).toBeGreaterThan(0);
      expect(leaks(fromElsewhere.bodies, secretNeedles("RESUME_SECRET", old))).toEqual([]);
      expect(fromElsewhere.bodies).toMatch(/ficta_[A-Za-z0-9]{22}/);

      // After rotation: the project's .env now holds a new value; the history the old one.
      const rotated = plainValue("resume-new");
      writeFileSync(join(dirs.project, ".env"), `RESUME_SECRET=${rotated}\n`);
      const afterRotation = await fictaExec(
        dirs,
        scripted([[execCall("cat .env")]]),
        ["resume", ...OFFLINE_FLAGS, thread!, "read it again"],
      );
      expect(afterRotation.result.code).toBe(0);
      expect(leaks(afterRotation.bodies, secretNeedles("RESUME_SECRET", old))).toEqual([]);
      expect(leaks(afterRotation.bodies, secretNeedles("RESUME_SECRET", rotated))).toEqual([]);
      // The store lists names, never values.
      const store = readFileSync(join(dirs.fictaHome, "store", "values"), "utf8");
      expect(store).toContain('"name":"RESUME_SECRET"');
      expect(store.includes(old) || store.includes(rotated)).toBe(false);
    },
    120_000,
  );
});

test(
  "a value appended to .env while a tool call sleeps is protected from the next request on",
  async () => {
    const dirs = tempDirs("append");
    const first = plainValue("first");
    const late = plainValue("late");
    writeFileSync(join(dirs.project, ".env"), `FIRST_SECRET=${first}\n`);
    const run = await fictaExec(
      dirs,
      scripted([
        () => {
          // The user edits .env while Codex runs a long command.
          setTimeout(
            () => appendFileSync(join(dirs.project, ".env"), `LATE_SECRET=${late}\n`),
            700,
          );
          return [execCall("sleep 2")];
        },
        [execCall("cat .env")],
      ]),
      [...OFFLINE_FLAGS, "work"],
    );
    expect(run.result.code).toBe(0);
    const turns = modelTurns(run);
    expect(turns.length).toBe(3);
    // The value did reach Codex's tool output (restored there), but never the upstream.
    expect(leaks(run.bodies, secretNeedles("LATE_SECRET", late))).toEqual([]);
    expect(leaks(run.bodies, secretNeedles("FIRST_SECRET", first))).toEqual([]);
    const catOutput = toolOutputs(JSON.parse(turns[2].body)).at(-1)!;
    expect(catOutput).toMatch(/LATE_SECRET=ficta_[A-Za-z0-9]{22}/);
    // One metadata line in the request log: names only.
    const log = filesUnder(join(dirs.fictaHome, "logs")).find((f) =>
      f.path.endsWith("requests.jsonl")
    )!;
    const lines = log.text.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.event === "registry")).toEqual([
      expect.objectContaining({ source: ".env", added: ["LATE_SECRET"] }),
    ]);
    expect(log.text).not.toContain(late);
  },
  90_000,
);

test(
  "a monorepo launched at its root: apps/*/.env.local and services/api/.env are protected",
  async () => {
    const dirs = tempDirs("monorepo");
    mkdirSync(join(dirs.project, ".git"));
    const values: Record<string, string> = {};
    for (const app of ["web", "admin"]) {
      mkdirSync(join(dirs.project, "apps", app), { recursive: true });
      values[`${app.toUpperCase()}_SECRET`] = plainValue(app);
      writeFileSync(
        join(dirs.project, "apps", app, ".env.local"),
        `${app.toUpperCase()}_SECRET=${values[`${app.toUpperCase()}_SECRET`]}\n`,
      );
    }
    mkdirSync(join(dirs.project, "services", "api"), { recursive: true });
    values.API_SECRET = plainValue("api");
    writeFileSync(
      join(dirs.project, "services", "api", ".env"),
      `API_SECRET=${values.API_SECRET}\n`,
    );
    // Dependencies are not searched.
    mkdirSync(join(dirs.project, "node_modules", "dep"), { recursive: true });
    writeFileSync(
      join(dirs.project, "node_modules", "dep", ".env"),
      "DEP_SECRET=dependency-value-1\n",
    );
    const run = await fictaExec(
      dirs,
      scripted([[execCall("cat apps/*/.env.local services/api/.env")]]),
      [...OFFLINE_FLAGS, "read"],
    );
    expect(run.result.code).toBe(0);
    expect(run.result.stderr).toContain("registry: apps/web/.env.local (1 value)");
    expect(run.result.stderr).toContain("registry: services/api/.env (1 value)");
    expect(run.result.stderr).not.toContain("node_modules");
    for (const [name, value] of Object.entries(values)) {
      expect(leaks(run.bodies, secretNeedles(name, value))).toEqual([]);
    }
    const output = toolOutputs(JSON.parse(modelTurns(run).at(-1)!.body)).at(-1)!;
    expect(output.match(/_SECRET=ficta_[A-Za-z0-9]{22}/g)?.length).toBe(3);
  },
  60_000,
);

test(
  "ChatGPT login: every auth.json token read by the agent is replaced; auth headers untouched",
  async () => {
    const dirs = tempDirs("auth-json");
    const login = writeLogin(dirs.codexHome, "chatgpt");
    const auth = JSON.parse(readFileSync(join(dirs.codexHome, "auth.json"), "utf8"));
    const run = await fictaExec(
      dirs,
      scripted([[execCall(`cat ${join(dirs.codexHome, "auth.json")}`)]]),
      [...OFFLINE_FLAGS, "read"],
    );
    expect(run.result.code).toBe(0);
    for (const name of ["access_token", "refresh_token", "id_token"]) {
      expect(leaks(run.bodies, secretNeedles(name, auth.tokens[name]))).toEqual([]);
    }
    const turns = modelTurns(run);
    expect(turns.length).toBe(2);
    const output = toolOutputs(JSON.parse(turns[1].body)).at(-1)!;
    expect(output).toMatch(/"refresh_token":\s*"ficta_[A-Za-z0-9]{22}"/);
    for (const turn of turns) {
      expect(turn.headers.authorization).toBe(`Bearer ${login.bearer}`);
      expect(turn.headers["chatgpt-account-id"]).toBe(login.accountId!);
    }
  },
  60_000,
);

describe("Codex's output truncation", () => {
  // The matrix pinned in package.json, not whatever Codex this machine has installed globally.
  const codexes = CODEX_MATRIX.map((c) => [`${c.version} (${c.label})`, c.path]) as [
    string,
    string | undefined,
  ][];
  for (const [label, codex] of codexes) {
    test(
      `${label}: a value cut by the marker, read twice with different cuts, is never rebuilt`,
      async () => {
        const dirs = tempDirs("truncation");
        const value = `${id()}${id()}`.slice(0, 36);
        writeFileSync(join(dirs.project, ".env"), `TOKEN=${value}\n`);
        const tokens = 100; // Codex keeps the first and last 2 x tokens bytes of the output
        /** Padding so the head ends `head` chars into the value and the tail starts at `tail`. */
        const cut = (head: number, tail: number) => {
          const before = 2 * tokens - "TOKEN=".length - head;
          const after = 2 * tokens - (value.length - tail) - 1;
          return execCall(
            `printf '%0${before}d' 0; cat .env; printf '%0${after}d' 0`,
            { max_output_tokens: tokens },
          );
        };
        // Read 1 keeps 24 leading and 6 trailing characters, read 2 6 and 24: without ficta the
        // first 24 of one and the last 24 of the other give all 36.
        const run = await fictaExec(
          dirs,
          scripted([[cut(24, 30)], [cut(6, 12)]]),
          [...OFFLINE_FLAGS, "read"],
          { env: codex ? { FICTA_REAL_CODEX: codex } : {} },
        );
        expect(run.result.code).toBe(0);
        const outputs = toolOutputs(JSON.parse(modelTurns(run).at(-1)!.body));
        expect(outputs.length).toBe(2);
        const min = minimumPiece(value.length);
        const [first, second] = outputs.map((output) => {
          // The marker as this Codex writes it.
          const parts = output.split(/…\d+ tokens truncated…/);
          expect(parts.length).toBe(2);
          const [head, tail] = parts;
          expect(longestPrefixAtEnd(head, value)).toBeLessThan(min);
          expect(longestSuffixAtStart(tail, value)).toBeLessThan(min);
          return { head, tail };
        });
        // The long pieces were replaced; the short ones (below the minimum) went as they were.
        expect(first.head).toMatch(/TOKEN=ficta_[A-Za-z0-9]{22}$/);
        expect(first.tail.startsWith(value.slice(30))).toBe(true);
        expect(second.head.endsWith(`TOKEN=${value.slice(0, 6)}`)).toBe(true);
        expect(second.tail).toMatch(/^ficta_[A-Za-z0-9]{22}\n/);
        expect(leaks(run.bodies, secretNeedles("TOKEN", value))).toEqual([]);
        // Nothing of the value beyond the documented minimum, anywhere in what was sent.
        for (let i = 0; i + min <= value.length; i++) {
          expect(run.bodies.includes(value.slice(i, i + min))).toBe(false);
        }
      },
      60_000,
    );
  }
});

function longestPrefixAtEnd(text: string, value: string): number {
  for (let n = value.length; n > 0; n--) if (text.endsWith(value.slice(0, n))) return n;
  return 0;
}

function longestSuffixAtStart(text: string, value: string): number {
  for (let n = value.length; n > 0; n--) if (text.startsWith(value.slice(-n))) return n;
  return 0;
}

test(
  "OPENAI_MODEL and CONTENT_TYPE in .env are settings: the model and Content-Type stay intact",
  async () => {
    const dirs = tempDirs("settings");
    const model = "gpt-5.1-codex";
    const secret = plainValue("real");
    writeFileSync(
      join(dirs.project, ".env"),
      `OPENAI_MODEL=${model}\nCONTENT_TYPE=application/json\nAPP_ENV=production\nAPP_SECRET=${secret}\n`,
    );
    const run = await fictaExec(
      dirs,
      scripted([[execCall("cat .env")]]),
      ["-m", model, ...OFFLINE_FLAGS, "read"],
    );
    expect(run.result.code).toBe(0);
    expect(run.result.stderr).toContain(
      "registry: .env (1 value, 3 skipped: a setting (OPENAI_MODEL, CONTENT_TYPE, APP_ENV))",
    );
    const turns = modelTurns(run);
    expect(turns.length).toBe(2);
    for (const turn of turns) {
      expect(JSON.parse(turn.body).model).toBe(model);
      expect(turn.headers["content-type"]).toBe("application/json");
    }
    expect(leaks(run.bodies, secretNeedles("APP_SECRET", secret))).toEqual([]);
  },
  60_000,
);

test(
  "Codex's own tokens do not satisfy registry.require: no project value still refuses",
  async () => {
    const dirs = tempDirs("require-auth");
    const run = await fictaExec(dirs, scripted([]), [...OFFLINE_FLAGS, "hi"], {
      login: "chatgpt",
      env: { FICTA_REQUIRE_REGISTRY: "1" },
    });
    expect(run.result.code).toBe(78);
    expect(run.result.stderr).toContain("registry: codex auth.json (");
    expect(run.result.stderr).toContain(
      "no protected value was loaded from any source but Codex's own credentials",
    );
    expect(run.received).toEqual([]);
  },
  30_000,
);
