/**
 * What we ship and where it lives: the release targets, archive names and the one download
 * location. build-all, release, the templates and the tests all read these, so a renamed target
 * or a moved repository is a one-line change.
 */
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
export const DESCRIPTION: string = pkg.description;

export const REPOSITORY = "https://github.com/ficta-dev/ficta";

/** Where a release's archives, SHA256SUMS and install.sh are downloaded from. */
export function releaseBaseUrl(version: string): string {
  return `${REPOSITORY}/releases/download/v${version}`;
}

export const TARGET_NAMES = [
  "linux-x64",
  "linux-arm64",
  "linux-x64-musl",
  "linux-arm64-musl",
  "darwin-x64",
  "darwin-arm64",
  "windows-x64",
] as const;

export type TargetName = typeof TARGET_NAMES[number];

export interface Target {
  name: TargetName;
  os: "linux" | "darwin" | "windows";
  arch: "x64" | "arm64";
  musl: boolean;
  bunTarget: Bun.Build.CompileTarget;
  /** The binary's name, in dist/<target>/ and inside the archive. */
  binary: "ficta" | "ficta.exe";
  format: "tar.gz" | "zip";
}

function target(name: TargetName): Target {
  const [os, arch, libc] = name.split("-") as [Target["os"], Target["arch"], string?];
  const windows = os === "windows";
  return {
    name,
    os,
    arch,
    musl: libc === "musl",
    bunTarget: `bun-${name}` as Bun.Build.CompileTarget,
    binary: windows ? "ficta.exe" : "ficta",
    format: windows ? "zip" : "tar.gz",
  };
}

export const TARGETS: readonly Target[] = TARGET_NAMES.map(target);

export function findTarget(name: string): Target | undefined {
  return TARGETS.find((t) => t.name === name);
}

export function archiveName(version: string, t: Target): string {
  return `ficta-${version}-${t.name}.${t.format}`;
}

/** The release target whose binary runs on this machine (the one `bun run build` produces). */
export function hostTarget(): Target {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const arch = process.arch;
  // A musl Linux has its dynamic loader under this name, a glibc one does not.
  const musl = os === "linux" &&
    [...new Bun.Glob("ld-musl-*.so.1").scanSync({ cwd: "/lib", onlyFiles: false })].length > 0;
  const found = findTarget(`${os}-${arch}${musl ? "-musl" : ""}`);
  if (!found) throw new Error(`no release target for ${os}-${arch}`);
  return found;
}
