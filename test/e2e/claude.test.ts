/**
 * `ficta claude` end to end with the real Claude Code CLI (pinned in package.json) against the
 * loopback mock Anthropic server, in API-key and OAuth-token modes: the leak battery (values from
 * .env, .env.local and the process environment in every spelling, a multi-line key, Claude
 * Code's own credential and ficta's launch header, a value restored into a Bash command and
 * echoed back next turn), byte-exact round trips through Write and a heredoc, signed thinking
 * blocks unchanged on the wire, a refusal shown once, routing asserted on the bytes the mock
 * received. Leaks are checked twice: with the needles of harness.ts and with the independent
 * decoder of test/leak-check.ts.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BLOCKED_EXIT } from "../../src/session/exit-codes.ts";
import { findLeaks, type LeakSecret } from "../leak-check.ts";
import {
  CLAUDE_TURN1_NAMES,
  claudeFileText,
  claudeFinalText,
  claudeTurns,
  ECHO_FILE,
  HEREDOC_FILE,
  WRITE_FILE,
} from "./claude-turns.ts";
import {
  type Dirs,
  fictaCommand,
  leaks,
  needles,
  PROCESS_SECRET,
  removeTempDirs,
  ROOT,
  run,
  type RunResult,
  tempDirs,
  writeProjectSecrets,
} from "./harness.ts";
import {
  type AnthropicReceived,
  type Block,
  startMockAnthropic,
  toolResults,
} from "./mock-anthropic.ts";
import { startProxyRecorder } from "./system-proxy.ts";

afterAll(removeTempDirs);

export const REAL_CLAUDE = join(ROOT, "node_modules", ".bin", "claude");
const PRINT = [
  "-p",
  "Do the task.",
  "--output-format",
  "stream-json",
  "--verbose",
  "--dangerously-skip-permissions",
];
const TIMEOUT = 120_000;

type Mode = "api-key" | "oauth-token";
const CREDENTIAL_VAR: Record<Mode, string> = {
  "api-key": "ANTHROPIC_API_KEY",
  "oauth-token": "CLAUDE_CODE_OAUTH_TOKEN",
};

function fakeCredential(mode: Mode): string {
  const body = crypto.getRandomValues(new Uint8Array(60)).toBase64({ alphabet: "base64url" });
  return `${mode === "api-key" ? "sk-ant-api03-" : "sk-ant-oat01-"}${body}-FAKEAA`;
}

interface Launch {
  result: RunResult;
  received: AnthropicReceived[];
  outside: string[];
}

/** `ficta claude PRINT` in `dirs.project`, upstream the mock, outside traffic recorded. */
async function launch(
  dirs: Dirs,
  script: Parameters<typeof startMockAnthropic>[0],
  env: Record<string, string>,
): Promise<Launch> {
  const mock = startMockAnthropic(script);
  const recorder = startProxyRecorder();
  const tmp = join(dirs.root, "tmp");
  mkdirSync(tmp, { recursive: true });
  try {
    const result = await run([...fictaCommand(), "claude", ...PRINT], {
      cwd: dirs.project,
      timeoutMs: TIMEOUT,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: dirs.home,
        FICTA_HOME: dirs.fictaHome,
        FICTA_REAL_CLAUDE: REAL_CLAUDE,
        FICTA_ANTHROPIC_UPSTREAM: mock.origin,
        TMPDIR: tmp,
        TERM: "dumb",
        LANG: "C.UTF-8",
        ...(process.getuid?.() === 0 ? { IS_SANDBOX: "1" } : {}),
        ...recorder.env,
        ...env,
      },
    });
    return { result, received: [...mock.received], outside: [...recorder.connections] };
  } finally {
    await mock.stop();
    recorder.stop();
  }
}

/** The JSON result line of `-p --output-format stream-json`. */
function resultOf(stdout: string): Record<string, unknown> | undefined {
  for (const line of stdout.split("\n").reverse()) {
    if (!line.startsWith("{")) continue;
    const event = JSON.parse(line);
    if (event.type === "result") return event;
  }
  return undefined;
}

/** Request text that may carry a value: body, URL and the headers that are not the login. */
function outgoing(request: AnthropicReceived): string {
  const headers = Object.entries(request.headers)
    .filter(([name]) => name !== "x-api-key" && name !== "authorization")
    .map(([name, value]) => `${name}: ${value}`);
  return [request.url, ...headers, request.body].join("\n");
}

