/** `ficta install`: a shim per agent and the PATH block that puts them first. */
import { runtime } from "../runtime/mod.ts";
import { agents } from "../agents/mod.ts";
import type { Env } from "../config/paths.ts";
import { realPath } from "../config/real-path.ts";
import { install } from "../install/install.ts";
import { fictaCommand } from "../install/shim.ts";
import { parseFlags, USAGE_EXIT } from "./flags.ts";
import { say } from "./say.ts";

export const USAGE = "ficta install [--dir DIR] [--force] [--no-shell]";

export function run(args: string[]): Promise<number> {
  const parsed = parseFlags(args, {
    dir: { type: "string" },
    force: { type: "boolean" },
    "no-shell": { type: "boolean" },
  }, USAGE);
  if (!parsed) return Promise.resolve(USAGE_EXIT);
  const { dir, force, "no-shell": noShell } = parsed.values;
  return Promise.resolve(installAndReport(process.env, { dir, force, shell: !noShell }));
}

/** Shared with `ficta setup`; returns the exit code. */
export function installAndReport(
  env: Env,
  options: { dir?: string; force?: boolean; shell: boolean },
): number {
  // A shim in front of nothing would turn every call of it into an error: only agents found.
  const found = agents.map((agent) => ({
    agent,
    real: agent.find(agent.configuredPathFromEnv(env), env, process.execPath),
  }));
  const present = found.filter(({ real }) => real.path !== null).map(({ agent }) => agent);
  if (present.length === 0) {
    for (const { agent, real } of found) {
      say(
        `no real ${agent.title} CLI found (looked in ${"looked" in real ? real.looked : ""}); ` +
          `nothing installed. Install ${agent.title} first (${agent.installHint}) or set ` +
          `${agent.pathVariable} to its path.`,
      );
    }
    return 1;
  }
  const command = fictaCommand();
  const result = install({
    env,
    ...options,
    command,
    selfShim: !onPath(env, command),
    agents: present,
  });
  const width = Math.max(...result.files.map((f) => f.outcome.length));
  for (const file of result.files) {
    say(`${file.outcome.padEnd(width)}  ${file.path} (${file.note})`);
  }
  const skipped = result.files.find((file) => file.outcome === "skipped");
  if (skipped) {
    say(`${skipped.path} exists and was not written by ficta; nothing installed.`);
    return 1;
  }
  for (const line of result.manual) say(`to do: ${line}`);
  const names = present.map((agent) => `\`${agent.name}\``).join(" and ");
  say(
    result.manual.length > 0
      ? `then open a new shell: ${names} runs through ficta (check with \`ficta doctor\`).`
      : `open a new shell: ${names} now runs through ficta (check with \`ficta doctor\`).`,
  );
  say(
    `bypass once: FICTA_DISABLE=1 ${
      present[0].name
    } ...; off until \`ficta enable\`: ficta disable`,
  );
  return 0;
}

/**
 * Whether `ficta` on PATH is this very ficta. A source run never is; a binary run from where it
 * was unpacked usually is not either, and then `ficta install` puts ficta in the shim directory.
 */
function onPath(env: Env, command: string[]): boolean {
  if (command.length !== 1) return false;
  const found = runtime.which("ficta", { PATH: env.PATH ?? "" });
  if (!found) return false;
  const real = realPath(found);
  return real !== undefined && real === realPath(command[0]);
}
