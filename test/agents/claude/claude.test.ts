import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  childEnv,
  detectAuthMode,
  findRealClaude,
  isPassthrough,
  refusal,
  settingsArguments,
} from "../../../src/agents/claude/claude.ts";
import { claudeCredentialsFile, credentialsIn } from "../../../src/agents/claude/credentials.ts";
import { resolveClaudeRoute } from "../../../src/agents/claude/routes.ts";
import { claudeRefusal } from "../../../src/agents/claude/refusal.ts";

const dir = mkdtempSync(join(tmpdir(), "ficta-claude-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("passthrough (measured: no model request)", () => {
  test.each([
    [["--version"]],
    [["-v"]],
    [["--help"]],
    [["-p", "--help"]],
    [["doctor"]],
    [["mcp", "list"]],
    [["auth", "status"]],
    [["plugin", "list"]],
    [["update"]],
    [["--model", "opus", "doctor"]],
  ])("%j runs without the proxy", (args) => expect(isPassthrough(args)).toBe(true));

  test.each([
    [[]],
    [["-p", "fix the tests"]],
    [["fix the doctor"]],
    [["-p", "--", "--help"]],
    [["--model", "doctor", "hi"]],
    [["config"]], // not a command in 2.1.332: a prompt
    [["--add-dir", "a", "b", "-p", "mcp"]],
    [["-p", "doctor"]], // measured: a prompt
  ])("%j goes through the airlock", (args) => expect(isPassthrough(args)).toBe(false));
});

describe("refusals", () => {
  test.each([
    [["--bg", "-p", "x"]],
    [["--background"]],
    [["--remote-control"]],
    [["--teleport"]],
    [["--cloud=fix it"]],
    [["attach", "abc"]],
    [["agents"]],
    [["respawn", "--all"]],
    [["ultrareview"]],
  ])("%j is refused", (args) => expect(refusal(args, {})).toBeString());

  test("Bedrock / Vertex / Foundry send the requests elsewhere", () => {
    expect(refusal([], { CLAUDE_CODE_USE_BEDROCK: "1" })).toContain("CLAUDE_CODE_USE_BEDROCK");
    expect(refusal([], { CLAUDE_CODE_USE_VERTEX: "true" })).toContain("VERTEX");
    expect(refusal([], { CLAUDE_CODE_USE_BEDROCK: "0" })).toBeUndefined();
    expect(refusal(["-p", "agents are fun"], {})).toBeUndefined();
    expect(refusal(["-p", "agents"], {})).toBeUndefined();
  });
});

describe("child environment", () => {
  test("Unix socket: base URL http://localhost, loopback in NO_PROXY, nonessential traffic off", () => {
    const env = childEnv({ NO_PROXY: "corp.example", HTTPS_PROXY: "http://proxy:3128" }, {
      kind: "unix",
      socket: "/tmp/x/s.sock",
      tokenHeader: "x-ficta-token",
      token: "t0k",
    });
    expect(env.ANTHROPIC_BASE_URL).toBe("http://localhost");
    expect(env.ANTHROPIC_UNIX_SOCKET).toBe("/tmp/x/s.sock");
    expect(env.NO_PROXY).toBe("corp.example,127.0.0.1,localhost,::1");
    expect(env.no_proxy).toBe("127.0.0.1,localhost,::1");
    expect(env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC).toBe("1");
    expect(env.ANTHROPIC_CUSTOM_HEADERS).toBe("x-ficta-token: t0k");
  });

  test("loopback port: the token travels in ANTHROPIC_CUSTOM_HEADERS, the user's headers kept", () => {
    const env = childEnv({
      ANTHROPIC_CUSTOM_HEADERS: "x-team: a\nX-Ficta-Token: stale",
      ANTHROPIC_UNIX_SOCKET: "/elsewhere",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "0",
    }, { kind: "tcp", origin: "http://127.0.0.1:5", tokenHeader: "x-ficta-token", token: "t0k" });
    expect(env.ANTHROPIC_BASE_URL).toBe("http://127.0.0.1:5");
    expect(env.ANTHROPIC_CUSTOM_HEADERS).toBe("x-team: a\nx-ficta-token: t0k");
    expect("ANTHROPIC_UNIX_SOCKET" in env && env.ANTHROPIC_UNIX_SOCKET === undefined).toBe(true);
    // The user's own choice stays.
    expect("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC" in env).toBe(false);
  });
});

