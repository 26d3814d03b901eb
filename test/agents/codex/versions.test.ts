import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  codexVersionVerdict,
  VERIFIED_CODEX_VERSIONS,
  verifiedRange,
} from "../../../src/agents/codex/versions.ts";

const ROOT = join(import.meta.dir, "..", "..", "..");

describe("verified Codex versions", () => {
  test("are exactly the matrix package.json pins for the end-to-end suite", async () => {
    const { devDependencies } = await Bun.file(join(ROOT, "package.json")).json();
    const newest = /^npm:@openai\/codex@(\d+\.\d+\.\d+)$/.exec(devDependencies["codex-newest"]);
    expect([devDependencies["@openai/codex"], newest?.[1]]).toEqual([...VERIFIED_CODEX_VERSIONS]);
  });

  test("a version is verified, older, newer or between; patch releases of a verified minor count", () => {
    const [pinned, newest] = VERIFIED_CODEX_VERSIONS;
    const minor = (v: string, d: number) => {
      const [a, b] = v.split(".").map(Number);
      return `${a}.${b + d}.0`;
    };
    expect(codexVersionVerdict(`codex-cli ${pinned}`).kind).toBe("verified");
    expect(codexVersionVerdict(`codex-cli ${newest}`).kind).toBe("verified");
    expect(codexVersionVerdict(`codex-cli ${pinned.replace(/\d+$/, "7")}`).kind).toBe("verified");
    expect(codexVersionVerdict(`codex-cli ${minor(pinned, -1)}`)).toEqual({
      kind: "older",
      version: minor(pinned, -1),
    });
    expect(codexVersionVerdict(`codex-cli ${minor(newest, 1)}`).kind).toBe("newer");
    expect(codexVersionVerdict("codex-cli 1.0.0").kind).toBe("newer");
    if (minor(pinned, 1) !== newest) {
      expect(codexVersionVerdict(`codex-cli ${minor(pinned, 1)}`).kind).toBe("between");
    }
    expect(codexVersionVerdict("codex-cli dev").kind).toBe("unrecognised");
    expect(verifiedRange()).toMatch(/^\d+\.\d+( and \d+\.\d+)?$|, /);
  });
});
