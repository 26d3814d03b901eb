/**
 * Finding an agent's real executable: the configured path wins, otherwise the first one on PATH
 * that is neither ficta's shim nor ficta's own binary (real paths are compared, so a symlink to
 * the shim directory or to the ficta binary is skipped too).
 *
 * ```ts
 * const found = findExecutable({ command, configured: "", setting, title, env, self });
 * if (found.path === null) say(`looked in ${found.looked}`);
 * ```
 */
import { runtime } from "../runtime/mod.ts";
import { readFileSync, statSync } from "node:fs";
import { delimiter, dirname } from "node:path";
import { SHIM_MARKER } from "../config/install-record.ts";
import { type Env, paths } from "../config/paths.ts";
import { realPath } from "../config/real-path.ts";

/** Where the real executable is, or where ficta looked when it found none. */
export type Found = { path: string } | { path: null; looked: string };

export interface FindOptions {
  /** The command name on PATH (`Agent.executables.posix`). */
  command: string;
  /** The configured path or command name; empty for "look on PATH". */
  configured: string;
  /** How the setting is named in messages: `<name>.path (FICTA_REAL_<NAME>)`. */
  setting: string;
  /** The agent's name in messages (`Agent.title`). */
  title: string;
  env: Env;
  /** This ficta's executable, never the answer. */
  self: string;
}

export function findExecutable(options: FindOptions): Found {
  const { command, configured, env } = options;
  const shimDir = realPath(paths(env).bin);
  const selfReal = realPath(options.self);
  const isFicta = (real: string) => real === selfReal || dirname(real) === shimDir || isShim(real);
  if (configured) {
    const path = configured.includes("/") || configured.includes("\\")
      ? configured
      : runtime.which(configured, { PATH: env.PATH ?? "" });
    const setting = `${options.setting} = ${configured}`;
    if (!path || !isExecutableFile(path)) return { path: null, looked: setting };
    // Pointing the setting at ficta or its shim would make every launch start itself again.
    if (isFicta(realPath(path) ?? path)) {
      return { path: null, looked: `${setting}, which is ficta itself, not ${options.title}` };
    }
    return { path };
  }
  const dirs = (env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const dir of dirs) {
    if (shimDir && realPath(dir) === shimDir) continue;
    const candidate = runtime.which(command, { PATH: dir });
    if (!candidate) continue;
    const real = realPath(candidate);
    if (!real || isFicta(real)) continue;
    return { path: candidate };
  }
  return { path: null, looked: `PATH (${dirs.length} directories, ficta's own shim skipped)` };
}

function isExecutableFile(path: string): boolean {
  try {
    const stat = statSync(path);
    return stat.isFile() && (process.platform === "win32" || (stat.mode & 0o111) !== 0);
  } catch {
    return false;
  }
}

/** A shim copied elsewhere still carries its marker in its first lines. */
function isShim(path: string): boolean {
  try {
    if (statSync(path).size > 4096) return false;
    return readFileSync(path, "utf8").includes(SHIM_MARKER);
  } catch {
    return false;
  }
}
