/**
 * The agents ficta launches, in the order `ficta --help` lists them. Each is `ficta <name>`, a
 * shim `ficta install` writes, and `ficta doctor <name>`.
 *
 * ```ts
 * import { agents, findAgent } from "./agents/mod.ts";
 * findAgent("codex")?.title; // "Codex"
 * ```
 */
import type { CredentialFile } from "../registry/found.ts";
import type { Agent } from "./agent.ts";
import { codex } from "./codex/mod.ts";

export type { Agent } from "./agent.ts";

export const agents: readonly Agent[] = [codex];

export function findAgent(name: string): Agent | undefined {
  return agents.find((agent) => agent.name === name);
}

/**
 * Every agent's credential files, for the registry: whichever agent runs, it could read another's
 * (by reading its login file), so all of them are protected.
 */
export function allCredentialFiles(): CredentialFile[] {
  return agents.flatMap((agent) => agent.credentialFiles);
}
