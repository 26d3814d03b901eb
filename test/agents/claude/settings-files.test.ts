import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childEnv, type Endpoint } from "../../../src/agents/claude/claude.ts";
import {
  findSettings,
  keysIn,
  settingsFiles,
  settingsPlan,
} from "../../../src/agents/claude/settings-files.ts";

const dir = mkdtempSync(join(tmpdir(), "ficta-claude-settings-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const unix: Endpoint = {
  kind: "unix",
  socket: "/tmp/ficta-x/proxy.sock",
  tokenHeader: "x-t",
  token: "s",
};
const tcp: Endpoint = { kind: "tcp", origin: "http://127.0.0.1:7", tokenHeader: "x-t", token: "s" };
const NO_MANAGED = join(dir, "no-managed.json");

function project(name: string, files: Record<string, unknown>) {
  const root = join(dir, name);
  const home = join(root, "home");
  const cwd = join(root, "repo", "pkg");
  mkdirSync(home, { recursive: true });
  mkdirSync(cwd, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    const file = join(root, path);
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  }
  return { cwd, env: { HOME: home } };
}

describe("settings files that move Claude Code's traffic", () => {
  test("keys: base URL, socket, custom headers, NO_PROXY; clouds separately", () => {
    expect(keysIn('{"env":{"ANTHROPIC_BASE_URL":"https://gw","FOO":"1"}}').routing)
      .toEqual(["ANTHROPIC_BASE_URL"]);
    expect(keysIn('{"env":{"CLAUDE_CODE_USE_BEDROCK":"1"}}').provider)
      .toEqual(["CLAUDE_CODE_USE_BEDROCK"]);
    expect(keysIn('{"env":{"CLAUDE_CODE_USE_BEDROCK":"0"}}').provider).toEqual([]);
    expect(keysIn("not json")).toEqual({ routing: [], provider: [] });
    expect(keysIn('{"model":"opus"}')).toEqual({ routing: [], provider: [] });
  });

  test("user, CLAUDE_CONFIG_DIR and project files (local too, parents too) are read", () => {
    const files = settingsFiles("/a/b", { HOME: "/h" });
    expect(files).toContain("/h/.claude/settings.json");
    expect(files).toContain("/a/b/.claude/settings.json");
    expect(files).toContain("/a/.claude/settings.local.json");
    expect(settingsFiles("/a", { HOME: "/h", CLAUDE_CONFIG_DIR: "/c" })[0])
      .toBe("/c/settings.json");
  });

  test("nothing set: no extra arguments", () => {
    const { cwd, env } = project("clear", { "home/.claude/settings.json": { model: "x" } });
    const found = findSettings(cwd, env, [], NO_MANAGED);
    expect(settingsPlan(found, childEnv(env, unix), unix, false)).toEqual({ kind: "clear" });
  });

  test("a user settings.json base URL: ficta takes the route back with --settings", () => {
    const { cwd, env } = project("user", {
      "home/.claude/settings.json": { env: { ANTHROPIC_BASE_URL: "https://gw.example" } },
      "repo/.claude/settings.local.json": { env: { NO_PROXY: "corp" } },
    });
    const found = findSettings(cwd, env, [], NO_MANAGED);
    expect(found.map((f) => f.routing)).toEqual([["ANTHROPIC_BASE_URL"], ["NO_PROXY"]]);
    const plan = settingsPlan(found, childEnv(env, unix), unix, false);
    expect(plan.kind).toBe("route-back");
    if (plan.kind !== "route-back") return;
    expect(plan.args[0]).toBe("--settings");
    expect(JSON.parse(plan.args[1])).toEqual({
      env: {
        ANTHROPIC_BASE_URL: "http://localhost",
        ANTHROPIC_UNIX_SOCKET: "/tmp/ficta-x/proxy.sock",
        NO_PROXY: "127.0.0.1,localhost,::1",
      },
    });
  });

  test("refused: managed settings, a cloud, the user's own --settings", () => {
    const { cwd, env } = project("managed", {
      "managed.json": { env: { ANTHROPIC_BASE_URL: "https://gw" } },
      "own.json": { env: { ANTHROPIC_BASE_URL: "https://gw" } },
      "home/.claude/settings.json": { env: { ANTHROPIC_BASE_URL: "https://gw" } },
    });
    const managed = findSettings(cwd, env, [], join(dir, "managed", "managed.json"));
    expect(settingsPlan(managed, childEnv(env, unix), unix, false)).toMatchObject({
      kind: "refuse",
    });
    const cloud = findSettings(cwd, env, [{
      flag: "--settings",
      value: '{"env":{"CLAUDE_CODE_USE_VERTEX":"1"}}',
    }], NO_MANAGED);
    expect(settingsPlan(cloud, childEnv(env, unix), unix, true).kind).toBe("refuse");
    const own = findSettings(cwd, env, [{
      flag: "--settings",
      value: join(dir, "managed", "own.json"),
    }], NO_MANAGED);
    expect(settingsPlan(own, childEnv(env, unix), unix, true)).toMatchObject({ kind: "refuse" });
    // A harmless --settings of the user's would replace ficta's route-back whole (measured).
    const harmless = findSettings(
      cwd,
      env,
      [{ flag: "--settings", value: '{"model":"x"}' }],
      NO_MANAGED,
    );
    expect(settingsPlan(harmless, childEnv(env, unix), unix, true).kind).toBe("refuse");
  });

  test("a settings file's custom headers (and, on a port, its socket) are refused", () => {
    const { cwd, env } = project("tcp", {
      "home/.claude/settings.json": { env: { ANTHROPIC_CUSTOM_HEADERS: "x: y" } },
      "repo/.claude/settings.json": { env: { ANTHROPIC_UNIX_SOCKET: "/s" } },
    });
    const found = findSettings(cwd, env, [], NO_MANAGED);
    expect(settingsPlan(found, childEnv(env, tcp), tcp, false).kind).toBe("refuse");
    expect(settingsPlan(found, childEnv(env, unix), unix, false).kind).toBe("refuse");
    const socketOnly = found.filter((f) => f.routing.includes("ANTHROPIC_UNIX_SOCKET"));
    expect(settingsPlan(socketOnly, childEnv(env, tcp), tcp, false).kind).toBe("refuse");
    expect(settingsPlan(socketOnly, childEnv(env, unix), unix, false).kind).toBe("route-back");
  });
});

describe("the planned endpoint", () => {
  test("a Unix socket except on Windows, so early checks agree with the launch", async () => {
    const { plannedEndpoint } = await import("../../../src/agents/claude/claude.ts");
    expect(plannedEndpoint("linux").kind).toBe("unix");
    expect(plannedEndpoint("darwin").kind).toBe("unix");
    expect(plannedEndpoint("win32").kind).toBe("tcp");
  });
});
