/** docs/ci.md states what the code does: the skipped CI variables and the exit codes. */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BLOCKED_EXIT, FICTA_FAILED_EXIT, REFUSED_EXIT } from "../../src/session/exit-codes.ts";
import { PLATFORMS, SYSTEM_NAMES } from "../../src/registry/ci-platforms.ts";

const doc = readFileSync(join(import.meta.dir, "..", "..", "docs", "ci.md"), "utf8");

test("every skipped variable of every platform is listed", () => {
  for (const name of SYSTEM_NAMES) expect(doc).toContain(`\`${name}\``);
  for (const platform of PLATFORMS) {
    expect(doc).toContain(`- ${platform.name} (`);
    for (const name of platform.names) expect(doc).toContain(`\`${name}\``);
  }
});

test("the exit-code table has ficta's own codes", () => {
  for (const code of [BLOCKED_EXIT, FICTA_FAILED_EXIT, REFUSED_EXIT]) {
    expect(doc).toMatch(new RegExp(`^\\| ${code} \\|`, "m"));
  }
});