describe("auth and credentials", () => {
  test("auth mode from the variables and the login file's shape", () => {
    expect(detectAuthMode({ ANTHROPIC_API_KEY: "k", HOME: dir })).toBe("api-key");
    expect(detectAuthMode({ ANTHROPIC_AUTH_TOKEN: "t", HOME: dir })).toBe("auth-token");
    expect(detectAuthMode({ CLAUDE_CODE_OAUTH_TOKEN: "o", HOME: dir })).toBe("oauth-token");
    expect(detectAuthMode({ HOME: dir })).toBe("none");
    const config = join(dir, "cfg");
    mkdirSync(config);
    writeFileSync(
      join(config, ".credentials.json"),
      JSON.stringify({ claudeAiOauth: { accessToken: "sk-ant-oat01-abc123abc123abc123abc" } }),
    );
    expect(detectAuthMode({ HOME: dir, CLAUDE_CONFIG_DIR: config })).toBe("subscription");
  });

  test("the login file's tokens are protected values", () => {
    const text = JSON.stringify({
      claudeAiOauth: {
        accessToken: "sk-ant-oat01-AAAA1111BBBB2222CCCC",
        refreshToken: "sk-ant-ort01-DDDD3333EEEE4444FFFF",
        expiresAt: 4102444800000,
        scopes: ["user:inference", "user:profile"],
        subscriptionType: "max",
      },
    });
    expect(credentialsIn(text).map((f) => f.name)).toEqual([
      "claude claudeAiOauth.accessToken",
      "claude claudeAiOauth.refreshToken",
    ]);
    const config = join(dir, "cfg2");
    mkdirSync(config);
    writeFileSync(join(config, ".credentials.json"), text);
    const output = claudeCredentialsFile.read({ CLAUDE_CONFIG_DIR: config });
    expect(output.kind).toBe("claude");
    expect(output.found.map((f) => f.name)).toEqual([
      "claude claudeAiOauth.accessToken",
      "claude claudeAiOauth.refreshToken",
    ]);
    expect(claudeCredentialsFile.read({ HOME: join(dir, "nowhere") }).status).toBe("not found");
  });
});

describe("routes", () => {
  test("Messages and count_tokens go to upstream.anthropic (path prefix kept)", () => {
    expect(resolveClaudeRoute("POST", "/v1/messages", "https://api.anthropic.com")?.upstream.href)
      .toBe("https://api.anthropic.com/v1/messages");
    expect(
      resolveClaudeRoute("POST", "/v1/messages/count_tokens", "https://gw.example/anthropic/")
        ?.upstream.href,
    ).toBe("https://gw.example/anthropic/v1/messages/count_tokens");
  });

  test.each([
    ["GET", "/v1/messages"],
    ["POST", "/v1/complete"],
    ["POST", "/v1/messages/batches"],
    ["POST", "/v1/%2e%2e/messages"],
    ["POST", "/v1//messages"],
    ["POST", "/api/oauth/profile"],
  ])("%s %s is refused locally", (method, path) => {
    expect(resolveClaudeRoute(method, path, "https://api.anthropic.com")).toBeNull();
  });
});

describe("refusal rendering (docs/claude-refusals.md)", () => {
  test("a gate refusal is a 451 in Anthropic's error shape, the message verbatim", async () => {
    const res = claudeRefusal("ficta blocked this request:\nline two");
    expect(res.status).toBe(451);
    expect(await res.json()).toEqual({
      type: "error",
      error: { type: "permission_error", message: "ficta blocked this request:\nline two" },
    });
    expect(claudeRefusal("x", 400).status).toBe(451);
    expect(claudeRefusal("x", 403).status).toBe(451);
    expect(claudeRefusal("x", 421).status).toBe(421);
  });
});

describe("finding the real claude", () => {
  test("skips ficta's shim and ficta itself; the configured path wins", () => {
    const home = join(dir, "home");
    const shims = join(home, ".ficta", "bin");
    const real = join(dir, "real");
    mkdirSync(shims, { recursive: true });
    mkdirSync(real);
    writeFileSync(join(shims, "claude"), "#!/bin/sh\n# ficta-shim: claude\n");
    chmodSync(join(shims, "claude"), 0o755);
    writeFileSync(join(real, "claude"), "#!/bin/sh\necho real\n");
    chmodSync(join(real, "claude"), 0o755);
    const self = join(dir, "ficta");
    writeFileSync(self, "");
    const selfLink = join(dir, "selflink");
    mkdirSync(selfLink);
    symlinkSync(self, join(selfLink, "claude"));
    const env = { HOME: home, PATH: [shims, selfLink, real].join(":") };
    expect(findRealClaude("", env, self)).toEqual({ path: join(real, "claude") });
    expect(findRealClaude(join(real, "claude"), env, self)).toEqual({ path: join(real, "claude") });
    expect(findRealClaude(join(shims, "claude"), env, self).path).toBeNull();
    expect(findRealClaude("", { HOME: home, PATH: shims }, self).path).toBeNull();
  });

  test("settings arguments are found wherever they are", () => {
    expect(settingsArguments(["-p", "x", "--settings", "{}", "--managed-settings=a.json"]))
      .toEqual([{ flag: "--settings", value: "{}" }, {
        flag: "--managed-settings",
        value: "a.json",
      }]);
  });
});

describe("the claude agent's launch warnings", () => {
  test("a base URL of the user's own is named, never printed", async () => {
    const { claude } = await import("../../../src/agents/claude/mod.ts");
    const gateway = "https://user:pw@gateway.example";
    const lines = claude.warnings({
      args: [],
      env: { HOME: dir, ANTHROPIC_BASE_URL: gateway },
      cwd: dir,
    });
    expect(lines.join("\n")).toContain("ANTHROPIC_BASE_URL is set");
    expect(lines.join("\n")).not.toContain("gateway.example");
    expect(claude.warnings({ args: [], env: { HOME: dir }, cwd: dir })).toEqual([]);
  });
});