for (const mode of ["api-key", "oauth-token"] as const) {
  describe(`ficta claude (${mode})`, () => {
    test("leak battery, Write/heredoc round trip, signed thinking, routing", async () => {
      const dirs = tempDirs(`claude-${mode}`);
      const secrets = writeProjectSecrets(dirs.project);
      const values = Object.fromEntries(secrets.map((s) => [s.name, s.value]));
      // What the model's surrogates restore to: the text it read (a dotenv value's spelling).
      const read = Object.fromEntries(secrets.map((s) => [s.name, s.spelling ?? s.value]));
      const credential = fakeCredential(mode);
      const conversation = claudeTurns(CREDENTIAL_VAR[mode], dirs.project);
      const { result, received, outside } = await launch(dirs, conversation.script, {
        [PROCESS_SECRET]: values[PROCESS_SECRET],
        [CREDENTIAL_VAR[mode]]: credential,
      });
      const final = resultOf(result.stdout);
      expect(result.code, result.stderr).toBe(0);
      expect(final?.result).toBe(claudeFinalText(read));

      // Routing, on the bytes the mock received: four model turns, nothing else, the login as
      // Claude Code built it, and no outside connection.
      expect(received.map((r) => `${r.method} ${r.url}`)).toEqual(
        Array(4).fill("POST /v1/messages?beta=true"),
      );
      for (const request of received) {
        if (mode === "api-key") expect(request.headers["x-api-key"]).toBe(credential);
        else expect(request.headers.authorization).toBe(`Bearer ${credential}`);
        expect(request.headers["x-ficta-token"]).toBeUndefined();
      }
      expect(outside).toEqual([]);
      // Over a Unix socket of this launch (Claude Code sends `Host: localhost` there).
      expect(result.stderr).toContain(
        process.platform === "win32"
          ? "model requests -> http://127.0.0.1:"
          : "model requests -> http://localhost ->",
      );

      // The model saw a surrogate for every name, never a value.
      for (const name of CLAUDE_TURN1_NAMES) expect(conversation.seen[name]).toMatch(/^ficta_/);
      const line = (name: string) =>
        new RegExp(`^${name}=(.*)$`, "m").exec(conversation.turn1Output[0])?.[1];
      // Measured with 2.1.332: Claude Code strips CLAUDE_CODE_OAUTH_TOKEN from its commands'
      // environment, but not ANTHROPIC_API_KEY nor ANTHROPIC_CUSTOM_HEADERS (ficta's token).
      if (mode === "api-key") expect(line("CREDENTIAL")).toMatch(/^ficta_[A-Za-z0-9]{22}$/);
      else expect(line("CREDENTIAL")).toBe("");
      expect(line("HEADERS")).toMatch(/^x-ficta-token: ficta_[A-Za-z0-9]{22}$/);

      // The leak battery: no form of any value in anything sent, checked two independent ways.
      const all: LeakSecret[] = [
        ...secrets.map((s) => ({ name: s.name, value: s.value })),
        { name: CREDENTIAL_VAR[mode], value: credential },
        {
          name: "FICTA_KEY_FILE",
          value: readFileSync(join(dirs.fictaHome, "key"), "utf8").trim(),
        },
      ];
      const forms = needles(secrets);
      received.forEach((request, i) => {
        const text = outgoing(request);
        expect(leaks(text, forms), `request ${i + 1}`).toEqual([]);
        expect(findLeaks(text, all), `request ${i + 1}`).toEqual([]);
        expect(text.includes(credential), `request ${i + 1}: credential`).toBe(false);
      });

      // Files written with real values, byte for byte: through Write, through a heredoc, and
      // a value quoted for the shell in a Bash command.
      const expected = claudeFileText(read);
      expect(readFileSync(join(dirs.project, WRITE_FILE), "utf8")).toBe(expected);
      expect(readFileSync(join(dirs.project, HEREDOC_FILE), "utf8")).toBe(expected);
      expect(readFileSync(join(dirs.project, ECHO_FILE), "utf8")).toBe(`${read.E2E_QUOTED}\n`);
      // The echoed value came back in turn 4's tool result as the surrogate again.
      const last = JSON.parse(received[3].body);
      expect(toolResults(last).at(-1)).toBe(conversation.seen.E2E_QUOTED);

      // Signed thinking: each block the mock sent is in every later request exactly as sent.
      conversation.thinking.forEach((block, turn) => {
        const wire = `"thinking":${JSON.stringify(block.thinking)},"signature":${
          JSON.stringify(block.signature)
        }`;
        for (const request of received.slice(turn + 1)) {
          expect(request.body.includes(wire), `thinking of turn ${turn + 1}`).toBe(true);
        }
      });
    }, TIMEOUT + 10_000);
  });
}

