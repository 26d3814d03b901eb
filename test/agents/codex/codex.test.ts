import { afterAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { detectAuthMode } from "../../../src/agents/codex/auth.ts";
import { isPassthrough } from "../../../src/agents/codex/command-line.ts";
import { findRealCodex } from "../../../src/agents/codex/executable.ts";
import {
  bypassingOptions,
  overrides,
  PROXY_TOKEN_ENV,
} from "../../../src/agents/codex/overrides.ts";
import {
  managedConfigRefusal,
  managedConflicts,
  refusal,
} from "../../../src/agents/codex/refusals.ts";

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function temp(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "ficta-agents-")));
  made.push(dir);
  return dir;
}

function writeAuth(dir: string, auth: unknown): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "auth.json"), typeof auth === "string" ? auth : JSON.stringify(auth));
}

const CHATGPT_AUTH = {
  auth_mode: "chatgpt",
  OPENAI_API_KEY: null,
  tokens: { id_token: "a.b.c", access_token: "a.b.c", refresh_token: "r", account_id: "acct" },
};

describe("detectAuthMode", () => {
  test("reads $CODEX_HOME/auth.json: ChatGPT or API-key login", () => {
    const home = temp();
    writeAuth(home, CHATGPT_AUTH);
    expect(detectAuthMode({ CODEX_HOME: home })).toBe("chatgpt");
    writeAuth(home, { auth_mode: "apikey", OPENAI_API_KEY: "k" });
    expect(detectAuthMode({ CODEX_HOME: home })).toBe("apikey-login");
    // Files written before auth_mode existed.
    writeAuth(home, { OPENAI_API_KEY: "k" });
    expect(detectAuthMode({ CODEX_HOME: home })).toBe("apikey-login");
    writeAuth(home, { tokens: CHATGPT_AUTH.tokens });
    expect(detectAuthMode({ CODEX_HOME: home })).toBe("chatgpt");
  });

  test("defaults to ~/.codex/auth.json", () => {
    const home = temp();
    writeAuth(join(home, ".codex"), CHATGPT_AUTH);
    expect(detectAuthMode({ HOME: home })).toBe("chatgpt");
  });

  test("CODEX_API_KEY beats a ChatGPT login; OPENAI_API_KEY counts only alone", () => {
    const home = temp();
    writeAuth(home, CHATGPT_AUTH);
    expect(detectAuthMode({ CODEX_HOME: home, CODEX_API_KEY: "k" })).toBe("codex-api-key");
    expect(detectAuthMode({ CODEX_HOME: home, OPENAI_API_KEY: "k" })).toBe("chatgpt");
    const empty = temp();
    expect(detectAuthMode({ CODEX_HOME: empty, OPENAI_API_KEY: "k" })).toBe("openai-api-key");
    expect(detectAuthMode({ CODEX_HOME: empty })).toBe("none");
  });

  test("an unreadable or malformed auth.json is no login", () => {
    const home = temp();
    writeAuth(home, "{not json");
    expect(detectAuthMode({ CODEX_HOME: home })).toBe("none");
    writeAuth(home, "null");
    expect(detectAuthMode({ CODEX_HOME: home })).toBe("none");
    writeAuth(home, {});
    expect(detectAuthMode({ CODEX_HOME: home })).toBe("none");
  });
});

