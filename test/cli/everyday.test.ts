/**
 * The everyday commands as a new user meets them, on the compiled binary (`FICTA_TEST_BINARY`, or
 * dist/ficta built when missing or older than the sources): help for every command, launch lines
 * that say what Codex will do, `install` on a fresh machine, switches, the exit summary, `doctor`
 * on an unreachable upstream and `setup` keeping comments.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { DoctorReport } from "../../src/cli/doctor.ts";
import { commands } from "../../src/cli/commands.ts";
import { keys } from "../../src/config/schema.ts";
import { everyStderrLineIsFicta, runFicta, standInCodex, tempHome } from "./run-ficta.ts";
import { BINARY, buildIfStale } from "../compiled-binary.ts";

const ROOT = join(import.meta.dir, "..", "..");
const PROBING_STAND_IN = join(ROOT, "test", "e2e", "fixtures", "stand-in-codex.ts");

beforeAll(buildIfStale, 120_000);

const ficta = (args: string[], env: Record<string, string>, cwd?: string) =>
  runFicta(args, env, { command: [BINARY], cwd });

/** A home whose real Codex is a stand-in that prints its arguments (no request made). */
function machine(extra: Record<string, string> = {}) {
  const { home, env } = tempHome(extra);
  const codex = standInCodex(home);
  return { home, env: { ...env, FICTA_REAL_CODEX: codex } };
}

describe("help", () => {
  test("`ficta <command> --help` and `-h` print that command's help, exit 0", async () => {
    const { env } = machine();
    // An agent's --help is the agent's own (passed through).
    for (const command of commands.filter((c) => !("agent" in c && c.agent))) {
      for (const flag of ["--help", "-h"]) {
        const ran = await ficta([command.name, flag], env);
        expect(ran.code).toBe(0);
        expect(ran.stdout).toContain(`Usage: ${command.usage}`);
        expect(ran.stderr).toBe("");
      }
    }
  }, 30_000);

  test("`ficta help codex` lists ficta's own part and every FICTA_* variable of a launch", async () => {
    const ran = await ficta(["help", "codex"], machine().env);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain("ficta codex has no flags of its own");
    const names = [
      "FICTA_DISABLE",
      "FICTA_HOME",
      "FICTA_CONFIG_FILE",
      "FICTA_SURROGATE_KEY",
      ...keys().flatMap((k) => k.env),
    ];
    for (const name of names) expect(ran.stdout).toContain(name);
  });
});

describe("launch lines say what Codex will do", () => {
  test("TUI with only CODEX_API_KEY: not logged in, and the key named as ignored", async () => {
    const { home, env } = machine({ CODEX_API_KEY: `fake-key-${crypto.randomUUID()}` });
    const ran = await ficta(["codex"], env, home);
    expect(ran.stderr).toContain(
      "ficta: codex: not logged in, Codex will ask you to log in (the TUI ignores CODEX_API_KEY",
    );
    const exec = await ficta(["codex", "exec", "hi"], env, home);
    expect(exec.stderr).toContain("ficta: codex: CODEX_API_KEY; model requests ->");
  });

  test("exec without any login: no credentials sent, no promise of a login prompt", async () => {
    const { home, env } = machine();
    const ran = await ficta(["codex", "exec", "hi"], env, home);
    expect(ran.stderr).toContain("not logged in: Codex sends its requests without credentials");
    expect(ran.stderr).not.toContain("ask you to log in");
  });
});

describe("ficta install on a fresh machine", () => {
  test("puts ficta itself on PATH, and a login bash without .profile sees the shim", async () => {
    const { home, env } = tempHome();
    const ran = await ficta(["install"], env);
    expect(ran.code).toBe(0);
    expect(everyStderrLineIsFicta(ran.stderr)).toBe(true);
    const bin = join(home, ".ficta", "bin");
    expect(ran.stderr).toContain(`written  ${join(bin, "ficta")} (ficta itself)`);
    expect(ran.stderr).toContain(`${join(home, ".profile")} (PATH block)`);
    // A login shell (`bash -l`, ssh) reads .profile, not .bashrc.
    const login = Bun.spawnSync(["bash", "-lc", "command -v codex; command -v ficta"], {
      env: { HOME: home, PATH: env.PATH },
    });
    expect(login.stdout.toString()).toBe(`${join(bin, "codex")}\n${join(bin, "ficta")}\n`);
    const version = Bun.spawnSync([join(bin, "ficta"), "--version"]);
    expect(version.stdout.toString()).toStartWith("ficta ");

    const removed = await ficta(["uninstall"], env);
    expect(removed.stderr).toContain(`removed  ${join(bin, "ficta")} (ficta itself)`);
    expect(existsSync(join(home, ".profile"))).toBe(false);
  });

  test("no real Codex anywhere: refused with a clear message, nothing written", async () => {
    const { home, env } = tempHome({ PATH: "/nonexistent" });
    const ran = await ficta(["install"], env);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain("no real Codex CLI found");
    expect(ran.stderr).toContain("npm install -g @openai/codex");
    expect(existsSync(join(home, ".ficta", "bin"))).toBe(false);
    expect(existsSync(join(home, ".bashrc"))).toBe(false);
  });
});

