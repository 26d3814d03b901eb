import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { everyStderrLineIsFicta, runFicta, standInCodex, tempHome } from "./run-ficta.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

/** Runs `codex ARGS` the way a user's shell would, with a guard against a shim loop. */
async function codexThroughPath(env: Record<string, string>, args: string[]) {
  const child = Bun.spawn(["sh", "-c", 'exec codex "$@"', "sh", ...args], {
    env,
    cwd: env.HOME,
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  clearTimeout(timer);
  return { stdout, stderr, code };
}

describe("ficta install / uninstall", () => {
  test("install reports each file, uninstall removes them; stderr is ficta's only", async () => {
    const { home, env } = tempHome();
    writeFileSync(join(home, ".bashrc"), "# mine\n");
    const installed = await runFicta(["install"], env);
    expect(installed.code).toBe(0);
    expect(everyStderrLineIsFicta(installed.stderr)).toBe(true);
    const shim = join(home, ".ficta", "bin", "codex");
    expect(installed.stderr).toContain(`written  ${shim} (codex shim)`);
    expect(installed.stderr).toContain(`written  ${join(home, ".bashrc")} (PATH block)`);
    expect(installed.stderr).toContain("FICTA_DISABLE=1 codex");
    expect(statSync(shim).mode & 0o777).toBe(0o755);

    const again = await runFicta(["install"], env);
    expect(again.stderr).toContain(`unchanged  ${shim}`);

    const removed = await runFicta(["uninstall"], env);
    expect(removed.code).toBe(0);
    expect(everyStderrLineIsFicta(removed.stderr)).toBe(true);
    expect(removed.stderr).toContain(`removed  ${shim} (codex shim)`);
    expect(existsSync(shim)).toBe(false);
    expect(readFileSync(join(home, ".bashrc"), "utf8")).toBe("# mine\n");
  });

  test("a foreign codex: exit 1 and untouched; --force replaces it", async () => {
    const { home, env } = tempHome();
    const dir = join(home, "bin");
    mkdirSync(dir);
    writeFileSync(join(dir, "codex"), "#!/bin/sh\necho theirs\n", { mode: 0o755 });
    const refused = await runFicta(["install", "--dir", dir], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("not written by ficta");
    expect(readFileSync(join(dir, "codex"), "utf8")).toBe("#!/bin/sh\necho theirs\n");
    const forced = await runFicta(["install", "--dir", dir, "--force", "--no-shell"], env);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain(
      `ficta: to do: add to your shell startup file: export PATH='${dir}'`,
    );
    expect(existsSync(join(home, ".bashrc"))).toBe(false);
  });

  test("usage errors exit 2", async () => {
    const { env } = tempHome();
    const bad = await runFicta(["install", "--bogus"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ficta: .*Usage: ficta install/);
    expect((await runFicta(["enable", "now"], env)).code).toBe(2);
  });
});

describe("disable / enable", () => {
  test("the flag file comes and goes, 0600", async () => {
    const { home, env } = tempHome();
    const flag = join(home, ".ficta", "disabled");
    const disabled = await runFicta(["disable"], env);
    expect(disabled.code).toBe(0);
    expect(disabled.stderr).toContain("WITHOUT protection");
    expect(statSync(flag).mode & 0o777).toBe(0o600);
    expect((await runFicta(["disable"], env)).stderr).toContain("already disabled");
    const enabled = await runFicta(["enable"], env);
    expect(enabled.code).toBe(0);
    expect(existsSync(flag)).toBe(false);
    expect((await runFicta(["enable"], env)).stderr).toContain("already enabled");
  });
});

describe("the installed shim reaches the real Codex without looping", () => {
  function setup() {
    const { home, env } = tempHome();
    const realDir = join(home, "real");
    mkdirSync(realDir);
    standInCodex(realDir);
    return { home, env, realDir };
  }

  test("shim directory first on PATH", async () => {
    const { home, env, realDir } = setup();
    expect((await runFicta(["install", "--no-shell"], env)).code).toBe(0);
    const shimDir = join(home, ".ficta", "bin");
    const onPath = { ...env, PATH: `${shimDir}:${realDir}:${env.PATH}` };
    const ran = await codexThroughPath(onPath, ["--version"]);
    expect(ran.stdout).toBe("stand-in codex: --version\n");
    expect(ran.code).toBe(0);
  });

  test("the real Codex CLI (npm @openai/codex) answers through the shim", async () => {
    const { home, env } = setup();
    expect((await runFicta(["install", "--no-shell"], env)).code).toBe(0);
    const npmBin = join(import.meta.dir, "..", "..", "node_modules", ".bin");
    const onPath = { ...env, PATH: `${join(home, ".ficta", "bin")}:${npmBin}:${env.PATH}` };
    const ran = await codexThroughPath(onPath, ["--version"]);
    expect(ran.stdout).toBe("codex-cli 0.169.0\n");
    expect(ran.code).toBe(0);
  });

  test("shim directory reached through a symlink, and the real Codex after it", async () => {
    const { home, env, realDir } = setup();
    expect((await runFicta(["install", "--no-shell"], env)).code).toBe(0);
    const link = join(home, "linked-bin");
    symlinkSync(join(home, ".ficta", "bin"), link);
    const onPath = { ...env, PATH: `${link}:${realDir}:${env.PATH}` };
    const ran = await codexThroughPath(onPath, ["--version"]);
    expect(ran.stdout).toBe("stand-in codex: --version\n");
    expect(ran.code).toBe(0);
  });

  test("disabled: the real Codex runs untouched after one `ficta: disabled` line", async () => {
    const { home, env, realDir } = setup();
    await runFicta(["install", "--no-shell"], env);
    const onPath = { ...env, PATH: `${join(home, ".ficta", "bin")}:${realDir}:${env.PATH}` };
    await runFicta(["disable"], env);
    const ran = await codexThroughPath(onPath, ["exec", "hello"]);
    expect(ran.stdout).toBe("stand-in codex: exec hello\n");
    expect(ran.stderr).toMatch(/^ficta: disabled/);
    expect(ran.stderr.trim().split("\n").length).toBe(1);
    await runFicta(["enable"], env);
    const once = await codexThroughPath({ ...onPath, FICTA_DISABLE: "1" }, ["exec", "hi"]);
    expect(once.stdout).toBe("stand-in codex: exec hi\n");
    expect(once.stderr).toMatch(/^ficta: disabled/);
  });
});
