/**
 * The compiled binary, not only the source: its shim names the binary itself, the embedded
 * templates are there, and doctor's live self-test runs inside it. `FICTA_TEST_BINARY` picks a
 * binary; otherwise dist/ficta is built when missing or older than the sources.
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, readFileSync, realpathSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import type { DoctorReport } from "../../src/cli/doctor.ts";
import { everyStderrLineIsFicta, healthyMachine, runFicta } from "./run-ficta.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";
import { BINARY, buildIfStale } from "../compiled-binary.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

// A build takes ~10 s, more on a busy machine.
beforeAll(buildIfStale, 120_000);

describe("compiled ficta", () => {
  test("install writes a shim that runs the binary; codex reaches the real Codex", async () => {
    const { home, env } = healthyMachine();
    const installed = await runFicta(["install", "--no-shell"], env, { command: [BINARY] });
    expect(installed.code).toBe(0);
    expect(everyStderrLineIsFicta(installed.stderr)).toBe(true);
    const shim = readFileSync(join(home, ".ficta", "bin", "codex"), "utf8");
    expect(shim).toContain(`exec '${realpathSync(BINARY)}' codex "$@"\n`);

    const child = Bun.spawn(["sh", "-c", "codex --version"], { env, stdout: "pipe" });
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    expect(await new Response(child.stdout).text()).toBe("codex-cli 0.169.0\n");
    clearTimeout(timer);
    expect(await child.exited).toBe(0);
  });

  test("run through a symlink (Homebrew's bin -> Cellar), the shim keeps the symlink", async () => {
    const { home, env } = healthyMachine();
    const link = join(home, "brew-bin", "ficta");
    mkdirSync(join(home, "brew-bin"));
    symlinkSync(realpathSync(BINARY), link);
    const viaPath = { ...env, PATH: `${env.PATH}:${join(home, "brew-bin")}` };
    expect((await runFicta(["install", "--no-shell"], viaPath, { command: ["ficta"] })).code).toBe(
      0,
    );
    const shim = readFileSync(join(home, ".ficta", "bin", "codex"), "utf8");
    expect(shim).toContain(`exec '${link}' codex "$@"\n`);
    const doctor = await runFicta(["doctor", "--json"], env, { command: [BINARY] });
    const report = JSON.parse(doctor.stdout) as DoctorReport;
    expect(report.checks.find((c) => c.id === "shim")).toMatchObject({ status: "ok" });
  });

  test("doctor: every check ok, the live self-test included, under 2 s", async () => {
    const { env } = healthyMachine();
    await runFicta(["install", "--no-shell"], env, { command: [BINARY] });
    const started = performance.now();
    const ran = await runFicta(["doctor", "--json"], env, { command: [BINARY] });
    const wall = performance.now() - started;
    const report = JSON.parse(ran.stdout) as DoctorReport;
    expect(report.checks.filter((c) => c.status !== "ok")).toEqual([]);
    expect(report.ok).toBe(true);
    expect(ran.code).toBe(0);
    expect(wall).toBeLessThan(2000);
  });
});
