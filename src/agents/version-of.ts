/**
 * What an agent's executable says to `--version`, for `ficta doctor`: its first output, or null
 * when it fails, exits non-zero or takes longer than the doctor's timeout (then it is killed).
 *
 * ```ts
 * const said = await versionOf("/usr/local/bin/codex", process.env, 2_000); // "codex-cli 0.171.0"
 * ```
 */
import type { Env } from "../config/paths.ts";
import { runtime } from "../runtime/mod.ts";

function timeout(ms: number): Promise<"timeout"> {
  return new Promise((resolve) => setTimeout(() => resolve("timeout"), ms).unref());
}

export async function versionOf(path: string, env: Env, timeoutMs: number): Promise<string | null> {
  try {
    const child = runtime.spawn([path, "--version"], {
      env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "ignore",
    });
    const output = Promise.all([new Response(child.stdout).text(), child.exited]);
    const result = await Promise.race([output, timeout(timeoutMs)]);
    if (result === "timeout") {
      child.kill();
      return null;
    }
    return result[1] === 0 ? result[0].trim() : null;
  } catch {
    return null;
  }
}
