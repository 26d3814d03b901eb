/**
 * ficta from source under Deno (issue 18): `deno run` of src/main.ts (Deno from node_modules, a
 * devDependency) wraps the real Codex CLI against the loopback mock upstream. The model `cat`s
 * the project's dotenv files, then writes the surrogate it saw into a file with a tool call: no
 * request may carry any form of any value, and the file must hold the real value (the tool call
 * was restored on the way back). Runs in `.ci/run` with the rest of `bun test`.
 */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findLeaks } from "../leak-check.ts";
import {
  baseEnv,
  OFFLINE_FLAGS,
  PROCESS_SECRET,
  removeTempDirs,
  ROOT,
  run,
  tempDirs,
  writeLogin,
  writeProjectSecrets,
} from "./harness.ts";
import { type Item, startMockUpstream, toolOutputs } from "./mock-upstream.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);
afterAll(removeTempDirs);

/**
 * The Deno binary itself. node_modules/.bin/deno is a Node script that runs it with spawnSync, so
 * a signal sent to it would stop there; the binary sits in the `deno` package once its install
 * script ran, and always in the platform package (`@deno/linux-x64-glibc`, ...).
 */
function denoBinary(): string {
  const name = process.platform === "win32" ? "deno.exe" : "deno";
  const platforms = join(ROOT, "node_modules", "@deno");
  const candidates = [
    join(ROOT, "node_modules", "deno", name),
    ...(existsSync(platforms) ? readdirSync(platforms).map((d) => join(platforms, d, name)) : []),
  ];
  return candidates.find((path) => existsSync(path)) ?? join(ROOT, "node_modules", ".bin", "deno");
}

const DENO = denoBinary();

/** As the README says to run it from source: this checkout's deno.json, all permissions. */
const FICTA_ON_DENO = [
  DENO,
  "run",
  "--allow-all",
  `--config=${join(ROOT, "deno.json")}`,
  join(ROOT, "src", "main.ts"),
];

const exec = (cmd: string): Item => ({
  type: "function_call",
  name: "exec_command",
  arguments: JSON.stringify({ cmd }),
  deltaSize: 7,
});

/** Deno's own cache stays the runner's (HOME is a throw-away one); no update check. */
const DENO_ENV = {
  DENO_DIR: process.env.DENO_DIR ?? join(process.env.HOME ?? tmpdir(), ".cache", "deno"),
  DENO_NO_UPDATE_CHECK: "1",
};

test("deno is installed (devDependency) for the Deno tests", () => {
  expect(existsSync(DENO)).toBe(true);
});

test("under Deno the agent gets the user's PATH, not Deno's node shim first", async () => {
  const dirs = tempDirs("deno-path");
  // No Node.js on this PATH: Deno puts its own `node` first unless ficta takes it back out.
  const bin = join(dirs.root, "bin");
  mkdirSync(bin);
  const standIn = join(bin, "codex");
  const out = join(dirs.root, "env.txt");
  writeFileSync(
    standIn,
    `#!/bin/sh\nprintf '%s\\n%s' "$PATH" "$DENO_NODE_SHIM_ACTIVE" > '${out}'\n`,
  );
  chmodSync(standIn, 0o755);
  const result = await run([...FICTA_ON_DENO, "codex", "--version"], {
    cwd: dirs.project,
    env: { ...baseEnv(dirs), ...DENO_ENV, PATH: bin, FICTA_REAL_CODEX: standIn },
  });
  expect(result.code, result.stderr).toBe(0);
  expect(readFileSync(out, "utf8")).toBe(`${bin}\n`);
});

test(
  "ficta codex exec under Deno: nothing of any value on the wire, the tool call restored",
  async () => {
    const dirs = tempDirs("deno");
    writeLogin(dirs.codexHome, "apikey");
    const secrets = writeProjectSecrets(dirs.project);
    const plain = secrets.find((s) => s.name === "E2E_PLAIN")!;
    let surrogate = "";
    const upstream = startMockUpstream((body) => {
      const outputs = toolOutputs(body);
      if (outputs.length === 0) return [exec("cat .env .env.local")];
      if (outputs.length === 1) {
        surrogate = /E2E_PLAIN=(ficta_[A-Za-z0-9]{22})/.exec(outputs[0])?.[1] ?? "";
        return [exec(`printf '%s' ${surrogate} > restored.txt`)];
      }
      return [{ type: "message", text: "done" }];
    });
    try {
      const env = {
        ...baseEnv(dirs),
        [PROCESS_SECRET]: secrets.find((s) => s.name === PROCESS_SECRET)!.value,
        FICTA_OPENAI_UPSTREAM: upstream.origin,
        FICTA_CHATGPT_UPSTREAM: upstream.origin,
        // Deno's own cache stays the runner's (HOME is a throw-away one); no update check.
        DENO_DIR: process.env.DENO_DIR ?? join(process.env.HOME ?? dirs.root, ".cache", "deno"),
        DENO_NO_UPDATE_CHECK: "1",
      };
      const result = await run(
        [...FICTA_ON_DENO, "codex", "exec", "--json", ...OFFLINE_FLAGS, "Read the settings."],
        { cwd: dirs.project, env, timeoutMs: 90_000 },
      );
      expect(result.code, result.stderr).toBe(0);
      // Deno printed nothing of its own ("Listening on", legacy-abort or permission warnings).
      expect(result.stderr).not.toContain("Deno");
      expect(result.stderr).not.toContain("Listening on");

      const posts = upstream.received.filter((r) =>
        r.method === "POST" && r.url.endsWith("/responses")
      );
      expect(posts.length).toBe(3);
      expect(surrogate).toMatch(/^ficta_/);
      for (const [i, request] of upstream.received.entries()) {
        const sent = `${request.url}\n${JSON.stringify(request.headers)}\n${request.body}`;
        expect(findLeaks(sent, secrets), `request ${i + 1} (${request.url})`).toEqual([]);
      }
      // The model wrote the surrogate; Codex ran the command with the real value.
      expect(readFileSync(join(dirs.project, "restored.txt"), "utf8") === plain.value).toBe(true);
    } finally {
      await upstream.stop();
    }
  },
  120_000,
);
