/**
 * `ficta codex exec` with the real Codex CLI against a loopback mock model, in every auth mode:
 * the model reads the project's secrets, writes a file with what it received and answers with
 * it. Nothing registered may reach the upstream in any form; Codex must behave as if ficta were
 * not there (real values in the file and the answer). The scenarios run concurrently.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PROXY_TOKEN_ENV } from "../../src/agents/codex/overrides.ts";
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
import {
  chooseEncoding,
  ECHO_PATH,
  type MockUpstream,
  type Received,
  startMockUpstream,
} from "./mock-upstream.ts";
import { fileText, finalText, OUTPUT_FILE, threeTurns, TURN1_NAMES } from "./turns.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

type Mode = "chatgpt" | "apikey-login" | "codex-api-key" | "openai-api-key";

interface Scenario {
  mode: Mode;
  restoreIntoTools: "all" | "none";
  dirs: Dirs;
  secrets: FakeSecret[];
  upstream: MockUpstream;
  seen: Record<string, string>;
  turn1Output: string[];
  /** What the proxy answered callers that are not its Codex, asked mid-conversation. */
  probes: Record<string, number | string>;
  bearer: string;
  accountId?: string;
  result: RunResult;
}

async function scenario(mode: Mode, restoreIntoTools: "all" | "none"): Promise<Scenario> {
  const dirs = tempDirs(`${mode}-${restoreIntoTools}`);
  const secrets = writeProjectSecrets(dirs.project);
  let origin: string | undefined;
  const probes: Record<string, number | string> = {};
  const conversation = threeTurns(async (seen) => {
    if (!origin) return;
    Object.assign(probes, await probeProxy(origin, seen));
  });
  const upstream = startMockUpstream(conversation.script);
  const env: Record<string, string> = {
    ...baseEnv(dirs),
    FICTA_CHATGPT_UPSTREAM: upstream.origin,
    FICTA_OPENAI_UPSTREAM: upstream.origin,
    [PROCESS_SECRET]: secrets.find((s) => s.name === PROCESS_SECRET)!.value,
  };
  if (restoreIntoTools === "none") env.FICTA_PROXY_RESTORE_INTO_TOOLS = "none";
  let login: { bearer: string; accountId?: string };
  if (mode === "chatgpt") login = writeLogin(dirs.codexHome, "chatgpt");
  else if (mode === "apikey-login") login = writeLogin(dirs.codexHome, "apikey");
  else {
    // CODEX_API_KEY must win over a ChatGPT login; OPENAI_API_KEY is used only when alone.
    if (mode === "codex-api-key") writeLogin(dirs.codexHome, "chatgpt");
    const variable = mode === "codex-api-key" ? "CODEX_API_KEY" : "OPENAI_API_KEY";
    env[variable] = `fake-${variable.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}`;
    login = { bearer: env[variable] };
  }
  const password = env[PROCESS_SECRET];
  const result = await run(
    [
      ...fictaCommand(),
      "codex",
      "exec",
      "--json",
      ...OFFLINE_FLAGS,
      `Read the settings and save them. The service password is ${password}.`,
    ],
    {
      cwd: dirs.project,
      env,
      timeoutMs: SCENARIOS_TIMEOUT_MS - 30_000,
      onStderr: (text) => {
        origin ??= /model requests -> (http:\/\/127\.0\.0\.1:\d+) ->/.exec(text)?.[1];
      },
    },
  );
  return {
    mode,
    restoreIntoTools,
    dirs,
    secrets,
    upstream,
    seen: conversation.seen,
    turn1Output: conversation.turn1Output,
    probes,
    bearer: login.bearer,
    accountId: login.accountId,
    result,
  };
}

/**
 * Another local process that found the port: without the token a model request is refused
 * (403) and a housekeeping call is forwarded but its answer is not restored; a foreign Host
 * (DNS rebinding) is refused (421).
 */
async function probeProxy(origin: string, seen: Record<string, string>) {
  const surrogate = seen.E2E_PLAIN;
  const body = JSON.stringify({ input: `say ${surrogate}` });
  const responses = await fetch(`${origin}/v1/responses`, { method: "POST", body });
  const echo = await fetch(`${origin}${ECHO_PATH}`, { method: "POST", body });
  const rebinding = await fetch(`${origin}/v1/models`, { headers: { host: "attacker.test:80" } });
  return {
    responsesWithoutToken: responses.status,
    housekeepingWithoutToken: echo.status,
    housekeepingAnswer: await echo.text(),
    foreignHost: rebinding.status,
  };
}

