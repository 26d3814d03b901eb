/**
 * The release archives as users download them: one per target, matching SHA256SUMS, holding a
 * binary for the right OS and CPU, reproducible, and (where this machine can) running.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { cp, symlink } from "node:fs/promises";
import { join } from "node:path";
import { binaryProblem, sha256Hex } from "../../scripts/build-all.ts";
import {
  archiveName,
  findTarget,
  hostTarget,
  type Target,
  TARGETS,
  VERSION,
} from "../../scripts/distribution.ts";
import {
  BUILD_TIMEOUT_MS,
  CHECK_TIMEOUT_MS,
  checksums,
  headCommit,
  releaseDir,
  ROOT,
  run,
  tempDir,
} from "./fixture.ts";

let dir: string;
let sums: Map<string, string>;
beforeAll(async () => {
  dir = await releaseDir();
  sums = await checksums(dir);
}, BUILD_TIMEOUT_MS);

const unzip = Bun.which("unzip") !== null;

/** The binary as packed in the target's archive, read by Bun.Archive (tar) or unzip (zip). */
async function packedBinary(target: Target): Promise<Uint8Array> {
  const archive = join(dir, archiveName(VERSION, target));
  if (target.format === "zip") {
    const listed = await run(["unzip", "-Z1", archive]);
    expect(listed.stdout.trim().split("\n").sort()).toEqual(["LICENSE", target.binary]);
    const child = Bun.spawn(["unzip", "-p", archive, target.binary], { stdout: "pipe" });
    return await new Response(child.stdout).bytes();
  }
  const files = await new Bun.Archive(await Bun.file(archive).bytes()).files();
  expect([...files.keys()].sort()).toEqual(["LICENSE", target.binary]);
  return await files.get(target.binary)!.bytes();
}

/** Unpacks the target's binary with the system tar into a fresh directory; returns its path. */
async function unpacked(target: Target): Promise<string> {
  const into = tempDir(`unpack-${target.name}`);
  const untar = await run(["tar", "-xzf", join(dir, archiveName(VERSION, target)), "-C", into]);
  expect(untar.code).toBe(0);
  return join(into, target.binary);
}

