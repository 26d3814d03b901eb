/** The archive writers, checked with independent readers: GNU tar, unzip and Bun.Archive. */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { type Entry, tarGz, zip } from "../../scripts/archive.ts";
import { removeTempDirs, run, tempDir } from "./fixture.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

afterAll(removeTempDirs);

const MTIME = 1_700_000_000; // 2023-11-14 22:13:20 UTC

function entries(): Entry[] {
  const payload = crypto.getRandomValues(new Uint8Array(70_000)); // spans many tar blocks
  return [
    { name: "ficta", data: payload, mode: 0o755 },
    { name: "LICENSE", data: new TextEncoder().encode("MIT\n"), mode: 0o644 },
  ];
}

const gnuTar = Bun.which("tar") !== null &&
  (await run(["tar", "--version"])).stdout.includes("GNU tar");
const unzip = Bun.which("unzip") !== null && Bun.which("zipinfo") !== null;

describe("tarGz", () => {
  test("same entries in any order give the same bytes", async () => {
    const list = entries();
    const a = await tarGz(list, MTIME);
    const b = await tarGz([...list].reverse(), MTIME);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  test("gzip header carries no file name and no timestamp", async () => {
    const bytes = await tarGz(entries(), MTIME);
    expect([...bytes.subarray(0, 3)]).toEqual([0x1f, 0x8b, 8]);
    expect(bytes[3]).toBe(0); // FLG: no FNAME, no FCOMMENT, no FEXTRA
    expect([...bytes.subarray(4, 8)]).toEqual([0, 0, 0, 0]); // MTIME
  });

  test("Bun.Archive reads back every byte", async () => {
    const list = entries();
    const files = await new Bun.Archive(await tarGz(list, MTIME)).files();
    expect([...files.keys()].sort()).toEqual(["LICENSE", "ficta"]);
    expect(Buffer.from(await files.get("ficta")!.bytes()).equals(Buffer.from(list[0].data)))
      .toBe(true);
  });

  test.skipIf(!gnuTar)(
    "GNU tar sees sorted entries, 0:0 owners, fixed modes and mtime",
    async () => {
      const dir = tempDir("tar");
      await Bun.write(join(dir, "a.tar.gz"), await tarGz(entries(), MTIME));
      const listed = await run(
        ["tar", "--numeric-owner", "--full-time", "-tvzf", "a.tar.gz"],
        { cwd: dir, env: { ...process.env, TZ: "UTC" } },
      );
      expect(listed.code).toBe(0);
      const rows = listed.stdout.trim().split("\n").map((line) => line.split(/\s+/));
      expect(rows.map((r) => [r[0], r[1], r[3], r[4], r[5]])).toEqual([
        ["-rw-r--r--", "0/0", "2023-11-14", "22:13:20", "LICENSE"],
        ["-rwxr-xr-x", "0/0", "2023-11-14", "22:13:20", "ficta"],
      ]);
      expect((await run(["tar", "-xzf", "a.tar.gz"], { cwd: dir })).code).toBe(0);
      expect(statSync(join(dir, "ficta")).mode & 0o777).toBe(0o755);
    },
  );
});

describe("zip", () => {
  test("same entries in any order give the same bytes", async () => {
    const list = entries();
    const a = await zip(list, MTIME);
    const b = await zip([...list].reverse(), MTIME);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  test.skipIf(!unzip)("unzip verifies the CRCs, keeps the modes and the UTC time", async () => {
    const dir = tempDir("zip");
    const list = entries();
    await Bun.write(join(dir, "a.zip"), await zip(list, MTIME));
    const tested = await run(["unzip", "-t", "a.zip"], { cwd: dir });
    expect(tested.stdout).toContain("No errors detected");
    const info = await run(["zipinfo", "-T", "a.zip"], { cwd: dir });
    const rows = info.stdout.trim().split("\n").filter((l) => /^-/.test(l));
    expect(rows.map((l) => l.split(/\s+/)).map((r) => [r[0], r[2], r[6], r[7]])).toEqual([
      ["-rw-r--r--", "unx", "20231114.221320", "LICENSE"],
      ["-rwxr-xr-x", "unx", "20231114.221320", "ficta"],
    ]);
    expect((await run(["unzip", "-q", "a.zip", "-d", "out"], { cwd: dir })).code).toBe(0);
    const extracted = join(dir, "out", "ficta");
    expect(statSync(extracted).mode & 0o777).toBe(0o755);
    expect(Buffer.from(await Bun.file(extracted).bytes()).equals(Buffer.from(list[0].data)))
      .toBe(true);
  });
});
