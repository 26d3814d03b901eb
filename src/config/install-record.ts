/**
 * What `ficta install` leaves behind that others must recognise: the marker in every shim it
 * writes, and the record of where the shim went (`~/.ficta/install.json`). Kept this low so an
 * agent's executable lookup can skip ficta's shims without importing the installer.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Env, paths } from "./paths.ts";

/** Present in every shim ficta writes; a file of an agent's name without it is
 * someone else's. */
export const SHIM_MARKER = "ficta-shim:";

/** Remembers where the shim went, so `uninstall` and `doctor` find a `--dir` install too. */
export interface Manifest {
  shim: string;
}

export function manifestPath(env: Env): string {
  return join(paths(env).home, "install.json");
}

export function readManifest(env: Env): Manifest | null {
  try {
    const parsed = JSON.parse(readFileSync(manifestPath(env), "utf8"));
    return typeof parsed?.shim === "string" ? { shim: parsed.shim } : null;
  } catch {
    return null;
  }
}

/**
 * Where an agent's shim is: the recorded directory (an install with `--dir`), else ficta's bin
 * directory, with the shim's file name for this platform (`Agent.executables`).
 */
export function shimPathFor(env: Env, fileName: string): string {
  const recorded = readManifest(env)?.shim;
  return recorded ? join(dirname(recorded), fileName) : join(paths(env).bin, fileName);
}
