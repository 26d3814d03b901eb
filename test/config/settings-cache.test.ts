/**
 * The settings cache (src/config/settings-cache.ts): its key covers every input of the settings,
 * and through the compiled binary a changed config or environment is never answered from it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../src/config/load.ts";
import { keys } from "../../src/config/schema.ts";
import { settingsCachePath, settingsKey } from "../../src/config/settings-cache.ts";
import { BINARY, buildIfStale } from "../compiled-binary.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

describe("the key", () => {
  test("every variable the schema reads is a FICTA_* one the key includes", () => {
    for (const info of keys()) {
      for (const name of info.env) {
        expect(name.startsWith("FICTA_")).toBe(true);
        expect(name).not.toBe("FICTA_SURROGATE_KEY");
      }
    }
  });

  test("changes with the config text, its path and any FICTA_* variable; not with others", async () => {
    const env = { FICTA_HOME: "/h", HOME: "/home/u" };
    const base = await settingsKey(env, "/h/config.toml", "[log]\nquiet = true\n");
    expect(await settingsKey(env, "/h/config.toml", "[log]\nquiet = true\n")).toBe(base);
    expect(await settingsKey(env, "/h/config.toml", "[log]\nquiet = false\n")).not.toBe(base);
    expect(await settingsKey(env, "/h/config.toml", undefined)).not.toBe(base);
    expect(await settingsKey(env, "/h/other.toml", "[log]\nquiet = true\n")).not.toBe(base);
    for (const info of keys()) {
      for (const name of info.env) {
        expect(
          await settingsKey({ ...env, [name]: "1" }, "/h/config.toml", "[log]\nquiet = true\n"),
        )
          .not.toBe(base);
      }
    }
    const same = { ...env, PATH: "/x", FICTA_SURROGATE_KEY: "ab".repeat(32), FICTA_LOG_QUIET: "" };
    expect(await settingsKey(same, "/h/config.toml", "[log]\nquiet = true\n")).toBe(base);
  });

  test("settings survive the cache's JSON as they are", () => {
    const text = [
      "[registry]",
      "require = ['API_TOKEN']",
      "exclude_names = ['PUBLIC_*']",
      "[[registry.command]]",
      'name = "vault"',
      'argv = ["vault", "kv", "get"]',
      "[proxy]",
      "max_body_mb = 12.5",
    ].join("\n");
    const { settings } = parseConfig(text, "/h/config.toml", { FICTA_REAL_CODEX: "/bin/codex" });
    expect(JSON.parse(JSON.stringify(settings))).toEqual(settings);
  });
});

describe("through the compiled binary", () => {
  let home: string;
  beforeAll(async () => {
    await buildIfStale();
    home = mkdtempSync(join(tmpdir(), "ficta-settings-cache-"));
  }, SLOW_TEST_TIMEOUT_MS);
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  const launch = (env: Record<string, string> = {}) => {
    const project = join(home, "project");
    mkdirSync(join(project, ".git"), { recursive: true });
    writeFileSync(join(project, ".env"), `API_TOKEN=${crypto.randomUUID()}\n`);
    const codex = join(home, "codex");
    writeFileSync(codex, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const result = Bun.spawnSync([BINARY, "codex", "exec", "hi"], {
      cwd: project,
      env: {
        PATH: "/usr/bin:/bin",
        HOME: home,
        FICTA_HOME: join(home, "ficta"),
        FICTA_REAL_CODEX: codex,
        ...env,
      },
      stdin: "ignore",
    });
    return { code: result.exitCode, stderr: result.stderr.toString() };
  };

  test("a changed config or environment is validated again; a broken one refuses", () => {
    const config = join(home, "ficta", "config.toml");
    mkdirSync(join(home, "ficta"), { recursive: true });
    writeFileSync(config, "[log]\nquiet = true\n", { mode: 0o600 });
    expect(launch().code).toBe(0);
    const cache = settingsCachePath({ FICTA_HOME: join(home, "ficta") });
    expect(statSync(cache).mode & 0o777).toBe(0o600);
    expect(readFileSync(cache, "utf8")).toContain('"quiet":true');
    // The same inputs: answered from the cache, the same outcome.
    expect(launch().code).toBe(0);

    writeFileSync(config, "[log]\nquiet = maybe\n", { mode: 0o600 });
    const broken = launch();
    expect(broken.code).toBe(78);
    expect(broken.stderr).toContain("invalid TOML");

    writeFileSync(config, "[registry]\nrequire = ['NOT_SET_ANYWHERE']\n", { mode: 0o600 });
    const required = launch();
    expect(required.code).toBe(78);
    expect(required.stderr).toContain("NOT_SET_ANYWHERE");

    writeFileSync(config, "[log]\nquiet = true\n", { mode: 0o600 });
    expect(launch().code).toBe(0);
    const byEnv = launch({ FICTA_REQUIRE_REGISTRY: "NOT_SET_EITHER" });
    expect(byEnv.code).toBe(78);
    expect(byEnv.stderr).toContain("NOT_SET_EITHER");
    // Secret-manager commands from the environment are never written down.
    const vault = JSON.stringify([{ name: "vault", argv: ["true", "--token=not-on-disk"] }]);
    expect(launch({ FICTA_REGISTRY_COMMAND: vault }).code).toBe(0);
    expect(readFileSync(cache, "utf8")).not.toContain("not-on-disk");
    const badEnv = launch({ FICTA_LOG_KEEP_SESSIONS: "none" });
    expect(badEnv.code).toBe(78);
    expect(badEnv.stderr).toContain("FICTA_LOG_KEEP_SESSIONS");
  }, SLOW_TEST_TIMEOUT_MS);
});
