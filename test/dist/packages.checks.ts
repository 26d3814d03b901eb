/**
 * The packages `bun run release` generates, parsed: the Homebrew formula and the Scoop manifest
 * must name exactly the archives in SHA256SUMS with exactly their hashes.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { checksumsText, sha256Hex } from "../../scripts/build-all.ts";
import { plain, render } from "../../scripts/release.ts";
import {
  archiveName,
  findTarget,
  releaseBaseUrl,
  REPOSITORY,
  VERSION,
} from "../../scripts/distribution.ts";
import { BUILD_TIMEOUT_MS, checksums, releaseDir, run, tempDir } from "./fixture.ts";

let dir: string;
let sums: Map<string, string>;
beforeAll(async () => {
  dir = await releaseDir();
  sums = await checksums(dir);
}, BUILD_TIMEOUT_MS);

const base = releaseBaseUrl(VERSION);

/** What SHA256SUMS says a package must reference for these targets: url → sha256. */
function expected(targets: string[]): Record<string, string> {
  return Object.fromEntries(targets.map((name) => {
    const archive = archiveName(VERSION, findTarget(name)!);
    return [`${base}/${archive}`, sums.get(archive)!];
  }));
}

interface FormulaArtifact {
  os: string;
  cpu: string;
  url: string;
  sha256: string;
}

/** Reads `on_macos`/`on_linux` → `on_arm`/`on_intel` → url + sha256 out of a formula. */
function formulaArtifacts(ruby: string): FormulaArtifact[] {
  const found: FormulaArtifact[] = [];
  const osBlocks = ruby.matchAll(/^ {2}on_(macos|linux) do\n([\s\S]*?)^ {2}end$/gm);
  for (const [, os, body] of osBlocks) {
    for (const [, cpu, inner] of body.matchAll(/^ {4}on_(arm|intel) do\n([\s\S]*?)^ {4}end$/gm)) {
      const url = /^\s*url "([^"]+)"$/m.exec(inner)?.[1] ?? "";
      const sha256 = /^\s*sha256 "([0-9a-f]{64})"$/m.exec(inner)?.[1] ?? "";
      found.push({ os, cpu, url, sha256 });
    }
  }
  return found;
}

describe("Homebrew formula (dist/ficta.rb)", () => {
  test("one url + sha256 per macOS/Linux CPU, exactly the archives and hashes in SHA256SUMS", async () => {
    const ruby = await Bun.file(join(dir, "ficta.rb")).text();
    const artifacts = formulaArtifacts(ruby);
    expect(artifacts.map((a) => `${a.os}/${a.cpu}`).sort()).toEqual([
      "linux/arm",
      "linux/intel",
      "macos/arm",
      "macos/intel",
    ]);
    const byTarget = {
      "macos/arm": "darwin-arm64",
      "macos/intel": "darwin-x64",
      "linux/arm": "linux-arm64",
      "linux/intel": "linux-x64",
    } as Record<string, string>;
    for (const a of artifacts) {
      expect(expected([byTarget[`${a.os}/${a.cpu}`]])).toEqual({ [a.url]: a.sha256 });
    }
    // Nothing else in the file looks like a download or a digest.
    expect([...ruby.matchAll(/https:\/\/\S+?\.(?:tar\.gz|zip)/g)]).toHaveLength(4);
    expect([...ruby.matchAll(/[0-9a-f]{64}/g)]).toHaveLength(4);
  });

  test("installs the binary, tests --version, and tells users about `ficta install`", async () => {
    const ruby = await Bun.file(join(dir, "ficta.rb")).text();
    expect(ruby).toContain(`version "${VERSION}"`);
    expect(ruby).toMatch(/def install\n\s+bin\.install "ficta"\n\s+end/);
    expect(ruby).toMatch(/test do\n.*shell_output\("#\{bin\}\/ficta --version"\)/);
    expect(ruby).toMatch(/def caveats[\s\S]*ficta install/);
    expect(ruby).not.toContain("{{");
  });

  test.skipIf(Bun.which("ruby") === null)("is valid Ruby", async () => {
    const checked = await run(["ruby", "-c", join(dir, "ficta.rb")]);
    expect(checked.stdout).toContain("Syntax OK");
  });
});