describe("overrides", () => {
  const origin = "http://127.0.0.1:4321";

  function asConfig(all: string[]): Record<string, unknown> {
    // Every launch keeps the interactive Codex off a shared background app server.
    expect(all.at(-1)).toBe("--no-daemon");
    const args = all.slice(0, -1);
    const lines: string[] = [];
    for (let i = 0; i < args.length; i += 2) {
      expect(args[i]).toBe("-c");
      lines.push(args[i + 1]);
    }
    return parseToml(
      lines.map((line) => {
        const [key, ...rest] = line.split("=");
        const value = rest.join("=");
        // Codex parses each value as TOML and falls back to a plain string.
        return `${key} = ${/^[{\["]|^(true|false)$/.test(value) ? value : JSON.stringify(value)}`;
      }).join("\n"),
    );
  }

  test("a login routes through the ficta provider with Codex's own auth", () => {
    const config = asConfig(overrides(origin, "chatgpt", "x-ficta-token"));
    expect(config).toEqual({
      model_provider: "ficta",
      model_providers: {
        ficta: {
          name: "ficta",
          base_url: `${origin}/v1`,
          wire_api: "responses",
          requires_openai_auth: true,
          env_http_headers: { "x-ficta-token": PROXY_TOKEN_ENV },
        },
      },
      shell_environment_policy: { set: { [PROXY_TOKEN_ENV]: "" } },
      chatgpt_base_url: `${origin}/backend-api/`,
      otel: { metrics_exporter: "none", exporter: "none", trace_exporter: "none" },
      feedback: { enabled: false },
      features: { system_proxy_fallback: false },
    });
  });

  test("OPENAI_API_KEY alone is sent through env_key", () => {
    const config = asConfig(overrides(origin, "openai-api-key", "x-ficta-token")) as {
      model_providers: { ficta: Record<string, unknown> };
    };
    expect(config.model_providers.ficta.env_key).toBe("OPENAI_API_KEY");
    expect(config.model_providers.ficta.requires_openai_auth).toBeUndefined();
  });

  test("every auth mode other than OPENAI_API_KEY reuses Codex's login", () => {
    for (const mode of ["apikey-login", "codex-api-key", "none"] as const) {
      expect(overrides(origin, mode, "x-ficta-token")).toContain(
        "model_providers.ficta.requires_openai_auth=true",
      );
    }
  });
});

describe("refusal", () => {
  const refused = (args: string[], env: Record<string, string> = {}) =>
    refusal(args, env) !== undefined;

  test("refuses what outlives the launch or talks to a host of its own", () => {
    for (
      const args of [
        ["remote-control"],
        ["remote-control", "start"],
        ["-c", "model=o3", "app-server", "daemon", "start"],
        ["app-server", "proxy"],
        ["exec-server"],
        ["exec-server", "forward"],
        ["cloud"],
        ["cloud", "exec", "fix it"],
        ["apply", "task_123"],
        ["a", "task_123"],
        ["--remote", "ws://127.0.0.1:9"],
        ["--remote=unix://", "resume", "--last"],
        ["resume", "--remote", "ws://host:1"],
        ["queue", "--thread", "t", "--message", "m"],
        ["debug", "app-server", "send-message-v2", "hi"],
      ]
    ) expect(refused(args), args.join(" ")).toBe(true);
  });

  test("lets through what stays on ficta's routing for its whole life", () => {
    for (
      const args of [
        [],
        ["fix the cloud tests"],
        ["exec", "cloud"],
        ["exec", "--", "--remote"],
        ["app-server"],
        ["app-server", "--listen", "unix://"],
        ["app-server", "generate-ts", "--out", "x"],
        ["-m", "cloud", "resume", "--last"],
        ["review", "apply"],
        ["debug", "models"],
        ["debug", "prompt-input"],
      ]
    ) expect(refused(args), args.join(" ")).toBe(false);
  });

  test("a remote exec-server in the environment is refused for every command", () => {
    expect(refused(["exec", "hi"], { CODEX_EXEC_SERVER_URL: "ws://host:1" })).toBe(true);
    expect(refused(["exec", "hi"], { CODEX_EXEC_SERVER_URL: "" })).toBe(false);
  });

  test("the reason names what is refused, not a value", () => {
    expect(refusal(["cloud", "list"], {})).toContain("Codex Cloud");
    expect(refusal(["--remote", "ws://secret-host:1"], {})).not.toContain("secret-host");
  });
});

