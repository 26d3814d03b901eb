/**
 * `ficta install` / `ficta uninstall` as functions of an environment, so tests run them against
 * temporary homes. One shim per agent (src/agents/mod.ts), named like the agent's command. Only
 * files ficta wrote are ever changed or removed: an agent's command without the shim marker is left alone
 * unless forced, and startup files are edited only between markers.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Agent } from "../agents/agent.ts";
import { agents } from "../agents/mod.ts";
import { type Manifest, manifestPath, readManifest } from "../config/install-record.ts";
import { type Env, paths } from "../config/paths.ts";
import { ensurePrivateDir, writePrivateFile } from "../config/private-files.ts";
import {
  chosenStartupFiles,
  pathBlock,
  pathLine,
  type Shell,
  startupFiles,
  withBlock,
  withoutBlock,
} from "./path-blocks.ts";
import {
  fictaCommand,
  hostPlatform,
  isFictaShim,
  type Platform,
  renderSelfShim,
  renderShim,
  selfShimFileName,
  type ShimAgent,
  shimFileName,
} from "./shim.ts";

export { manifestPath, readManifest };

export type Outcome = "written" | "unchanged" | "skipped" | "removed";

export interface FileReport {
  path: string;
  outcome: Outcome;
  /** Why, for `skipped`; what, for the others (e.g. "PATH block"). */
  note: string;
}

export interface InstallOptions {
  env: Env;
  /** Where the shim goes; default `~/.ficta/bin`. */
  dir?: string;
  /** Replace a shim-named file ficta did not write. */
  force?: boolean;
  /** Edit shell startup files (default); false prints the line to add instead. */
  shell?: boolean;
  platform?: Platform;
  /** What the shim runs; default this ficta. */
  command?: string[];
  /** Also put ficta itself in `dir` (it is not on PATH yet: a checkout, an unpacked archive). */
  selfShim?: boolean;
  /** The agents to write shims for; default every agent. */
  agents?: readonly Agent[];
}

export interface InstallResult {
  dir: string;
  /** The first agent's shim (the one recorded in the manifest). */
  shim: string;
  /** Every agent's shim, in the agents' order. */
  shims: string[];
  files: FileReport[];
  /** What the user still has to do by hand to put `dir` first on PATH, if anything. */
  manual: string[];
}

/**
 * The shim `doctor` and `uninstall` look for: in the recorded directory, else the default
 * location; the first agent's unless another is named.
 */
