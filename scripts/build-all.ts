/**
 * `bun run build:all [--targets a,b] [--out dir] [--no-compile]`
 *
 * Compiles src/main.ts for every release target into <out>/<target>/ficta[.exe], checks each
 * binary really is for its OS and CPU, packs ficta-<version>-<target>.tar.gz (.zip for Windows)
 * and writes SHA256SUMS for the archives of this run. `--no-compile` packs the binaries already
 * in <out> (the release workflow re-signs the macOS ones in between). Archives are
 * byte-reproducible: see scripts/archive.ts for how, and sourceDateEpoch() for their timestamp.
 */
import { parseArgs } from "node:util";
import { mkdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { $ } from "bun";
import { type Entry, tarGz, zip } from "./archive.ts";
import { compile, gitCommit } from "./build.ts";
import { archiveName, findTarget, type Target, TARGETS, VERSION } from "./distribution.ts";

export interface Packed {
  target: Target;
  binarySize: number;
  archive: string;
  archiveSize: number;
  sha256: string;
}

/**
 * The one timestamp every archive entry carries: SOURCE_DATE_EPOCH when set (the
 * reproducible-builds convention), else the commit time, else 1980-01-01 (zip's earliest).
 */
export async function sourceDateEpoch(env: Record<string, string | undefined>): Promise<number> {
  const fromEnv = env.SOURCE_DATE_EPOCH;
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!/^\d+$/.test(fromEnv)) throw new Error(`SOURCE_DATE_EPOCH is not a number of seconds`);
    return Number(fromEnv);
  }
  const result = await $`git log -1 --format=%ct`.nothrow().quiet();
  const fromGit = result.stdout.toString().trim();
  return result.exitCode === 0 && /^\d+$/.test(fromGit) ? Number(fromGit) : 315532800;
}

/** `sha256sum -c` format: one `<hex>  <name>` line per file, sorted by name. */
export function checksumsText(files: { name: string; sha256: string }[]): string {
  return [...files]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((f) => `${f.sha256}  ${f.name}\n`)
    .join("");
}

/** SHA256SUMS → name → hex digest. Throws on a line that is not `<64 hex>  <name>`. */
export function parseChecksums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const match = /^([0-9a-f]{64}) [ *]([^/\\\s]+)$/.exec(line);
    if (!match) throw new Error(`malformed SHA256SUMS line: ${JSON.stringify(line)}`);
    sums.set(match[2], match[1]);
  }
  return sums;
}

export function sha256Hex(data: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(data).digest("hex");
}

const ELF_MACHINE = { x64: 62, arm64: 183 } as const;
const MACHO_CPU = { x64: 0x01000007, arm64: 0x0100000c } as const;
const PE_MACHINE_AMD64 = 0x8664;
const PT_INTERP = 3;

function elfInterpreter(view: DataView, bytes: Uint8Array): string {
  const phoff = Number(view.getBigUint64(0x20, true));
  const phentsize = view.getUint16(0x36, true);
  const phnum = view.getUint16(0x38, true);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (view.getUint32(ph, true) !== PT_INTERP) continue;
    const offset = Number(view.getBigUint64(ph + 8, true));
    const size = Number(view.getBigUint64(ph + 32, true));
    return new TextDecoder().decode(bytes.subarray(offset, offset + size)).replace(/\0+$/, "");
  }
  return "";
}

/**
 * Why `bytes` is not an executable for `target` (wrong format, CPU or C library), or undefined.
 * A cheap guard against a mislabelled archive, which no test could run on this machine.
 */
export function binaryProblem(bytes: Uint8Array, target: Target): string | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (target.os === "linux") {
    if (view.getUint32(0) !== 0x7f454c46) return "not an ELF file";
    if (view.getUint16(18, true) !== ELF_MACHINE[target.arch]) return "ELF for another CPU";
    const interpreter = elfInterpreter(view, bytes);
    if (interpreter.includes("ld-musl-") !== target.musl) {
      return `dynamic loader ${interpreter || "(none)"} is for the wrong C library`;
    }
    return undefined;
  }
  if (target.os === "darwin") {
    if (view.getUint32(0, true) !== 0xfeedfacf) return "not a 64-bit Mach-O file";
    if (view.getUint32(4, true) !== MACHO_CPU[target.arch]) return "Mach-O for another CPU";
    return undefined;
  }
  if (view.getUint16(0) !== 0x4d5a) return "not a PE file";
  const pe = view.getUint32(0x3c, true);
  if (view.getUint32(pe) !== 0x50450000) return "not a PE file";
  if (view.getUint16(pe + 4, true) !== PE_MACHINE_AMD64) return "PE for another CPU";
  return undefined;
}