describe("isPassthrough", () => {
  const cases: [string[], boolean][] = [
    [["--version"], true],
    [["-V"], true],
    [["--help"], true],
    [["-h"], true],
    [["exec", "--help"], true],
    [["-c", "model=o3", "login"], true],
    [["login", "status"], true],
    [["logout"], true],
    [["completion", "zsh"], true],
    [["features", "list"], true],
    [["mcp", "list"], true],
    [["help", "exec"], true],
    [["sandbox", "--", "ls"], true],
    [[], false],
    [["exec", "fix the tests"], false],
    [["exec", "login"], false], // a prompt that happens to be a command name
    [["fix", "-h", "the parser"], false], // a prompt, then words
    [["exec", "--", "-h"], false],
    [["-m", "-h", "exec", "hi"], false], // -h as an option's value
    [["resume", "--last"], false],
    [["review"], false],
    [["doctor"], true],
    [["update"], true],
  ];
  for (const [args, expected] of cases) {
    test(`${JSON.stringify(args)} -> ${expected}`, () => {
      expect(isPassthrough(args)).toBe(expected);
    });
  }
});

test("bypassingOptions names user options that take traffic away from ficta", () => {
  expect(bypassingOptions(["exec", "hi"])).toEqual([]);
  expect(bypassingOptions(["-c", "model=o3", "exec", "hi"])).toEqual([]);
  expect(bypassingOptions(["-c", "model_provider=openai", "--oss", "--config=openai_base_url=x"]))
    .toEqual(["-c model_provider=...", "--oss", "-c openai_base_url=..."]);
  expect(bypassingOptions(["exec", "--", "-c", "model_provider=x"])).toEqual([]);
  expect(bypassingOptions(["-c", "otel.exporter=otlp-http", "-c", "feedback.enabled=true"]))
    .toEqual(["-c otel.exporter=...", "-c feedback.enabled=..."]);
  expect(bypassingOptions(["-c", "otel.environment=dev"])).toEqual([]);
  expect(bypassingOptions(["--enable", "system_proxy_fallback", "--enable", "goals"]))
    .toEqual(["--enable system_proxy_fallback"]);
});

