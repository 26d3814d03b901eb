/**
 * The real Codex CLI: its names on disk (also the shim's names) and where it is found.
 *
 * ```ts
 * findRealCodex(settings.codex.path, process.env, process.execPath); // { path: "/usr/local/bin/codex" }
 * ```
 */
import type { Env } from "../../config/paths.ts";
import { findExecutable, type Found } from "../find.ts";

/** The command on PATH, and the shim file names `ficta install` writes for it. */
export const EXECUTABLES = { posix: "codex", windows: "codex.cmd" } as const;
/** The variables the `codex.path` setting is read from (config/schema.ts). */
export const PATH_VARIABLES = ["FICTA_CODEX_PATH", "FICTA_REAL_CODEX"] as const;
export const INSTALL_HINT = "npm install -g @openai/codex";

/** Where the real Codex is, or where ficta looked when it found none. */
export type RealCodex = Found;

/**
 * `configured` (settings.codex.path / FICTA_REAL_CODEX) wins. Otherwise the first `codex` on
 * PATH that is neither ficta's shim nor ficta's own binary.
 */
export function findRealCodex(configured: string, env: Env, self: string): RealCodex {
  return findExecutable({
    command: EXECUTABLES.posix,
    configured,
    setting: "codex.path (FICTA_REAL_CODEX)",
    title: "Codex",
    env,
    self,
  });
}
