import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RegistryListing } from "../../src/cli/registry.ts";
import { everyStderrLineIsFicta, runFicta, tempHome } from "./run-ficta.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

function project(extraEnv: Record<string, string> = {}) {
  const { home, env } = tempHome(extraEnv);
  const dir = join(home, "project");
  mkdirSync(dir);
  const values = {
    plain: `plain-${crypto.randomUUID()}`,
    quoted: `q"${crypto.randomUUID().slice(0, 8)}\\end`,
    fromEnv: `env-${crypto.randomUUID()}`,
  };
  writeFileSync(
    join(dir, ".env"),
    `APP_TOKEN=${values.plain}\nDB_PASSWORD="${
      values.quoted.replace(/["\\]/g, "\\$&")
    }"\nPORT=8080\n`,
  );
  return { home, dir, values, env: { ...env, DEPLOY_SECRET: values.fromEnv } };
}

describe("ficta registry", () => {
  test("per source and name: length and forms, never a value", async () => {
    const { dir, values, env } = project();
    const ran = await runFicta(["registry"], env, { cwd: dir });
    expect(ran.code).toBe(0);
    for (const value of Object.values(values)) {
      expect(ran.stdout).not.toContain(value);
      expect(ran.stderr).not.toContain(value);
    }
    expect(everyStderrLineIsFicta(ran.stderr)).toBe(true);
    expect(ran.stdout).toContain(`Sources for ${dir}:`);
    expect(ran.stdout).toMatch(/\.env {2,}APP_TOKEN {2,}42 {2,}\d+/);
    expect(ran.stdout).toMatch(/environment {2,}DEPLOY_SECRET {2,}40 {2,}\d+/);
    expect(ran.stdout).toContain("1 skipped: shorter than min_len");
  });

  test("--json: the same as one document", async () => {
    const { dir, values, env } = project();
    const ran = await runFicta(["registry", "--json"], env, { cwd: dir });
    expect(ran.code).toBe(0);
    const listing = JSON.parse(ran.stdout) as RegistryListing;
    for (const value of Object.values(values)) expect(ran.stdout).not.toContain(value);
    const byName = Object.fromEntries(listing.values.map((v) => [v.name, v]));
    expect(byName.APP_TOKEN).toMatchObject({ source: ".env", length: values.plain.length });
    expect(byName.DB_PASSWORD).toMatchObject({ source: ".env", length: values.quoted.length });
    expect(byName.DEPLOY_SECRET).toMatchObject({ source: "environment" });
    // The quoted value has more spellings than the plain one: its .env text and JSON escapes.
    expect(byName.DB_PASSWORD.forms).toBeGreaterThan(byName.APP_TOKEN.forms);
    expect(byName.PORT).toBeUndefined();
    expect(listing.sources.map((s) => s.name)).toEqual([".env", "environment"]);
    expect(listing.report.length).toBe(2);
  });

  test("base64/hex off means fewer forms", async () => {
    const { dir, env } = project();
    const on = JSON.parse((await runFicta(["registry", "--json"], env, { cwd: dir })).stdout);
    const offRun = await runFicta(["registry", "--json"], { ...env, FICTA_DETECT_ENCODED: "0" }, {
      cwd: dir,
    });
    const off = JSON.parse(offRun.stdout);
    expect(off.values[0].name).toBe(on.values[0].name);
    expect(off.values[0].forms).toBeLessThan(on.values[0].forms);
  });

  test("a failing source: exit 1, named with its reason", async () => {
    const { dir, env } = project({
      FICTA_REGISTRY_COMMAND: JSON.stringify([{ name: "vault", argv: ["false"] }]),
    });
    const ran = await runFicta(["registry"], env, { cwd: dir });
    expect(ran.code).toBe(1);
    expect(ran.stdout).toMatch(/vault \(error/);
  });

  test("a broken config: exit 2 with the reason on stderr", async () => {
    const { home, dir, env } = project();
    mkdirSync(join(home, ".ficta"));
    writeFileSync(join(home, ".ficta", "config.toml"), "[registry]\nmin_len = 0\n");
    const ran = await runFicta(["registry"], env, { cwd: dir });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/^ficta: config .*min_len/);
  });
});