describe("findRealCodex", () => {
  function executable(path: string, text = "#!/bin/sh\nexit 0\n"): string {
    writeFileSync(path, text);
    chmodSync(path, 0o755);
    return path;
  }

  function layout() {
    const root = temp();
    const fictaHome = join(root, "ficta-home");
    const shimDir = join(fictaHome, "bin");
    const realDir = join(root, "real");
    const selfDir = join(root, "self");
    for (const dir of [shimDir, realDir, selfDir]) mkdirSync(dir, { recursive: true });
    executable(join(shimDir, "codex"), '#!/bin/sh\n# ficta-shim: test\nexec ficta codex "$@"\n');
    const real = executable(join(realDir, "codex"));
    const self = executable(join(selfDir, "ficta"));
    return { root, fictaHome, shimDir, realDir, selfDir, real, self };
  }

  test("skips the shim directory, also when reached through a symlink", () => {
    const l = layout();
    const linkDir = join(l.root, "link-to-shims");
    symlinkSync(l.shimDir, linkDir);
    const env = { FICTA_HOME: l.fictaHome, PATH: [linkDir, l.shimDir, l.realDir].join(":") };
    expect(findRealCodex("", env, l.self)).toEqual({ path: join(l.realDir, "codex") });
  });

  test("skips a codex that is ficta's own binary, or a copy of the shim", () => {
    const l = layout();
    const aliasDir = join(l.root, "alias");
    const copyDir = join(l.root, "copy");
    mkdirSync(aliasDir);
    mkdirSync(copyDir);
    symlinkSync(l.self, join(aliasDir, "codex"));
    copyFileSync(join(l.shimDir, "codex"), join(copyDir, "codex"));
    chmodSync(join(copyDir, "codex"), 0o755);
    const env = { FICTA_HOME: l.fictaHome, PATH: [aliasDir, copyDir, l.realDir].join(":") };
    expect(findRealCodex("", env, l.self)).toEqual({ path: join(l.realDir, "codex") });
  });

  test("a non-executable codex is not a candidate", () => {
    const l = layout();
    const plainDir = join(l.root, "plain");
    mkdirSync(plainDir);
    writeFileSync(join(plainDir, "codex"), "not a program");
    const env = { FICTA_HOME: l.fictaHome, PATH: [plainDir, l.realDir].join(":") };
    expect(findRealCodex("", env, l.self)).toEqual({ path: join(l.realDir, "codex") });
  });

  test("the configured path wins; a wrong one is reported, not replaced", () => {
    const l = layout();
    const other = executable(join(l.root, "my-codex"));
    const env = { FICTA_HOME: l.fictaHome, PATH: l.realDir };
    expect(findRealCodex(other, env, l.self)).toEqual({ path: other });
    const missing = findRealCodex(join(l.root, "nope"), env, l.self);
    expect(missing.path).toBeNull();
    expect(missing.path === null && missing.looked).toContain(join(l.root, "nope"));
  });

  test("a configured path that is ficta or its shim is refused instead of looping", () => {
    const l = layout();
    const env = { FICTA_HOME: l.fictaHome, PATH: l.realDir };
    for (const configured of [join(l.shimDir, "codex"), l.self]) {
      const found = findRealCodex(configured, env, l.self);
      expect(found.path).toBeNull();
      expect(found.path === null && found.looked).toContain("which is ficta itself");
    }
  });

  test("none found: says where it looked", () => {
    const l = layout();
    const env = { FICTA_HOME: l.fictaHome, PATH: [l.shimDir, l.selfDir].join(":") };
    const found = findRealCodex("", env, l.self);
    expect(found.path).toBeNull();
    expect(found.path === null && found.looked).toContain("PATH (2 directories");
  });
});

describe("a managed configuration outranks -c", () => {
  test("only the keys ficta sets conflict", () => {
    expect(managedConflicts({})).toEqual([]);
    expect(managedConflicts({
      model: "o3",
      model_providers: { corp: { base_url: "https://corp.test" } },
      otel: { environment: "prod", log_user_prompt: false },
      features: { goals: true },
      shell_environment_policy: { set: { A: "1" } },
    })).toEqual([]);
    expect(managedConflicts({
      model_provider: "corp",
      chatgpt_base_url: "https://corp.test/",
      model_providers: { ficta: { base_url: "https://x" } },
      otel: { exporter: { "otlp-http": { endpoint: "https://c" } }, metrics_exporter: "none" },
      feedback: { enabled: true },
      features: { system_proxy_fallback: true },
    })).toEqual([
      "model_provider",
      "chatgpt_base_url",
      "model_providers.ficta",
      "otel.exporter",
      "feedback.enabled",
      "features.system_proxy_fallback",
    ]);
  });

  test("a file that sets them refuses the launch, naming the keys; none or harmless: no refusal", async () => {
    const dir = temp();
    const file = join(dir, "managed_config.toml");
    expect(await managedConfigRefusal(file)).toBeUndefined();
    writeFileSync(file, 'model = "o3"\n');
    expect(await managedConfigRefusal(file)).toBeUndefined();
    writeFileSync(file, '[otel]\nexporter = "none"\nmetrics_exporter = "none"\n');
    expect(await managedConfigRefusal(file)).toBeUndefined();
    writeFileSync(file, 'model_provider = "corp"\n[otel]\nexporter = { otlp-http = {} }\n');
    const reason = await managedConfigRefusal(file);
    expect(reason).toContain(`${file} sets model_provider, otel.exporter`);
    writeFileSync(file, "model_provider = \n");
    expect(await managedConfigRefusal(file)).toContain("cannot be read");
  });
});