export function installedShimPath(
  env: Env,
  platform: Platform = hostPlatform(),
  agent: ShimAgent = agents[0],
): string {
  const recorded = readManifest(env)?.shim;
  const name = shimFileName(platform, agent);
  return recorded ? join(dirname(recorded), name) : join(paths(env).bin, name);
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** Write beside and rename: replaces a symlink itself, never the file it points to. */
function replaceFile(path: string, text: string, mode: number): void {
  const temporary = join(dirname(path), `.${basename(path)}.ficta-${process.pid}`);
  writeFileSync(temporary, text, { mode });
  renameSync(temporary, path);
}

function writeShim(
  path: string,
  text: string,
  force: boolean,
  platform: Platform,
  note: string,
): FileReport {
  const current = readText(path);
  if (current === text) return { path, outcome: "unchanged", note };
  if (current !== null && !isFictaShim(current) && !force) {
    return { path, outcome: "skipped", note: "not written by ficta; --force replaces it" };
  }
  replaceFile(path, text, platform === "windows" ? 0o644 : 0o755);
  return {
    path,
    outcome: "written",
    note: current !== null && !isFictaShim(current) ? `${note} (replaced, --force)` : note,
  };
}

function writeBlock(path: string, shell: Shell, dir: string): FileReport {
  const current = readText(path);
  const next = withBlock(current ?? "", pathBlock(shell, dir));
  if (next === current) return { path, outcome: "unchanged", note: "PATH block" };
  mkdirSync(dirname(path), { recursive: true });
  // In place, so a startup file symlinked into a dotfiles repository stays a symlink.
  writeFileSync(path, next);
  return { path, outcome: "written", note: "PATH block" };
}

export function install(options: InstallOptions): InstallResult {
  const { env, force = false, shell = true } = options;
  const platform = options.platform ?? hostPlatform();
  const defaultDir = paths(env).bin;
  const dir = resolve(options.dir ?? defaultDir);
  if (dir === defaultDir) ensurePrivateDir(dir);
  else mkdirSync(dir, { recursive: true });
  const command = options.command ?? fictaCommand();
  const shims = (options.agents ?? agents).map((agent) => join(dir, shimFileName(platform, agent)));
  const files = (options.agents ?? agents).map((agent, i) =>
    writeShim(shims[i], renderShim(platform, command, agent), force, platform, `${agent.name} shim`)
  );
  const shim = shims[0];
  const manual: string[] = [];
  if (files.some((file) => file.outcome === "skipped")) return { dir, shim, shims, files, manual };
  if (options.selfShim) {
    const self = renderSelfShim(platform, command);
    files.push(
      writeShim(join(dir, selfShimFileName(platform)), self, false, platform, "ficta itself"),
    );
  }
  if (platform === "windows") {
    manual.push(
      `put ${dir} first on your user PATH, e.g. in PowerShell: ` +
        `[Environment]::SetEnvironmentVariable('Path', '${dir};' + ` +
        `[Environment]::GetEnvironmentVariable('Path', 'User'), 'User')`,
    );
  } else if (shell) {
    for (const file of chosenStartupFiles(env)) files.push(writeBlock(file.path, file.shell, dir));
  } else {
    const login: Shell = basename(env.SHELL ?? "") === "fish" ? "fish" : "profile";
    manual.push(`add to your shell startup file: ${pathLine(login, dir)}`);
  }
  writePrivateFile(manifestPath(env), JSON.stringify({ shim } satisfies Manifest) + "\n");
  return { dir, shim, shims, files, manual };
}

export interface UninstallOptions {
  env: Env;
  /** Also look for a shim here (an install with `--dir` whose record is gone). */
  dir?: string;
}

export function uninstall(options: UninstallOptions): FileReport[] {
  const { env } = options;
  const home = paths(env);
  const agentNames = agents.flatMap((
    agent,
  ) => [agent.executables.posix, agent.executables.windows]);
  const selfNames = [selfShimFileName("posix"), selfShimFileName("windows")];
  const names = [...agentNames, ...selfNames];
  const shims = new Set<string>(names.map((name) => join(home.bin, name)));
  const recorded = readManifest(env)?.shim;
  if (recorded) {
    shims.add(recorded);
    for (const name of selfNames) shims.add(join(dirname(recorded), name));
  }
  if (options.dir) { for (const name of names) shims.add(join(resolve(options.dir), name)); }

  const files: FileReport[] = [];
  for (const path of shims) {
    const current = readText(path);
    if (current === null) continue;
    if (!isFictaShim(current)) {
      files.push({ path, outcome: "skipped", note: "not written by ficta" });
      continue;
    }
    rmSync(path);
    files.push({
      path,
      outcome: "removed",
      note: selfNames.includes(basename(path))
        ? "ficta itself"
        : `${
          agents.find((a) => Object.values(a.executables).includes(basename(path)))?.name ?? "agent"
        } shim`,
    });
  }
  for (const { path } of startupFiles(env)) {
    const current = readText(path);
    if (current === null) continue;
    const next = withoutBlock(current);
    if (next === current) continue;
    if (next.trim() === "") rmSync(path);
    else writeFileSync(path, next);
    files.push({ path, outcome: "removed", note: "PATH block" });
  }
  rmSync(manifestPath(env), { force: true });
  if (
    existsSync(home.bin) && statSync(home.bin).isDirectory() && readdirSync(home.bin).length === 0
  ) {
    rmdirSync(home.bin);
  }
  return files;
}
