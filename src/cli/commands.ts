/**
 * Every `ficta` command: its one-line summary, its usage and where it lives. Modules are loaded
 * on demand so `ficta --version` and the shim's hot path evaluate only what they need. Each
 * agent (src/agents/catalog.ts) is a command of its own: `ficta codex ...` runs the session for it.
 */
import { catalog, type CatalogEntry } from "../agents/catalog.ts";

/** A command's entry point: its arguments after the command name; resolves to the exit code. */
export type Run = (args: string[]) => Promise<number>;

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** More for `ficta help <command>` and `ficta <command> --help`. */
  details?: () => Promise<string>;
  load: () => Promise<{ run: Run }>;
  /** True for `ficta <agent>`: every argument after the name is the agent's, `--help` too. */
  agent?: boolean;
}

/** `ficta <agent> [args...]`: the generic launch (src/session/launch.ts) for this agent. */
function agentCommand(entry: CatalogEntry): Command {
  return {
    name: entry.name,
    summary: entry.summary,
    usage: entry.usage,
    details: async () => (await entry.load()).help(),
    load: async () => {
      const [{ runAgent }, agent] = await Promise.all([
        import("../session/launch.ts"),
        entry.load(),
      ]);
      return { run: (args) => runAgent(agent, args) };
    },
    agent: true,
  };
}

export const commands: Command[] = [
  ...catalog.map(agentCommand),
  {
    name: "install",
    summary: "Make `codex` run through ficta: a shim in ~/.ficta/bin, first on PATH.",
    usage: "ficta install [--dir DIR] [--force] [--no-shell]",
    load: () => import("./install.ts"),
  },
  {
    name: "uninstall",
    summary: "Remove ficta's codex shim and PATH blocks (config, key and logs are kept).",
    usage: "ficta uninstall [--dir DIR]",
    load: () => import("./uninstall.ts"),
  },
  {
    name: "disable",
    summary: "Let `codex` run the real Codex untouched until `ficta enable`.",
    usage: "ficta disable   (FICTA_DISABLE=1 bypasses ficta for one run)",
    load: () => import("./disable.ts"),
  },
  {
    name: "enable",
    summary: "Undo `ficta disable`: `codex` runs through ficta again.",
    usage: "ficta enable",
    load: () => import("./enable.ts"),
  },
  {
    name: "setup",
    summary: "Choose what to protect, write ~/.ficta/config.toml and install the shim.",
    usage: "ficta setup [--yes] [--no-install]   (--yes takes every default without asking)",
    load: () => import("./setup.ts"),
  },
  {
    name: "registry",
    summary:
      "List what would be protected here (names, lengths, forms; never values), stored values, forget them.",
    usage: "ficta registry [--json] | registry stored [--json] | " +
      "registry forget (--name PATTERN... | --source PATTERN... | --all)",
    load: () => import("./registry.ts"),
  },
  {
    name: "doctor",
    summary: "Check that protection works here: config, Codex, shim, live self-test.",
    usage: "ficta doctor [codex] [--json]   (exit 0: all good, 1: a problem)",
    load: () => import("./doctor.ts"),
  },
];

export function findCommand(name: string): Command | undefined {
  return commands.find((c) => c.name === name);
}
