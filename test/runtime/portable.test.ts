/**
 * The portable glob and PATH lookup (used by the Deno adapter) answer as Bun's native ones do.
 * Bun only: Bun.Glob and Bun.which are the reference.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { globMatcher } from "../../src/runtime/glob.ts";
import { whichOnPath } from "../../src/runtime/which.ts";

const PATTERNS = [
  "*",
  ".env*",
  "*.env",
  ".env.*",
  "AWS_*",
  "?WS",
  "[A-C]*",
  "[!A]*",
  "[^A]*",
  "{a,b}c",
  "a{b,{c,d}}e",
  "**",
  "a/*",
  "a/**",
  "**/x",
  "a/**/b",
  "\\*x",
  "*_KEY",
  "!AWS_*",
  "!!AWS_*",
  "a*b*c",
  "[a-]x",
  "[]]x",
  "[!]]x",
  "*.{env,txt}",
  "a[b",
  "{a",
  "a}",
  "a,b",
  "x**y",
  ".*",
  "*SECRET*",
  "GITHUB_*_TOKEN",
  "{a,b",
  "[a-c][0-9]?",
  "a\\{b",
  "",
  "?",
];
const NAMES = [
  "",
  "a",
  ".env",
  ".env.local",
  "x.env",
  "AWS_KEY",
  "aws_key",
  "AWS",
  "BWS",
  "Cx",
  "Dx",
  "ac",
  "bc",
  "abe",
  "ace",
  "ade",
  "a/b",
  "a/b/c",
  "a/x/y/b",
  "x",
  "d/x",
  "*x",
  "xx",
  "A_KEY",
  "a1b2c",
  "-x",
  "]x",
  "ax",
  "x.txt",
  "a[b",
  "{a",
  "a}",
  "a,b",
  "xy",
  "x/y",
  "xay",
  ".",
  ".x",
  "MY_SECRET_VALUE",
  "GITHUB_PAT_TOKEN",
  "GITHUB_TOKEN",
  "{a,b",
  "b2z",
  "c9",
  "a{b",
  "é",
];

describe("globMatcher", () => {
  test("matches exactly what Bun.Glob matches", () => {
    const differences: string[] = [];
    for (const pattern of PATTERNS) {
      const native = new Bun.Glob(pattern);
      const portable = globMatcher(pattern);
      for (const name of NAMES) {
        if (native.match(name) !== portable.match(name)) {
          differences.push(
            `${JSON.stringify(pattern)} ${JSON.stringify(name)}: Bun ${native.match(name)}`,
          );
        }
      }
    }
    expect(differences).toEqual([]);
  });
});

describe("whichOnPath", () => {
  test("answers as Bun.which does", () => {
    const dir = mkdtempSync(join(tmpdir(), "ficta-which-"));
    for (const sub of ["a", "b", "c"]) mkdirSync(join(dir, sub));
    writeFileSync(join(dir, "a", "plain"), "x", { mode: 0o644 });
    writeFileSync(join(dir, "b", "plain"), "#!/bin/sh\n", { mode: 0o755 });
    writeFileSync(join(dir, "b", "tool"), "#!/bin/sh\n", { mode: 0o755 });
    mkdirSync(join(dir, "c", "tool"));
    symlinkSync(join(dir, "b", "tool"), join(dir, "a", "linked"));
    const PATHS = [
      `${dir}/a:${dir}/b`,
      `${dir}/c:${dir}/b`,
      `a:b`,
      ``,
      `:${dir}/b`,
      `${dir}/a`,
      process.env.PATH ?? "",
    ];
    for (const PATH of PATHS) {
      for (const command of ["plain", "tool", "linked", "sh", "nope", ""]) {
        const options = { PATH, cwd: dir };
        expect({ PATH, command, found: whichOnPath(command, options) })
          .toEqual({ PATH, command, found: Bun.which(command, options) });
      }
    }
  });
});
