/**
 * The agents as the command line lists them, without evaluating them: `ficta --version`,
 * `ficta --help` and every other command start without loading any agent's modules (measured:
 * a statically imported agent costs `ficta --version` about 3 ms of CPU). Each entry loads its
 * `Agent` when `ficta <name>` runs. Same order as `agents` in mod.ts (test/agents/catalog.test.ts).
 *
 * ```ts
 * const entry = catalog.find((e) => e.name === "codex");
 * const agent = await entry?.load();
 * ```
 */
import type { Agent } from "./agent.ts";
import { claudeAbout } from "./claude/about.ts";
import { codexAbout } from "./codex/about.ts";

export interface CatalogEntry {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly title: string;
  /** The agent's own credential variables: registered, but they never satisfy registry.require. */
  readonly credentialNames: ReadonlySet<string>;
  load(): Promise<Agent>;
}

export const catalog: readonly CatalogEntry[] = [
  { ...codexAbout, load: async () => (await import("./codex/mod.ts")).codex },
  { ...claudeAbout, load: async () => (await import("./claude/mod.ts")).claude },
];
