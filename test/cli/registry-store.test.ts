/** `ficta registry stored` and `ficta registry forget`, and what a launch stores: never a value. */
import { expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StoredEntry } from "../../src/registry/store.ts";
import { everyStderrLineIsFicta, runFicta, standInCodex, tempHome } from "./run-ficta.ts";

test("a launch stores its values; stored lists names; forget by source, name, all", async () => {
  const { home, env } = tempHome();
  const project = join(home, "project");
  mkdirSync(join(project, "apps", "web"), { recursive: true });
  mkdirSync(join(project, ".git"));
  const values = {
    top: `top-${crypto.randomUUID()}`,
    web: `web-${crypto.randomUUID()}`,
    other: `other-${crypto.randomUUID()}`,
  };
  writeFileSync(join(project, ".env"), `TOP_TOKEN=${values.top}\nOTHER_TOKEN=${values.other}\n`);
  writeFileSync(join(project, "apps", "web", ".env.local"), `WEB_TOKEN=${values.web}\n`);
  const launchEnv = { ...env, FICTA_REAL_CODEX: standInCodex(home) };
  const launch = await runFicta(["codex", "exec", "hi"], launchEnv, { cwd: project });
  expect(launch.code).toBe(0);
  expect(launch.stderr).toContain("registry: apps/web/.env.local (1 value)");

  const stored = await runFicta(["registry", "stored", "--json"], env, { cwd: project });
  const entries = JSON.parse(stored.stdout) as StoredEntry[];
  expect(entries.map((e) => [e.name, e.source])).toEqual([
    ["TOP_TOKEN", join(project, ".env")],
    ["OTHER_TOKEN", join(project, ".env")],
    ["WEB_TOKEN", join(project, "apps", "web", ".env.local")],
  ]);
  const file = readFileSync(join(home, ".ficta", "store", "values"), "utf8");
  for (const value of Object.values(values)) {
    expect(file).not.toContain(value);
    expect(stored.stdout).not.toContain(value);
  }
  // From another directory the next launch reports the stored values.
  const again = await runFicta(["codex", "exec", "hi"], launchEnv, { cwd: home });
  expect(again.stderr).toContain("registry: store (3 values from earlier launches)");
  expect(everyStderrLineIsFicta(again.stderr.replace(/^stand-in codex.*\n/m, ""))).toBe(true);

  const bySource = await runFicta(["registry", "forget", "--source", "apps/**"], env, {
    cwd: project,
  });
  expect(bySource.stderr).toBe("ficta: forgot 1 stored value(s)\n");
  const byName = await runFicta(["registry", "forget", "--name", "OTHER_*"], env);
  expect(byName.stderr).toBe("ficta: forgot 1 stored value(s)\n");
  const listed = await runFicta(["registry", "stored"], env);
  expect(listed.stdout).toContain("TOP_TOKEN");
  expect(listed.stdout).not.toContain("WEB_TOKEN");
  const all = await runFicta(["registry", "forget", "--all"], env);
  expect(all.stderr).toBe("ficta: forgot 1 stored value(s)\n");
  expect((await runFicta(["registry", "stored"], env)).stdout).toBe("No value is stored.\n");
  expect((await runFicta(["registry", "forget"], env)).code).toBe(2);
}, 30_000);
