/**
 * Every `ficta` command: its one-line summary, its usage and where it lives. Modules are loaded
 * on demand so `ficta --version` and the shim's hot path evaluate only what they need. Each
 * agent (src/agents/mod.ts) is a command of its own: `ficta codex ...` runs the session for it.
 */
import type { Agent } from "../agents/agent.ts";
import { agents } from "../agents/mod.ts";

/** A command's entry point: its arguments after the command name; resolves to the exit code. */
export type Run = (args: string[]) => Promise<number>;

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** More for `ficta help <command>` and `ficta <command> --help`. */
  details?: () => Promise<string>;
  load: () => Promise<{ run: Run }>;
  /** Set for `ficta <agent>`: every argument after the name is the agent's, `--help` too. */
  agent?: Agent;
}

/** `ficta <agent> [args...]`: the generic launch (src/session/launch.ts) for this agent. */
function agentCommand(agent: Agent): Command {
  return {
    name: agent.name,
    summary: agent.summary,
    usage: agent.usage,
    details: () => agent.help(),
    load: async () => {
      const { runAgent } = await import("../session/launch.ts");
      return { run: (args) => runAgent(agent, args) };
    },
    agent,
  };
}

export const commands: Command[] = [
  ...agents.map(agentCommand),
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
