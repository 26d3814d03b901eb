import { describe, expect, test } from "bun:test";
import { parse } from "smol-toml";
import { setTableKeys } from "../../src/config/toml-edit.ts";

describe("setTableKeys", () => {
  const before = [
    "# my settings",
    "[registry]",
    "# how short",
    "min_len = 12 # short ones too",
    "dotenv_files = [",
    '  ".env",   # main',
    '  ".env.local",',
    "]",
    "",
    "# commands",
    "[[registry.command]]",
    'name = "vault"',
    'argv = ["vault", "#", "get"]',
    "[log]",
    "quiet = true",
    "",
  ].join("\n");

  test("replaces keys in place (multi-line values too), adds new ones after the last key", () => {
    const after = setTableKeys(before, "registry", {
      min_len: 9,
      dotenv_files: [".env"],
      dotenv: false,
    })!;
    expect(after).toBe(
      [
        "# my settings",
        "[registry]",
        "# how short",
        "min_len = 9 # short ones too",
        'dotenv_files = [ ".env" ]',
        "dotenv = false",
        "",
        "# commands",
        "[[registry.command]]",
        'name = "vault"',
        'argv = ["vault", "#", "get"]',
        "[log]",
        "quiet = true",
        "",
      ].join("\n"),
    );
    const doc = parse(after) as { registry: Record<string, unknown>; log: unknown };
    expect(doc.registry.command).toEqual([{ name: "vault", argv: ["vault", "#", "get"] }]);
    expect(doc.log).toEqual({ quiet: true });
  });

  test("no [registry] yet: appended as a table; an empty file gets only it", () => {
    expect(setTableKeys("# c\n[log]\nquiet = true\n", "registry", { min_len: 9 })).toBe(
      "# c\n[log]\nquiet = true\n\n[registry]\nmin_len = 9\n",
    );
    expect(setTableKeys("", "registry", { min_len: 9 })).toBe("[registry]\nmin_len = 9\n");
  });

  test("a table spelled with dotted keys or inline is left to the caller", () => {
    expect(setTableKeys("registry.min_len = 3\n", "registry", { min_len: 9 })).toBeNull();
    expect(setTableKeys("registry = { min_len = 3 }\n", "registry", { min_len: 9 })).toBeNull();
  });
});