describe("Scoop manifest (dist/ficta.json)", () => {
  test("64bit url + hash are the Windows archive and its SHA256SUMS hash", async () => {
    const manifest = await Bun.file(join(dir, "ficta.json")).json();
    const { url, hash } = manifest.architecture["64bit"];
    expect({ [url]: hash }).toEqual(expected(["windows-x64"]));
    expect(Object.keys(manifest.architecture)).toEqual(["64bit"]);
    expect(manifest.version).toBe(VERSION);
    expect(manifest.bin).toBe("ficta.exe");
    expect(manifest.notes).toContain("ficta install");
  });

  test("checkver follows GitHub releases; autoupdate rebuilds today's url and reads SHA256SUMS", async () => {
    const manifest = await Bun.file(join(dir, "ficta.json")).json();
    expect(manifest.checkver).toEqual({ github: REPOSITORY });
    const template: string = manifest.autoupdate.architecture["64bit"].url;
    expect(template.replaceAll("$version", VERSION)).toBe(manifest.architecture["64bit"].url);
    expect(manifest.autoupdate.hash.url).toBe("$baseurl/SHA256SUMS");
  });
});

describe("install.sh", () => {
  test("downloads from this release by default and is valid POSIX sh", async () => {
    const script = await Bun.file(join(dir, "install.sh")).text();
    expect(script).toContain(`version="${VERSION}"`);
    expect(script).toContain(`base_url="\${FICTA_DOWNLOAD_URL:-${base}}"`);
    expect(script).not.toContain("{{");
    const syntax = await run(["sh", "-n", join(dir, "install.sh")]);
    expect(syntax.stderr).toBe("");
    expect(syntax.code).toBe(0);
  });

  test.skipIf(Bun.which("shellcheck") === null)("passes shellcheck as sh", async () => {
    const checked = await run(["shellcheck", "-s", "sh", join(dir, "install.sh")]);
    expect(checked.stdout).toBe("");
    expect(checked.code).toBe(0);
  });
});

describe("bun run release refuses", () => {
  async function fakeDist(content: string, listed: string) {
    const fake = tempDir("fake-dist");
    const archive = archiveName(VERSION, findTarget("linux-x64")!);
    await Bun.write(join(fake, archive), content);
    await Bun.write(join(fake, "SHA256SUMS"), checksumsText([{ name: archive, sha256: listed }]));
    return fake;
  }

  test("an archive that does not match SHA256SUMS", async () => {
    const fake = await fakeDist("tampered", sha256Hex(new TextEncoder().encode("original")));
    const released = await run(["bun", "scripts/release.ts", "--dist", fake, "--partial"]);
    expect(released.code).toBe(1);
    expect(released.stderr).toContain("does not match SHA256SUMS");
    expect(await Bun.file(join(fake, "install.sh")).exists()).toBe(false);
  });

  test("missing targets, unless --partial, which skips the packages that need them", async () => {
    const fake = await fakeDist("x", sha256Hex(new TextEncoder().encode("x")));
    const strict = await run(["bun", "scripts/release.ts", "--dist", fake]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain("no archive for linux-arm64, linux-x64-musl");
    const partial = await run(["bun", "scripts/release.ts", "--dist", fake, "--partial"]);
    expect(partial.code).toBe(0);
    expect(partial.stdout).toContain("skipped ficta.rb (no darwin-arm64, darwin-x64, linux-arm64)");
    expect(partial.stdout).toContain("skipped ficta.json (no windows-x64)");
    expect(await Bun.file(join(fake, "install.sh")).exists()).toBe(true);
  });

  test("a template value that could break out of a Ruby or sh string, or a missing one", () => {
    expect(render("url {{u}}", { u: `${base}/a.tar.gz` }, plain)).toBe(`url ${base}/a.tar.gz`);
    for (const hostile of ['x"; system("id"); "', "$(id)", "`id`", "a b", "#{1}"]) {
      expect(() => render("{{u}}", { u: hostile }, plain)).toThrow("refusing");
    }
    expect(() => render("{{missing}}", {}, plain)).toThrow("has no value");
  });
});
