/**
 * Runs the wrapped agent as a child that owns the terminal. Ctrl-C and Ctrl-\ reach the whole
 * foreground process group, so the child gets them from the terminal itself; ficta only has to
 * survive them (a dead ficta would leave the agent talking to a dead proxy). Termination requests
 * sent to ficta alone (SIGTERM from a supervisor, SIGHUP from a closed terminal) are passed on.
 *
 * ```ts
 * const code = await runChild(launch.command, childEnv(env, launch.env), stop.signal);
 * ```
 */
import { type Child, runtime } from "../runtime/mod.ts";
import { constants } from "node:os";
import type { Env } from "../config/paths.ts";

const SWALLOWED = ["SIGINT", "SIGQUIT"] as const;
const RELAYED = ["SIGTERM", "SIGHUP"] as const;

/** Exit status when the command cannot be started, as a shell reports it. */
export const NOT_FOUND_EXIT = 127;
export const NOT_EXECUTABLE_EXIT = 126;

export class SpawnError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = "SpawnError";
  }
}

/** What the child may see: everything but the surrogate key, plus `extra`. */
export function childEnv(env: Env, extra: Env = {}): Env {
  const out: Env = { ...env, ...extra };
  delete out.FICTA_SURROGATE_KEY;
  return out;
}

/** Loopback as every proxy-aware client spells it in NO_PROXY (Rust's reqwest, Bun, curl). */
const LOOPBACK = ["127.0.0.1", "::1", "localhost"];

/**
 * NO_PROXY and no_proxy that keep the user's own entries (both spellings, merged: clients differ
 * in which one wins) and add loopback. With HTTP(S)_PROXY or ALL_PROXY set and loopback missing,
 * the agent and Bun's fetch send plain-http requests for the loopback proxy through the system proxy:
 * body, bearer and launch token in clear text.
 */
export function loopbackNoProxy(env: Env): { NO_PROXY: string; no_proxy: string } {
  const entries = [env.NO_PROXY, env.no_proxy]
    .flatMap((value) => (value ?? "").split(","))
    .map((entry) => entry.trim())
    .filter(Boolean);
  const value = [...new Set([...entries, ...LOOPBACK])].join(",");
  return { NO_PROXY: value, no_proxy: value };
}

/**
 * Runs `command` with inherited stdio and exactly `env`; resolves to its exit code, or 128+n
 * when it was killed by signal n. Aborting `stop` sends the child SIGTERM. Throws SpawnError
 * when it cannot be started. The child is spawned before the first await.
 */
export async function runChild(
  command: string[],
  env: Env,
  stop?: AbortSignal,
): Promise<number> {
  let child: Child | undefined;
  const ignore = () => {};
  const relay = (signal: NodeJS.Signals) => child?.kill(signal);
  // Bun arms a handler a moment after process.on returns: arm them before the child exists.
  for (const signal of supported(SWALLOWED)) process.on(signal, ignore);
  for (const signal of supported(RELAYED)) process.on(signal, relay);
  try {
    try {
      child = runtime.spawn(command, {
        stdin: "inherit",
        stdout: "inherit",
        stderr: "inherit",
        env,
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new SpawnError(
        `cannot run ${command[0]}: ${(error as Error).message}`,
        code === "EACCES" || code === "EISDIR" ? NOT_EXECUTABLE_EXIT : NOT_FOUND_EXIT,
      );
    }
    stop?.addEventListener("abort", () => child?.kill("SIGTERM"), { once: true });
    const code = await child.exited;
    const signal = child.signalCode;
    return signal ? 128 + constants.signals[signal] : code;
  } finally {
    for (const signal of supported(SWALLOWED)) process.off(signal, ignore);
    for (const signal of supported(RELAYED)) process.off(signal, relay);
  }
}

/** Windows has no SIGQUIT, SIGTERM or SIGHUP to catch. */
function supported<T extends string>(signals: readonly T[]): readonly T[] {
  return process.platform === "win32" ? signals.filter((s) => s === "SIGINT") : signals;
}