describe("release archives", () => {
  test("SHA256SUMS lists exactly one archive per target, each present and matching", async () => {
    expect([...sums.keys()].sort()).toEqual(TARGETS.map((t) => archiveName(VERSION, t)).sort());
    for (const [name, sha256] of sums) {
      expect(sha256Hex(await Bun.file(join(dir, name)).bytes())).toBe(sha256);
    }
  }, CHECK_TIMEOUT_MS);

  test.skipIf(Bun.which("sha256sum") === null)("sha256sum -c accepts SHA256SUMS", async () => {
    const checked = await run(["sha256sum", "-c", "SHA256SUMS"], { cwd: dir });
    expect(checked.stderr).toBe("");
    expect(checked.code).toBe(0);
    expect(checked.stdout.trim().split("\n")).toHaveLength(TARGETS.length);
  }, CHECK_TIMEOUT_MS);

  test(
    "each archive holds its binary and LICENSE; the binary is for its OS, CPU and libc",
    async () => {
      for (const target of TARGETS.filter((t) => t.format !== "zip" || unzip)) {
        const binary = await packedBinary(target);
        expect({ target: target.name, problem: binaryProblem(binary, target) })
          .toEqual({ target: target.name, problem: undefined });
        expect(binary.length).toBeGreaterThan(50 * 1024 * 1024);
      }
    },
    CHECK_TIMEOUT_MS,
  );

  test(
    "every tar entry carries the commit time (or SOURCE_DATE_EPOCH), not the build time",
    async () => {
      const epoch = process.env.SOURCE_DATE_EPOCH ||
        (await run(["git", "log", "-1", "--format=%ct"])).stdout.trim();
      for (const target of TARGETS.filter((t) => t.format === "tar.gz")) {
        const archive = await Bun.file(join(dir, archiveName(VERSION, target))).bytes();
        for (const file of (await new Bun.Archive(archive).files()).values()) {
          expect({ target: target.name, seconds: file.lastModified / 1000 })
            .toEqual({ target: target.name, seconds: Number(epoch) });
        }
      }
    },
    CHECK_TIMEOUT_MS,
  );

  test("the format check tells targets apart", async () => {
    const linuxX64 = await packedBinary(findTarget("linux-x64")!);
    expect(binaryProblem(linuxX64, findTarget("linux-arm64")!)).toBe("ELF for another CPU");
    expect(binaryProblem(linuxX64, findTarget("linux-x64-musl")!)).toContain("wrong C library");
    expect(binaryProblem(linuxX64, findTarget("darwin-x64")!)).toBe("not a 64-bit Mach-O file");
    expect(binaryProblem(linuxX64, findTarget("windows-x64")!)).toBe("not a PE file");
    const darwinArm = await packedBinary(findTarget("darwin-arm64")!);
    expect(binaryProblem(darwinArm, findTarget("darwin-x64")!)).toBe("Mach-O for another CPU");
  }, CHECK_TIMEOUT_MS);

  if (!unzip) console.warn("test/dist: no unzip, the Windows archive's contents are not checked");

  test("the host binary from its archive prints the version and commit", async () => {
    const binary = await unpacked(hostTarget());
    const version = await run([binary, "--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(`ficta ${VERSION} (${await headCommit()})`);
  }, CHECK_TIMEOUT_MS);

  test("the host binary answers doctor --json", async () => {
    const binary = await unpacked(hostTarget());
    const home = tempDir("doctor-home");
    const doctor = await run([binary, "doctor", "--json"], {
      cwd: home,
      env: { PATH: process.env.PATH, HOME: home, FICTA_HOME: join(home, ".ficta") },
    });
    expect(() => JSON.parse(doctor.stdout)).not.toThrow();
  }, CHECK_TIMEOUT_MS);
});

/** qemu-aarch64 and a sysroot holding the arm64 glibc loader, when this machine has both. */
function arm64Runner(): { argv: string[]; reason: string } {
  if (process.platform === "linux" && process.arch === "arm64") return { argv: [], reason: "" };
  const qemu = Bun.which("qemu-aarch64") ?? Bun.which("qemu-aarch64-static");
  if (!qemu) return { argv: [], reason: "no qemu-aarch64 (Debian: apt-get install qemu-user)" };
  const sysroot = ["/usr/aarch64-linux-gnu", "/"].find((root) =>
    existsSync(join(root, "lib", "ld-linux-aarch64.so.1"))
  );
  if (!sysroot) {
    return { argv: [], reason: "no arm64 glibc (Debian: apt-get install libc6-arm64-cross)" };
  }
  return { argv: [qemu, "-L", sysroot], reason: "" };
}

const arm64 = arm64Runner();
if (arm64.reason) console.warn(`test/dist: linux-arm64 binary not run: ${arm64.reason}`);

test.skipIf(arm64.reason !== "")(
  "the linux-arm64 binary prints the version (qemu-user)",
  async () => {
    const binary = await unpacked(findTarget("linux-arm64")!);
    const version = await run([...arm64.argv, binary, "--version"]);
    expect(version.stderr).toBe("");
    expect(version.stdout.trim()).toBe(`ficta ${VERSION} (${await headCommit()})`);
  },
  30_000,
);

describe("reproducibility", () => {
  /** A copy of what the build reads, so edits to the working tree cannot race the comparison. */
  async function sourceCopy(): Promise<string> {
    const copy = tempDir("source");
    for (const entry of ["src", "scripts", "package.json", "LICENSE"]) {
      await cp(join(ROOT, entry), join(copy, entry), { recursive: true });
    }
    await symlink(join(ROOT, "node_modules"), join(copy, "node_modules"));
    return copy;
  }

  test(
    "two builds of the same sources, in different directories, give identical archives",
    async () => {
      const first = await sourceCopy();
      const second = tempDir("source-again");
      await cp(first, second, { recursive: true, verbatimSymlinks: true });
      const targets = "linux-x64,windows-x64"; // one tar.gz, one zip
      const env = { ...process.env, SOURCE_DATE_EPOCH: "1700000000" };
      const [a, b] = await Promise.all([first, second].map(async (copy) => {
        const built = await run(
          ["bun", "scripts/build-all.ts", "--targets", targets, "--out", join(copy, "out")],
          { cwd: copy, env },
        );
        expect(built.stderr).not.toContain("error");
        expect(built.code).toBe(0);
        return await Bun.file(join(copy, "out", "SHA256SUMS")).text();
      }));
      expect(a.trim().split("\n")).toHaveLength(2);
      expect(b).toBe(a);
    },
    BUILD_TIMEOUT_MS,
  );
});