describe("switches and variables", () => {
  test("FICTA_DISABLE takes every on spelling; an unknown one keeps the airlock", async () => {
    const { home, env } = machine();
    for (const on of ["1", "true", "YES", "on"]) {
      const ran = await ficta(["codex", "exec", "hi"], { ...env, FICTA_DISABLE: on }, home);
      expect(ran.stderr).toContain(`ficta: disabled (FICTA_DISABLE=${on})`);
      expect(ran.stdout).toBe("stand-in codex: exec hi\n");
    }
    for (const off of ["0", "false", "no", "off", "maybe"]) {
      const ran = await ficta(["codex", "exec", "hi"], { ...env, FICTA_DISABLE: off }, home);
      expect(ran.stderr).not.toContain("disabled");
      expect(ran.stdout).toContain("model_provider=ficta");
    }
  }, 30_000);

  test("FICTA_QUIET=yes launches; FICTA_QUIET=2 names the spellings it takes", async () => {
    const { home, env } = machine();
    expect((await ficta(["codex", "exec", "hi"], { ...env, FICTA_QUIET: "yes" }, home)).code)
      .toBe(0);
    const bad = await ficta(["codex", "exec", "hi"], { ...env, FICTA_QUIET: "2" }, home);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain("FICTA_QUIET: expected 1/true/yes/on or 0/false/no/off");
  });

  test("FICTA_REGISTRY_COMMAND with bad JSON: 'invalid JSON' and where", async () => {
    const { home, env } = machine({
      FICTA_REGISTRY_COMMAND: '[{"name":"vault","argv":["vault",]}]',
    });
    const ran = await ficta(["codex", "exec", "hi"], env, home);
    expect(ran.code).toBe(78);
    expect(ran.stderr).toContain(
      "FICTA_REGISTRY_COMMAND: invalid JSON at line 1, column 34 (position 33)",
    );
    expect(ran.stdout).toBe("");
  });
});

describe("the exit summary", () => {
  test("a run without requests: plain counts, no log folder left behind", async () => {
    const { home, env } = machine();
    const ran = await ficta(["codex", "exec", "hi"], env, home);
    expect(ran.code).toBe(0);
    expect(ran.stderr).toContain(
      "ficta: 0 values protected; 0 requests; 0 refused; no log (no request)",
    );
    // The logs directory is checked for writability before Codex starts; no session folder in it.
    const logs = join(home, ".ficta", "logs");
    expect(existsSync(logs) ? readdirSync(logs) : []).toEqual([]);
  });

  test("an unreachable upstream is reported as unreachable, not as refused", async () => {
    const { home, env } = tempHome();
    const standIn = join(home, "codex");
    writeFileSync(
      standIn,
      `#!/bin/sh\nexec '${process.execPath}' --no-env-file '${PROBING_STAND_IN}' "$@"\n`,
    );
    chmodSync(standIn, 0o755);
    const closed = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const dead = `http://127.0.0.1:${closed.port}`;
    closed.stop(true);
    const ran = await ficta(["codex", "exec", "hi"], {
      ...env,
      FICTA_REAL_CODEX: standIn,
      FICTA_OPENAI_UPSTREAM: dead,
      FICTA_CHATGPT_UPSTREAM: dead,
      STANDIN_OUT: join(home, "stand-in.json"),
    }, home);
    expect(ran.code).toBe(0);
    // The stand-in probes four times: one with the token (upstream down), three refused.
    expect(ran.stderr).toMatch(
      /ficta: 0 values protected; 4 requests; 3 refused; upstream unreachable for 1 request; log: /,
    );
  });
});

describe("doctor and setup", () => {
  test("doctor names an unreachable model upstream", async () => {
    const { env } = machine();
    const closed = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const dead = `http://127.0.0.1:${closed.port}`;
    closed.stop(true);
    const ran = await ficta(["doctor", "--json"], {
      ...env,
      FICTA_OPENAI_UPSTREAM: dead,
      FICTA_CHATGPT_UPSTREAM: dead,
    });
    const report = JSON.parse(ran.stdout) as DoctorReport;
    expect(report.checks.find((c) => c.id === "reach")).toMatchObject({
      status: "warn",
      summary: `model upstream unreachable: ${dead}`,
    });
  });

  test("setup --yes keeps the comments of the file it edits", async () => {
    const { home, env } = machine();
    mkdirSync(join(home, ".ficta"));
    const file = join(home, ".ficta", "config.toml");
    const before = "# mine: do not lose\n[registry]\nmin_len = 10 # long enough\n\n" +
      "# quiet please\n[log]\nquiet = true\n";
    writeFileSync(file, before, { mode: 0o600 });
    const ran = await ficta(["setup", "--yes", "--no-install"], env);
    expect(ran.code).toBe(0);
    const after = readFileSync(file, "utf8");
    for (const line of before.split("\n")) expect(after).toContain(line);
    expect(existsSync(`${file}.bak`)).toBe(false);
  });
});
