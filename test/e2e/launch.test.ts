/**
 * `ficta codex` end to end with a stand-in for Codex: what the child is given (overrides,
 * environment), which commands skip the proxy, the launch refusals and exit codes, signals, and
 * the proxy refusing anyone but its own Codex.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROXY_TOKEN_ENV } from "../../src/agents/codex/overrides.ts";
import { baseEnv, fictaCommand, removeTempDirs, run, tempDirs } from "./harness.ts";
import { startMockUpstream } from "./mock-upstream.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

const STAND_IN = join(import.meta.dir, "fixtures", "stand-in-codex.ts");
const upstream = startMockUpstream(() => [{ type: "message", text: "unused" }]);
afterAll(async () => {
  await upstream.stop();
  removeTempDirs();
});

interface Recorded {
  args: string[];
  env: Record<string, string>;
  probes: Record<string, number>;
}

function setup(label: string) {
  const dirs = tempDirs(label);
  const standIn = join(dirs.root, "codex");
  writeFileSync(
    standIn,
    `#!/bin/sh\nexec '${process.execPath}' --no-env-file '${STAND_IN}' "$@"\n`,
  );
  chmodSync(standIn, 0o755);
  const out = join(dirs.root, "stand-in.json");
  writeFileSync(join(dirs.project, ".env"), `E2E_LAUNCH_SECRET=launch-${crypto.randomUUID()}\n`);
  const env: Record<string, string> = {
    ...baseEnv(dirs),
    FICTA_REAL_CODEX: standIn,
    FICTA_OPENAI_UPSTREAM: upstream.origin,
    FICTA_CHATGPT_UPSTREAM: upstream.origin,
    FICTA_SURROGATE_KEY: crypto.getRandomValues(new Uint8Array(32)).toHex(),
    STANDIN_OUT: out,
  };
  const recorded = (): Recorded => JSON.parse(readFileSync(out, "utf8"));
  return { dirs, env, out, recorded };
}

function ficta(args: string[], s: ReturnType<typeof setup>) {
  return run([...fictaCommand(), "codex", ...args], { cwd: s.dirs.project, env: s.env });
}

describe("a protected launch", () => {
  test("overrides come before the user's arguments; the token travels only in the environment", async () => {
    const s = setup("launch");
    s.env.STANDIN_EXIT = "7";
    const result = await ficta(["exec", "--json", "hello"], s);
    expect(result.code, result.stderr).toBe(7);
    const { args, env } = s.recorded();
    expect(args.slice(-3)).toEqual(["exec", "--json", "hello"]);
    const overrides = args.slice(0, -4);
    expect(args.at(-4)).toBe("--no-daemon");
    for (let i = 0; i < overrides.length; i += 2) expect(overrides[i]).toBe("-c");
    expect(overrides).toContain("model_provider=ficta");
    expect(overrides).toContain(
      `model_providers.ficta.env_http_headers={"x-ficta-token"="${PROXY_TOKEN_ENV}"}`,
    );
    expect(overrides).toContain(`shell_environment_policy.set.${PROXY_TOKEN_ENV}=""`);
    const token = env[PROXY_TOKEN_ENV];
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(args.some((a) => a.includes(token))).toBe(false);
    expect(env.FICTA_SURROGATE_KEY).toBeUndefined();
    for (const line of result.stderr.trim().split("\n")) expect(line).toStartWith("ficta");
    expect(result.stderr).toContain("ficta: codex: not logged in");
    expect(result.stderr).toMatch(/ficta: \d+ values? protected; \d+ requests?; \d+ refused/);
  });

  test("the proxy serves its own Codex only: no token 403, wrong token 403, foreign Host 421", async () => {
    const s = setup("token");
    const result = await ficta(["exec", "hi"], s);
    expect(result.code, result.stderr).toBe(0);
    expect(s.recorded().probes).toEqual({
      withToken: 200,
      withoutToken: 403,
      wrongToken: 403,
      foreignHost: 421,
    });
  });

  test("SIGTERM to ficta reaches Codex; ficta exits with Codex's code", async () => {
    const s = setup("signal");
    s.env.STANDIN_WAIT = "1";
    const child = Bun.spawn([...fictaCommand(), "codex", "exec", "hi"], {
      cwd: s.dirs.project,
      env: s.env,
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = child.stdout.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("ready");
    child.kill("SIGINT"); // swallowed: Codex decides what Ctrl-C means
    await Bun.sleep(100);
    expect(child.exitCode).toBeNull();
    child.kill("SIGTERM");
    expect(await child.exited).toBe(43);
  });
});

describe("commands that need no proxy", () => {
  for (
    const args of [["--version"], ["-h"], ["login", "status"], ["logout"], ["completion", "bash"]]
  ) {
    test(`codex ${args.join(" ")} runs untouched`, async () => {
      const s = setup("passthrough");
      const result = await ficta(args, s);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe("");
      const recorded = s.recorded();
      expect(recorded.args).toEqual(args);
      expect(recorded.env[PROXY_TOKEN_ENV]).toBeUndefined();
      expect(recorded.env.FICTA_SURROGATE_KEY).toBeUndefined();
      expect(existsSync(join(s.dirs.fictaHome, "logs"))).toBe(false);
    });
  }
});

describe("disabled", () => {
  test("FICTA_DISABLE=1 runs Codex untouched after one line", async () => {
    const s = setup("disabled-env");
    s.env.FICTA_DISABLE = "1";
    const result = await ficta(["exec", "hi"], s);
    expect(result.code).toBe(0);
    expect(result.stderr).toStartWith("ficta: disabled");
    expect(result.stderr.trim().split("\n").length).toBe(1);
    expect(s.recorded().args).toEqual(["exec", "hi"]);
  });

  test("the flag file written by `ficta disable` does the same", async () => {
    const s = setup("disabled-flag");
    mkdirSync(s.dirs.fictaHome, { recursive: true });
    writeFileSync(join(s.dirs.fictaHome, "disabled"), "");
    const result = await ficta(["exec", "hi"], s);
    expect(result.code).toBe(0);
    expect(result.stderr).toStartWith("ficta: disabled");
    expect(s.recorded().args).toEqual(["exec", "hi"]);
  });
});

describe("refusals", () => {
  test("no real Codex: exit 127, naming where ficta looked", async () => {
    const s = setup("no-codex");
    delete s.env.FICTA_REAL_CODEX;
    mkdirSync(join(s.dirs.root, "empty"));
    s.env.PATH = join(s.dirs.root, "empty");
    const result = await ficta(["exec", "hi"], s);
    expect(result.code).toBe(127);
    expect(result.stderr).toContain("ficta: codex: cannot find the real Codex CLI");
    expect(result.stderr).toContain("PATH (1 directories");
    expect(existsSync(s.out)).toBe(false);
  });

  test("FICTA_REQUIRE_REGISTRY=1 with nothing to protect: exit 78, Codex not run", async () => {
    const s = setup("require");
    s.env.FICTA_REQUIRE_REGISTRY = "1";
    s.env.FICTA_REGISTRY_DOTENV = "0";
    const result = await ficta(["exec", "hi"], s);
    expect(result.code).toBe(78);
    expect(result.stderr).toContain("refusing to launch");
    expect(result.stderr).toContain("no protected value was loaded from any source");
    expect(existsSync(s.out)).toBe(false);
  });

  test("FICTA_REQUIRE_REGISTRY=1 with a failing source: exit 78, naming it", async () => {
    const s = setup("require-failed");
    s.env.FICTA_REQUIRE_REGISTRY = "1";
    s.env.FICTA_REGISTRY_COMMAND = JSON.stringify([{ name: "broken-vault", argv: ["false"] }]);
    const result = await ficta(["exec", "hi"], s);
    expect(result.code).toBe(78);
    expect(result.stderr).toContain("source broken-vault failed (exited with code 1)");
    expect(existsSync(s.out)).toBe(false);
  });

  test("a configuration error: exit 78 (refused) with its message, Codex not run", async () => {
    const s = setup("config");
    s.env.FICTA_QUIET = "perhaps";
    const result = await ficta(["exec", "hi"], s);
    expect(result.code).toBe(78);
    expect(result.stderr).toBe("ficta: FICTA_QUIET: expected 1/true/yes/on or 0/false/no/off\n");
    expect(existsSync(s.out)).toBe(false);
  });

  test("a malformed FICTA_SURROGATE_KEY: exit 70 with a message that does not quote it", async () => {
    const s = setup("bad-key");
    s.env.FICTA_SURROGATE_KEY = "not-a-key-e2e-marker";
    const result = await ficta(["exec", "hi"], s);
    expect(result.code).toBe(70);
    expect(result.stderr).toContain("ficta: FICTA_SURROGATE_KEY is malformed");
    expect(result.stderr).not.toContain("e2e-marker");
    expect(existsSync(s.out)).toBe(false);
  });

  test("config warnings are printed once", async () => {
    const s = setup("warnings");
    mkdirSync(s.dirs.fictaHome, { recursive: true, mode: 0o700 });
    writeFileSync(join(s.dirs.fictaHome, "config.toml"), "[log]\nshout = true\n", { mode: 0o600 });
    const result = await ficta(["--version"], s);
    expect(result.code).toBe(0);
    expect(result.stderr.match(/unknown key log\.shout/g)?.length).toBe(1);
  });
});
