/**
 * `which` with `node:fs` only, as Bun's `which` answers it: the first entry of `PATH` holding an
 * executable regular file named `command` (on Windows, with each of `PATHEXT`'s extensions).
 * Relative `PATH` entries are resolved from `cwd`. A command with a separator is not looked up.
 *
 * @example
 * ```ts
 * whichOnPath("codex", { PATH: process.env.PATH ?? "" }); // "/usr/local/bin/codex" or null
 * ```
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";

export function whichOnPath(
  command: string,
  options: { PATH: string; cwd?: string },
): string | null {
  if (!command || /[\\/]/.test(command)) return null;
  const windows = process.platform === "win32";
  const extensions = windows
    ? ["", ...(process.env.PATHEXT ?? ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean)]
    : [""];
  for (const dir of options.PATH.split(delimiter)) {
    if (!dir) continue;
    const base = resolve(options.cwd ?? process.cwd(), dir);
    for (const extension of extensions) {
      const candidate = join(base, command + extension);
      if (isExecutableFile(candidate, windows)) return candidate;
    }
  }
  return null;
}

function isExecutableFile(path: string, windows: boolean): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    if (!windows) accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