export function binaryPath(out: string, target: Target): string {
  return join(out, target.name, target.binary);
}

async function pack(out: string, target: Target, mtime: number): Promise<Packed> {
  const binary = await Bun.file(binaryPath(out, target)).bytes();
  const problem = binaryProblem(binary, target);
  if (problem) throw new Error(`${binaryPath(out, target)}: ${problem}`);
  const entries: Entry[] = [
    { name: target.binary, data: binary, mode: 0o755 },
    // MIT asks for the notice to travel with every copy.
    { name: "LICENSE", data: await Bun.file("LICENSE").bytes(), mode: 0o644 },
  ];
  const bytes = target.format === "zip" ? await zip(entries, mtime) : await tarGz(entries, mtime);
  const archive = archiveName(VERSION, target);
  await Bun.write(join(out, archive), bytes);
  return {
    target,
    binarySize: binary.length,
    archive,
    archiveSize: bytes.length,
    sha256: sha256Hex(bytes),
  };
}

async function inParallel<T, R>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  return results;
}

export interface BuildOptions {
  targets: readonly Target[];
  out: string;
  compileFirst: boolean;
  env: Record<string, string | undefined>;
}

export async function buildAll(options: BuildOptions): Promise<Packed[]> {
  const { targets, out } = options;
  await mkdir(out, { recursive: true });
  if (options.compileFirst) {
    for (const target of targets) await compile(target.bunTarget, binaryPath(out, target));
  }
  const mtime = await sourceDateEpoch(options.env);
  // Deflating ~100 MB per target dominates the run: one target per core at a time, since node:zlib's
  // async calls run on worker threads, but each target in flight holds ~350 MB.
  const packed = await inParallel(targets, availableParallelism(), (t) => pack(out, t, mtime));
  await Bun.write(
    join(out, "SHA256SUMS"),
    checksumsText(packed.map((p) => ({ name: p.archive, sha256: p.sha256 }))),
  );
  return packed;
}

function parseTargets(list: string | undefined): Target[] {
  if (!list) return [...TARGETS];
  return list.split(",").map((name) => {
    const target = findTarget(name.trim());
    if (!target) {
      throw new Error(`unknown target '${name}' (known: ${TARGETS.map((t) => t.name).join(", ")})`);
    }
    return target;
  });
}

const MIB = 1024 * 1024;

function sizeTable(packed: Packed[]): string {
  const rows = packed.map((p) =>
    `| ${p.target.name} | ${(p.binarySize / MIB).toFixed(1)} MiB | ${p.archive} | ${
      (p.archiveSize / MIB).toFixed(1)
    } MiB |`
  );
  return ["| target | binary | archive | archive size |", "|---|---|---|---|", ...rows].join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      targets: { type: "string" },
      out: { type: "string", default: "dist" },
      "no-compile": { type: "boolean", default: false },
    },
    strict: true,
  });
  const out = resolve(values.out);
  // compile() and git read paths relative to the repository root.
  process.chdir(join(import.meta.dir, ".."));
  const started = performance.now();
  const dirty = (await $`git status --porcelain --untracked-files=no`.nothrow().quiet()).stdout
    .toString().trim();
  if (dirty) {
    console.error(
      `ficta build: uncommitted changes; these binaries are not reproducible from commit ${await gitCommit()}`,
    );
  }
  let packed: Packed[];
  try {
    packed = await buildAll({
      targets: parseTargets(values.targets),
      out,
      compileFirst: !values["no-compile"],
      env: process.env,
    });
  } catch (error) {
    console.error(`ficta build: ${(error as Error).message}`);
    process.exit(1);
  }
  console.log(sizeTable(packed));
  console.log(
    `\nwrote ${packed.length} archives and ${join(out, "SHA256SUMS")} in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s`,
  );
}