describe("ficta claude refusals and round trips", () => {
  test("a value inside a signed thinking block is refused once (451), shown verbatim", async () => {
    const dirs = tempDirs("claude-refusal");
    const secrets = writeProjectSecrets(dirs.project);
    const plain = secrets.find((s) => s.name === "E2E_PLAIN")!.value;
    // The model "thinks" a real value (a surrogate would be the only honest content): Claude
    // Code echoes the block, which ficta must neither rewrite nor send.
    const script = (body: Parameters<typeof toolResults>[0]): Block[] =>
      toolResults(body).length === 0
        ? [
          { type: "thinking", thinking: `the value is ${plain}`, signature: "c2lnbmVk" },
          { type: "tool_use", name: "Bash", input: { command: "true", description: "noop" } },
        ]
        : [{ type: "text", text: "SHOULD NOT BE REACHED" }];
    const { result, received } = await launch(dirs, script, {
      ANTHROPIC_API_KEY: fakeCredential("api-key"),
    });
    const final = resultOf(result.stdout);
    // Claude Code exits 1 on the API error; ficta reports the blocked request with its own code.
    expect(result.code).toBe(BLOCKED_EXIT);
    expect(final?.api_error_status).toBe(451);
    expect(String(final?.result)).toStartWith("API Error: 451 ficta");
    expect(String(final?.result)).toContain("E2E_PLAIN");
    // One model turn reached the mock; the refused request never left, and was not retried.
    expect(received).toHaveLength(1);
    expect(result.stdout.split("API Error: 451").length - 1).toBeLessThanOrEqual(2);
  }, TIMEOUT + 10_000);

  test("a file read with Bash comes back byte for byte through Write and a heredoc", async () => {
    const dirs = tempDirs("claude-round-trip");
    const secrets = writeProjectSecrets(dirs.project);
    const v = Object.fromEntries(secrets.map((s) => [s.name, s.value]));
    const original = JSON.stringify(
      { url: v.E2E_DATABASE_URL, quoted: v.E2E_QUOTED, pem: v.E2E_PEM, u: v.E2E_UNICODE },
      null,
      2,
    ) + "\n" + readFileSync(join(dirs.project, ".env"), "utf8");
    writeFileSync(join(dirs.project, "data.txt"), original);
    let read = "";
    const script = (body: Parameters<typeof toolResults>[0]): Block[] => {
      const results = toolResults(body);
      if (results.length === 0) {
        return [{ type: "tool_use", name: "Bash", input: { command: "cat data.txt" } }];
      }
      // Claude Code strips the trailing newline of a Bash output (claude-facts.md).
      if (results.length === 1) read = results[0] + "\n";
      if (results.length === 1) {
        return [{
          type: "tool_use",
          name: "Write",
          input: { file_path: join(dirs.project, "copy-write.txt"), content: read },
        }];
      }
      if (results.length === 2) {
        return [{
          type: "tool_use",
          name: "Bash",
          input: { command: `cat > copy-heredoc.txt <<'FICTA_EOF'\n${read}FICTA_EOF` },
        }];
      }
      return [{ type: "text", text: "copied" }];
    };
    const { result, received } = await launch(dirs, script, {
      ANTHROPIC_API_KEY: fakeCredential("api-key"),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(read).not.toContain(v.E2E_PLAIN);
    expect(readFileSync(join(dirs.project, "copy-write.txt"), "utf8")).toBe(original);
    expect(readFileSync(join(dirs.project, "copy-heredoc.txt"), "utf8")).toBe(original);
    const all = secrets.map((s) => ({ name: s.name, value: s.value }));
    for (const request of received) expect(findLeaks(outgoing(request), all)).toEqual([]);
  }, TIMEOUT + 10_000);
});

describe("ficta claude launch rules", () => {
  test("a settings.json base URL is taken back for the launch, said, no file written", async () => {
    const dirs = tempDirs("claude-settings");
    const secrets = writeProjectSecrets(dirs.project);
    const settingsDir = join(dirs.home, ".claude");
    mkdirSync(settingsDir, { recursive: true });
    // A base URL nobody listens on: traffic that followed it would never reach the mock.
    const settings = JSON.stringify({ env: { ANTHROPIC_BASE_URL: "http://127.0.0.1:9" } });
    writeFileSync(join(settingsDir, "settings.json"), settings);
    const script = (body: Parameters<typeof toolResults>[0]): Block[] =>
      toolResults(body).length === 0
        ? [{ type: "tool_use", name: "Bash", input: { command: "cat .env" } }]
        : [{ type: "text", text: "routed" }];
    const { result, received } = await launch(dirs, script, {
      ANTHROPIC_API_KEY: fakeCredential("api-key"),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("takes the route back for this launch with --settings");
    expect(received.map((r) => r.url)).toEqual(Array(2).fill("/v1/messages?beta=true"));
    expect(readFileSync(join(settingsDir, "settings.json"), "utf8")).toBe(settings);
    const all = secrets.map((s) => ({ name: s.name, value: s.value }));
    for (const request of received) expect(findLeaks(outgoing(request), all)).toEqual([]);
  }, TIMEOUT + 10_000);

  test("commands that make no model call run the real Claude Code untouched", async () => {
    const dirs = tempDirs("claude-passthrough");
    const version = await run([...fictaCommand(), "claude", "--version"], {
      cwd: dirs.project,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: dirs.home,
        FICTA_HOME: dirs.fictaHome,
        FICTA_REAL_CLAUDE: REAL_CLAUDE,
      },
    });
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe("2.1.332 (Claude Code)");
    expect(version.stderr).toBe("");
  }, TIMEOUT + 10_000);
});