/**
 * What the model's surrogates restore to: the text it read, i.e. the dotenv spelling for values
 * it saw through `cat .env` (escapes kept), the value for the others.
 */
function values(secrets: FakeSecret[]): Record<string, string> {
  return Object.fromEntries(secrets.map((s) => [s.name, s.spelling ?? s.value]));
}

function wire(request: Received): string {
  return [
    `${request.method} ${request.url}`,
    ...Object.entries(request.headers).map(([k, v]) => `${k}: ${v}`),
    "",
    request.body,
  ].join("\n");
}

afterAll(removeTempDirs);

/** Five real Codex runs at once on a shared 2-core machine: generous, never a speed claim. */
const SCENARIOS_TIMEOUT_MS = 240_000;

const MODES: Mode[] = ["chatgpt", "apikey-login", "codex-api-key", "openai-api-key"];

// Every Codex in the matrix: each block runs its five scenarios, then checks them.
forEachCodex((codex) => {
  const scenarios = new Map<string, Scenario>();

  beforeAll(async () => {
    const all = await Promise.all([
      scenario("chatgpt", "all"),
      scenario("apikey-login", "all"),
      scenario("codex-api-key", "all"),
      scenario("openai-api-key", "all"),
      scenario("apikey-login", "none"),
    ]);
    for (const s of all) scenarios.set(`${s.mode}/${s.restoreIntoTools}`, s);
  }, SCENARIOS_TIMEOUT_MS);

  afterAll(async () => {
    for (const s of scenarios.values()) await s.upstream.stop();
  });

  function get(key: string): Scenario {
    const s = scenarios.get(key);
    if (!s) throw new Error(`scenario ${key} did not run`);
    return s;
  }

  function describeFailure(s: Scenario): string {
    return `exit ${s.result.code}\n--- stderr\n${s.result.stderr}\n--- stdout\n${s.result.stdout}`;
  }

  for (const mode of MODES) {
    describe(`ficta codex exec, ${mode}`, () => {
      const key = `${mode}/all`;

      test("Codex completes all three turns and exits 0", () => {
        const s = get(key);
        expect(s.result.code, describeFailure(s)).toBe(0);
        const turns = s.upstream.received.filter((r) => r.url.split("?")[0].endsWith("/responses"));
        expect(turns.length).toBe(3);
      });

      test("no form of any secret reaches the upstream, and the token never does", () => {
        const s = get(key);
        // The surrogate key ficta created on this first launch is protected as well.
        const surrogateKey = readFileSync(join(s.dirs.fictaHome, "key"), "utf8").trim();
        const found = [
          ...needles(s.secrets),
          ...needles([{ name: "key file", value: surrogateKey, spelling: null }]),
        ];
        for (const request of s.upstream.received) {
          expect(leaks(wire(request), found), `${request.method} ${request.url}`).toEqual([]);
          expect(request.headers["x-ficta-token"]).toBeUndefined();
        }
        // The detector itself finds every secret in the files Codex read.
        const project = [".env", ".env.local"].map((f) =>
          readFileSync(join(s.dirs.project, f), "utf8")
        )
          .join("") + s.secrets.find((x) => x.name === PROCESS_SECRET)!.value;
        expect(new Set(leaks(project, found).map((l) => l.split(" ")[0])).size).toBe(
          s.secrets.length,
        );
        // The model saw a surrogate for every value, the key file's included.
        expect(Object.keys(s.seen).sort()).toEqual([...TURN1_NAMES].sort());
        expect(new Set(Object.values(s.seen)).size).toBe(TURN1_NAMES.length);
        // The commands Codex runs get the proxy token emptied.
        expect(s.turn1Output[0]).toMatch(new RegExp(`^${PROXY_TOKEN_ENV}=$`, "m"));
      });

      test("mid-conversation, the proxy serves no caller but its own Codex", () => {
        const s = get(key);
        expect(s.probes).toEqual({
          responsesWithoutToken: 403,
          housekeepingWithoutToken: 200,
          housekeepingAnswer: JSON.stringify({ input: `say ${s.seen.E2E_PLAIN}` }),
          foreignHost: 421,
        });
      });

      test("the file Codex wrote holds the real values byte for byte", () => {
        const s = get(key);
        const written = readFileSync(join(s.dirs.project, OUTPUT_FILE));
        expect(written).toEqual(Buffer.from(fileText(values(s.secrets)) + "\n"));
      });

      test("Codex's final message shows the real values", () => {
        const s = get(key);
        expect(finalMessage(s.result.stdout)).toBe(finalText(values(s.secrets)));
      });

      test("answers come compressed when Codex accepts it, and are decoded before restoring", () => {
        const s = get(key);
        const turns = s.upstream.received.filter((r) => r.url.endsWith("/responses"));
        for (const request of turns) {
          expect(request.answerEncoding).toBe(chooseEncoding(request.headers["accept-encoding"]));
        }
        // 0.171 started asking for zstd: its answers here were compressed, and the file and
        // final message above still came out byte for byte.
        if (Bun.semver.order(codex.version, "0.171.0") >= 0) {
          expect(turns.map((r) => r.answerEncoding)).toEqual(["zstd", "zstd", "zstd"]);
        }
      });

      test("routes and auth headers match the login", () => {
        const s = get(key);
        const turns = s.upstream.received.filter((r) => r.url.endsWith("/responses"));
        expect(turns.length).toBe(3);
        for (const request of turns) {
          expect(request.headers.authorization).toBe(`Bearer ${s.bearer}`);
          if (mode === "chatgpt") {
            expect(request.url).toBe("/backend-api/codex/responses");
            expect(request.headers["chatgpt-account-id"]).toBe(s.accountId!);
          } else {
            expect(request.url).toBe("/v1/responses");
            expect(request.headers["chatgpt-account-id"]).toBeUndefined();
          }
        }
        const models = s.upstream.received.filter((r) => r.url.includes("/models"));
        if (mode === "chatgpt") {
          expect(models.length).toBeGreaterThan(0);
          for (const m of models) {
            expect(m.url).toStartWith("/backend-api/codex/models?client_version=");
          }
        } else {
          expect(models).toEqual([]);
        }
      });

      test("ficta's stderr and files hold no value; Codex's config is untouched", () => {
        const s = get(key);
        const found = needles(s.secrets);
        expect(leaks(s.result.stderr, found)).toEqual([]);
        const fictaLines = s.result.stderr.split("\n").filter((l) => l.startsWith("ficta"));
        expect(fictaLines.some((l) => /^ficta: \d+ values? protected; /.test(l))).toBe(true);
        // stderr is a pipe here, not a terminal: one line per request (the probe's refusal too).
        const turnLines = fictaLines.filter((l) => l.startsWith("ficta: -> POST /v1/responses"));
        expect(turnLines.filter((l) => l.includes(" 200 ")).length).toBe(3);
        expect(turnLines.filter((l) => l.includes(" 403 ")).length).toBe(1);
        const files = filesUnder(s.dirs.fictaHome);
        const log = files.find((f) => f.path.endsWith("requests.jsonl"));
        expect(log).toBeDefined();
        // Codex's own traffic (token in its environment) is never refused by its proxy; the only
        // refusals are the two probes that came without it or with a foreign Host.
        const entries = log!.text.trim().split("\n").map((line) => JSON.parse(line));
        expect(entries.length).toBe(s.upstream.received.length + 2);
        const refused = entries.filter((e) => e.refused !== null || e.blocked);
        expect(refused.map((e) => e.status).sort()).toEqual([403, 421]);
        for (const file of files) expect(leaks(file.text, found), file.path).toEqual([]);
        expect(existsSync(join(s.dirs.codexHome, "config.toml"))).toBe(false);
      });
    });
  }

  describe("restore_into_tools = none, through the real Codex", () => {
    test("the file Codex wrote holds surrogates; its final message shows real values", () => {
      const s = get("apikey-login/none");
      expect(s.result.code, describeFailure(s)).toBe(0);
      expect(leaks(readFileSync(join(s.dirs.project, OUTPUT_FILE), "utf8"), needles(s.secrets)))
        .toEqual([]);
      expect(readFileSync(join(s.dirs.project, OUTPUT_FILE), "utf8")).toBe(fileText(s.seen) + "\n");
      expect(finalMessage(s.result.stdout)).toBe(finalText(values(s.secrets)));
      for (const request of s.upstream.received) {
        expect(leaks(wire(request), needles(s.secrets))).toEqual([]);
      }
    });
  });
});
