import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/load.ts";
import { paths } from "../../src/config/paths.ts";
import { writePrivateFile } from "../../src/config/private-files.ts";
import { defaults, keys } from "../../src/config/schema.ts";

const FILE = "/home/u/.ficta/config.toml";

function failure(text: string | undefined, env: Record<string, string> = {}): ConfigError {
  try {
    parseConfig(text, FILE, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("precedence: environment > file > defaults", () => {
  test("no file gives the schema defaults", () => {
    const loaded = parseConfig(undefined, FILE);
    expect(loaded.settings).toEqual(defaults());
    expect(loaded.exists).toBe(false);
    expect(loaded.warnings).toEqual([]);
  });

  test("the file overrides defaults, the environment overrides the file", () => {
    const text = '[registry]\nmin_len = 12\nprocess_env = "all"\n[log]\nquiet = true\n';
    const fromFile = parseConfig(text, FILE).settings;
    expect(fromFile.registry.min_len).toBe(12);
    expect(fromFile.registry.process_env).toBe("all");
    expect(fromFile.registry.dotenv).toBe(true);

    const env = { FICTA_REGISTRY_MIN_LEN: "20", FICTA_LOG_QUIET: "0" };
    const fromEnv = parseConfig(text, FILE, env).settings;
    expect(fromEnv.registry.min_len).toBe(20);
    expect(fromEnv.log.quiet).toBe(false);
    expect(fromEnv.registry.process_env).toBe("all");
  });

  test("every key has a canonical FICTA_<SECTION>_<KEY> variable that works", () => {
    function sample(d: unknown): [string, unknown] {
      if (typeof d === "boolean") return [d ? "0" : "1", !d];
      if (typeof d === "number") return ["42", 42];
      if (Array.isArray(d)) return ['["x"]', ["x"]];
      return [String(d), d];
    }
    for (const info of keys()) {
      expect(info.env[0]).toBe(`FICTA_${info.section}_${info.name}`.toUpperCase());
      if (info.path === "registry.command" || info.path === "registry.presets") continue;
      const [text, expected] = sample(info.defaultValue);
      const settings = parseConfig(undefined, FILE, { [info.env[0]]: text })
        .settings as unknown as Record<string, Record<string, unknown>>;
      expect(settings[info.section][info.name]).toEqual(expected);
    }
  });

  test("aliases named by the issues work: FICTA_REQUIRE_REGISTRY, FICTA_CHATGPT_UPSTREAM, ...", () => {
    const settings = parseConfig(undefined, FILE, {
      FICTA_REQUIRE_REGISTRY: "yes",
      FICTA_CHATGPT_UPSTREAM: "http://127.0.0.1:9999",
      FICTA_OPENAI_UPSTREAM: "https://example.test",
      FICTA_QUIET: "on",
      FICTA_LOG_BODIES: "true",
      FICTA_REAL_CODEX: "/opt/codex",
    }).settings;
    expect(settings.registry.require).toBe(true);
    expect(settings.upstream.chatgpt).toBe("http://127.0.0.1:9999");
    expect(settings.upstream.openai).toBe("https://example.test");
    expect(settings.log.quiet).toBe(true);
    expect(settings.log.bodies).toBe(true);
    expect(settings.codex.path).toBe("/opt/codex");
    const names = parseConfig(undefined, FILE, {
      FICTA_REQUIRE_REGISTRY: "DB_PASSWORD, STRIPE_KEY",
      FICTA_REGISTRY_INCLUDE_NAMES: "APP_*,DATABASE_URL",
    }).settings.registry;
    expect(names.require).toEqual(["DB_PASSWORD", "STRIPE_KEY"]);
    expect(names.include_names).toEqual(["APP_*", "DATABASE_URL"]);
  });

  test("lists: comma-separated or JSON in the environment", () => {
    const a = parseConfig(undefined, FILE, { FICTA_REGISTRY_EXCLUDE_NAMES: "A, B,,C" }).settings;
    expect(a.registry.exclude_names).toEqual(["A", "B", "C"]);
    const b = parseConfig(undefined, FILE, {
      FICTA_REGISTRY_COMMAND: '[{"name":"vault","argv":["vault","kv","get"]}]',
    }).settings;
    expect(b.registry.command).toEqual([
      { name: "vault", argv: ["vault", "kv", "get"], format: "auto", timeout_ms: 10_000 },
    ]);
  });

  test("an empty variable counts as unset", () => {
    expect(parseConfig(undefined, FILE, { FICTA_REGISTRY_MIN_LEN: "" }).settings.registry.min_len)
      .toBe(8);
  });
});

describe("errors name the file (or variable), the key and what was expected", () => {
  test("invalid TOML gives file, line and column", () => {
    const error = failure("[registry]\nmin_len = = 3\n");
    expect(error.message).toContain(`config ${FILE}:2:`);
    expect(error.message).toContain("invalid TOML");
    expect(error.file).toBe(FILE);
  });

  test("a wrong type names the key and the expected type", () => {
    const error = failure('[registry]\nmin_len = "eight"\n');
    expect(error.message).toBe(
      `config ${FILE}: key registry.min_len: expected number, received string`,
    );
    expect(error.key).toBe("registry.min_len");
  });

  test("an out-of-range number names the key", () => {
    expect(failure("[registry]\nmin_len = 0\n").message).toContain("key registry.min_len:");
    expect(failure("[registry]\nmin_len = 1.5\n").message).toContain("key registry.min_len:");
  });

  test("a wrong enum value lists the choices", () => {
    const error = failure('[registry]\nprocess_env = "some"\n');
    expect(error.message).toContain("key registry.process_env");
    expect(error.message).toContain('"secret-ish"|"all"|"off"');
  });

  test("a section that is not a table", () => {
    expect(failure("registry = 3\n").message).toBe(`config ${FILE}: [registry] must be a table`);
  });

  test("a bad entry in an array of tables names its index and key", () => {
    const error = failure('[[registry.command]]\nname = "x"\nargv = []\n');
    expect(error.message).toContain("key registry.command[0].argv");
    const unknown = failure('[[registry.command]]\nname = "x"\nargv = ["x"]\nshell = true\n');
    expect(unknown.message).toContain("key registry.command[0]: unknown key(s) shell");
  });

  test("an upstream that is not https or loopback", () => {
    for (
      const url of [
        "http://chatgpt.com",
        "http://127.0.0.1.evil.test",
        "http://localhost.evil.test",
        "ftp://127.0.0.1",
        "https://user:pw@example.test",
        "not a url",
      ]
    ) {
      const error = failure(`[upstream]\nchatgpt = "${url}"\n`);
      expect(error.message).toContain("key upstream.chatgpt: upstream URL");
    }
    for (
      const url of [
        "http://127.0.0.1:8080",
        "http://[::1]:9",
        "http://localhost:1",
        "http://127.9.8.7",
      ]
    ) {
      expect(parseConfig(`[upstream]\nopenai = "${url}"\n`, FILE).settings.upstream.openai).toBe(
        url,
      );
    }
  });

  test("a bad environment value names the variable and the key", () => {
    const number = failure(undefined, { FICTA_REGISTRY_MIN_LEN: "many" });
    expect(number.message).toBe(
      "environment variable FICTA_REGISTRY_MIN_LEN (key registry.min_len): expected number, received string",
    );
    const bool = failure(undefined, { FICTA_QUIET: "maybe" });
    expect(bool.message).toContain("FICTA_QUIET: expected 1/true/yes/on or 0/false/no/off");
    expect(bool.key).toBe("log.quiet");
    const json = failure(undefined, { FICTA_REGISTRY_COMMAND: "[oops" });
    expect(json.message).toContain(
      "FICTA_REGISTRY_COMMAND: invalid JSON at line 1, column 2 (position 1): unexpected character",
    );
    // An object, not a list: JSON all the same, never split at its commas.
    const object = failure(undefined, { FICTA_REGISTRY_COMMAND: '{"name":"v","argv":["v"],}' });
    expect(object.message).toContain("invalid JSON at line 1, column 26 (position 25)");
    const upstream = failure(undefined, { FICTA_OPENAI_UPSTREAM: "http://example.test" });
    expect(upstream.message).toContain("environment variable FICTA_OPENAI_UPSTREAM");
  });
});

describe("unknown keys warn once and are ignored", () => {
  test("unknown key and section", () => {
    const loaded = parseConfig("[registry]\nminlen = 3\n[colors]\nx = 1\n", FILE);
    expect(loaded.warnings).toEqual([
      `config ${FILE}: unknown key registry.minlen ignored`,
      `config ${FILE}: unknown section [colors] ignored`,
    ]);
    expect(loaded.settings.registry.min_len).toBe(8);
  });
});

describe("files on disk", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ficta-config-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("FICTA_HOME moves the directory, FICTA_CONFIG_FILE the file", () => {
    expect(paths({ HOME: "/h" }).config).toBe("/h/.ficta/config.toml");
    expect(paths({ HOME: "/h", FICTA_HOME: "/f" })).toMatchObject({
      home: "/f",
      config: "/f/config.toml",
      key: "/f/key",
      logs: "/f/logs",
      bin: "/f/bin",
    });
    expect(paths({ HOME: "/h", FICTA_CONFIG_FILE: "/etc/x.toml" }).config).toBe("/etc/x.toml");
  });

  test("reads the file and warns when group or others can read it", () => {
    const file = join(dir, "config.toml");
    writeFileSync(file, "[registry]\nmin_len = 10\n");
    chmodSync(file, 0o600);
    const quiet = loadConfig({ FICTA_HOME: dir });
    expect(quiet.settings.registry.min_len).toBe(10);
    expect(quiet.exists).toBe(true);
    expect(quiet.warnings).toEqual([]);

    chmodSync(file, 0o644);
    const loud = loadConfig({ FICTA_HOME: dir });
    expect(loud.warnings).toEqual([
      `config file ${file} is readable by group or others; run: chmod 600 ${file}`,
    ]);
  });

  test("a missing file is the defaults; an unreadable path is an error naming it", () => {
    expect(loadConfig({ FICTA_HOME: dir }).exists).toBe(false);
    const error = (() => {
      try {
        loadConfig({ FICTA_CONFIG_FILE: dir }); // a directory cannot be read as a file
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toContain(`cannot read config file ${dir}`);
  });

  test("files ficta creates are 0600 in 0700 directories", () => {
    const file = join(dir, "a", "b", "secret.txt");
    writePrivateFile(file, "x");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "a", "b")).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "a")).mode & 0o777).toBe(0o700);
    chmodSync(file, 0o644);
    writePrivateFile(file, "y");
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
