/**
 * Attacks on the settings cache ($FICTA_HOME/settings-cache.json): a change to what the settings
 * come from must be a miss. On Windows the environment is case-insensitive: a variable set as
 * `ficta_registry_require=1` is the schema's `FICTA_REGISTRY_REQUIRE`, so it must change the key,
 * or a cached entry from before (require off) would run the launch weaker than the config says.
 */
import { describe, expect, test } from "bun:test";
import { parseConfig } from "../../src/config/load.ts";
import { settingsKey } from "../../src/config/settings-cache.ts";

/** An environment that reads like Windows' process.env: names case-insensitive, spelling kept. */
function windowsEnv(vars: Record<string, string>): Record<string, string | undefined> {
  return new Proxy({ ...vars }, {
    get: (target, name) =>
      typeof name === "string"
        ? Object.entries(target).find(([k]) => k.toUpperCase() === name.toUpperCase())?.[1]
        : undefined,
  });
}

describe("attack: the settings cache", () => {
  test("a FICTA_* variable spelled in lower case (Windows) changes the key", async () => {
    const lower = windowsEnv({ ficta_registry_require: "1" });
    // The schema reads it...
    expect(parseConfig(undefined, "/c.toml", lower).settings.registry.require).toBeTruthy();
    expect(parseConfig(undefined, "/c.toml", windowsEnv({})).settings.registry.require).toBeFalsy();
    // ...so the key must differ from the launch without it.
    expect(await settingsKey(lower, "/c.toml", undefined)).not.toBe(
      await settingsKey(windowsEnv({}), "/c.toml", undefined),
    );
  });
});
