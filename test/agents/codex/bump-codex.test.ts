import { expect, test } from "bun:test";
import { join } from "node:path";
import { withNewest } from "../../../scripts/bump-codex.ts";

test("bump-codex rewrites only the newest entry of the verified versions", async () => {
  const file = join(import.meta.dir, "..", "..", "..", "src", "agents", "codex", "versions.ts");
  const source = await Bun.file(file).text();
  const bumped = withNewest(source, "0.999.1");
  const list = /VERIFIED_CODEX_VERSIONS = (\[[^\]]*\])/.exec(bumped)![1];
  const before = JSON.parse(/VERIFIED_CODEX_VERSIONS = (\[[^\]]*\])/.exec(source)![1]);
  expect(JSON.parse(list)).toEqual([...before.slice(0, -1), "0.999.1"]);
  expect(bumped.replace(list, "")).toBe(
    source.replace(JSON.stringify(before).replaceAll(",", ", "), ""),
  );
  expect(withNewest(bumped, before.at(-1))).toBe(source);
});
