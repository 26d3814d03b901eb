/**
 * `bun run release [--dist dist] [--base-url URL] [--partial]`
 *
 * From package.json's version and the archives listed in <dist>/SHA256SUMS (written by
 * `bun run build:all`), renders scripts/templates/ into <dist>/ficta.rb (Homebrew formula),
 * <dist>/ficta.json (Scoop manifest) and <dist>/install.sh. Every listed archive is re-hashed
 * first, so a package never points at a stale file. Without --partial every release target must
 * be present; with it, a package whose targets are missing is skipped and named.
 */
import { parseArgs } from "node:util";
import { chmod } from "node:fs/promises";
import { join } from "node:path";
import { parseChecksums, sha256Hex } from "./build-all.ts";
import {
  archiveName,
  DESCRIPTION,
  releaseBaseUrl,
  REPOSITORY,
  type Target,
  type TargetName,
  TARGETS,
  VERSION,
} from "./distribution.ts";

export interface ReleaseOptions {
  dist: string;
  version: string;
  baseUrl: string;
  partial: boolean;
}

export interface ReleaseResult {
  written: string[];
  /** Packages left out under --partial, with the targets they lacked. */
  skipped: string[];
}

interface Package {
  file: string;
  template: string;
  targets: TargetName[];
  escape: (value: string) => string;
  mode: number;
}

/** Values in Ruby and sh string literals are URLs, versions and digests: refuse anything else. */
export function plain(value: string): string {
  if (!/^[A-Za-z0-9._:\/@%+~=-]+$/.test(value)) {
    throw new Error(`refusing to put ${JSON.stringify(value)} in a generated script`);
  }
  return value;
}

const inJsonString = (value: string) => JSON.stringify(value).slice(1, -1);

const PACKAGES: Package[] = [
  {
    file: "ficta.rb",
    template: "ficta.rb",
    targets: ["darwin-arm64", "darwin-x64", "linux-arm64", "linux-x64"],
    escape: plain,
    mode: 0o644,
  },
  {
    file: "ficta.json",
    template: "ficta.json",
    targets: ["windows-x64"],
    escape: inJsonString,
    mode: 0o644,
  },
  {
    file: "install.sh",
    template: "install.sh",
    // Names no archive: it picks one at install time, and says so when it is missing.
    targets: [],
    escape: plain,
    mode: 0o755,
  },
];

/** Replaces every `{{key}}`; a key without a value is an error, not an empty string. */
export function render(
  template: string,
  values: Record<string, string>,
  escape: (value: string) => string,
): string {
  return template.replace(/\{\{([\w.-]+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template placeholder {{${key}}} has no value`);
    return escape(value);
  });
}

/** Reads SHA256SUMS and checks every archive it lists against the file on disk. */
async function verifiedArchives(
  dist: string,
  version: string,
): Promise<Map<TargetName, { archive: string; sha256: string }>> {
  const sums = parseChecksums(await Bun.file(join(dist, "SHA256SUMS")).text());
  const byTarget = new Map<TargetName, { archive: string; sha256: string }>();
  for (const [archive, sha256] of sums) {
    const target = TARGETS.find((t: Target) => archiveName(version, t) === archive);
    if (!target) throw new Error(`SHA256SUMS lists ${archive}, not a ficta ${version} archive`);
    const file = Bun.file(join(dist, archive));
    if (!(await file.exists())) throw new Error(`SHA256SUMS lists ${archive}, missing in ${dist}`);
    if (sha256Hex(await file.bytes()) !== sha256) {
      throw new Error(`${archive} does not match SHA256SUMS: rebuild with bun run build:all`);
    }
    byTarget.set(target.name, { archive, sha256 });
  }
  return byTarget;
}

export async function release(options: ReleaseOptions): Promise<ReleaseResult> {
  const { dist, version, baseUrl } = options;
  // Packages and users download from here and trust what they get: never over plain http.
  if (!baseUrl.startsWith("https://")) throw new Error(`base URL must be https: ${baseUrl}`);
  const archives = await verifiedArchives(dist, version);
  const missing = TARGETS.filter((t) => !archives.has(t.name)).map((t) => t.name);
  if (missing.length > 0 && !options.partial) {
    throw new Error(`no archive for ${missing.join(", ")}: run bun run build:all first`);
  }

  const values: Record<string, string> = {
    version,
    description: DESCRIPTION,
    homepage: REPOSITORY,
    base_url: baseUrl,
  };
  for (const target of TARGETS) {
    values[`${target.name}.autoupdate_url`] = `${releaseBaseUrl("$version")}/${
      archiveName("$version", target)
    }`;
    const found = archives.get(target.name);
    if (!found) continue;
    values[`${target.name}.url`] = `${baseUrl}/${found.archive}`;
    values[`${target.name}.sha256`] = found.sha256;
  }

  const result: ReleaseResult = { written: [], skipped: [] };
  for (const pack of PACKAGES) {
    const lacking = pack.targets.filter((name) => !archives.has(name));
    if (lacking.length > 0) {
      result.skipped.push(`${pack.file} (no ${lacking.join(", ")})`);
      continue;
    }
    const template = await Bun.file(join(import.meta.dir, "templates", pack.template)).text();
    const text = render(template, values, pack.escape);
    if (pack.file.endsWith(".json")) JSON.parse(text);
    const path = join(dist, pack.file);
    await Bun.write(path, text);
    await chmod(path, pack.mode);
    result.written.push(path);
  }
  return result;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      dist: { type: "string", default: "dist" },
      "base-url": { type: "string", default: releaseBaseUrl(VERSION) },
      partial: { type: "boolean", default: false },
    },
    strict: true,
  });
  try {
    const result = await release({
      dist: values.dist,
      version: VERSION,
      baseUrl: values["base-url"].replace(/\/+$/, ""),
      partial: values.partial,
    });
    for (const path of result.written) console.log(`wrote ${path}`);
    for (const note of result.skipped) console.log(`skipped ${note}`);
  } catch (error) {
    console.error(`ficta release: ${(error as Error).message}`);
    process.exit(1);
  }
}
