/**
 * An agent's shim: a tiny script in ficta's bin directory, named like the agent's command,
 * that execs this ficta binary as `ficta <agent> "$@"`. The templates are embedded in
 * the binary as text, so a compiled ficta can write them without any file beside it.
 *
 * ```ts
 * renderShim("posix", ["/opt/ficta/bin/ficta"], agent); // "#!/bin/sh ... exec '/opt/ficta/bin/ficta' <name> \"$@\""
 * ```
 */
import { runtime } from "../runtime/mod.ts";
import { realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Agent } from "../agents/agent.ts";
import { agents } from "../agents/mod.ts";
import { SHIM_MARKER } from "../config/install-record.ts";
import posixTemplate from "./templates/shim.sh" with { type: "text" };
import windowsTemplate from "./templates/shim.cmd" with { type: "text" };

export { SHIM_MARKER };

/** What a shim needs of its agent: the name it runs (`ficta <name>`) and its file names. */
export type ShimAgent = Pick<Agent, "name" | "executables">;

/** The agent a shim is for when none is named: the first of the agents list. */
const firstAgent: ShimAgent = agents[0];

export type Platform = "posix" | "windows";

export function hostPlatform(): Platform {
  return process.platform === "win32" ? "windows" : "posix";
}

export function shimFileName(platform: Platform, agent: ShimAgent = firstAgent): string {
  return agent.executables[platform];
}

/** A compiled binary runs its entry point from Bun's virtual file system. */
export function isCompiled(main: string = runtime.mainPath()): boolean {
  return main.startsWith("/$bunfs/") || main.startsWith("B:/~BUN/") ||
    main.startsWith("B:\\~BUN\\");
}

/**
 * How to run this ficta: the binary itself when compiled; in a source run, bun with this
 * checkout's `src/main.ts`, with the current directory's `.env` and `bunfig.toml` kept out
 * exactly as the compiled binary keeps them out.
 */
export function fictaCommand(): string[] {
  if (isCompiled()) return [invokedBinary()];
  return runtime.sourceCommand(join(import.meta.dirname!, "..", ".."));
}

/**
 * The binary as the user reached it when that is a symlink to this very binary (Homebrew's
 * `bin/ficta` -> `Cellar/ficta/<version>/bin/ficta`): `process.execPath` is the resolved, versioned
 * path, which an upgrade removes, and the shim must survive upgrades.
 */
function invokedBinary(): string {
  const argv0 = process.argv0;
  const invoked = /[\\/]/.test(argv0)
    ? resolve(argv0)
    : runtime.which(argv0, { PATH: process.env.PATH ?? "" });
  if (!invoked || invoked === process.execPath) return process.execPath;
  try {
    return realpathSync(invoked) === realpathSync(process.execPath) ? invoked : process.execPath;
  } catch {
    return process.execPath;
  }
}

/** POSIX sh single quoting: nothing inside is expanded. */
export function shQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** cmd.exe: paths cannot contain `"`, but `%` would expand even inside quotes. */
function cmdQuote(word: string): string {
  return `"${word.replaceAll("%", "%%")}"`;
}

/** `ficta` itself, for an install run from a checkout or an unpacked archive. */
export function selfShimFileName(platform: Platform): string {
  return platform === "windows" ? "ficta.cmd" : "ficta";
}

/** The shim that puts ficta itself on PATH: the same template, without an agent argument. */
export function renderSelfShim(platform: Platform, command: string[]): string {
  const name = firstAgent.name;
  const purpose = `so that \`${name}\` runs through ficta`;
  const text = renderShim(platform, command).replace(purpose, "so that `ficta` is on PATH");
  return platform === "windows"
    ? text.replace(` ${name} %*`, " %*").replace(/\r\nrem Bypass once:[^\r]*/, "")
    : text.replace(` ${name} "$@"`, ' "$@"').replace(/\n# Bypass once:[^\n]*/, "");
}

/** The shim that runs `ficta <agent>` with every argument. */
export function renderShim(
  platform: Platform,
  command: string[],
  agent: ShimAgent = firstAgent,
): string {
  if (platform === "windows") {
    const line = command.map(cmdQuote).join(" ");
    return windowsTemplate.replaceAll("{{AGENT}}", agent.name)
      .replace("{{COMMAND}}", () => line).replace(/\r?\n/g, "\r\n");
  }
  return posixTemplate.replaceAll("{{AGENT}}", agent.name)
    .replace("{{COMMAND}}", () => command.map(shQuote).join(" "));
}

export function isFictaShim(text: string): boolean {
  return text.includes(SHIM_MARKER);
}

/** The program a shim written by `renderShim` runs (its first word), or null. */
export function shimTarget(text: string): string | null {
  const posix = /^exec '((?:[^']|'\\'')*)'/m.exec(text);
  if (posix) return posix[1].replaceAll(`'\\''`, "'");
  const windows = /^"([^"]*)" /m.exec(text);
  return windows ? windows[1].replaceAll("%%", "%") : null;
}
