/**
 * Every `ficta` command: its one-line summary, its usage and where it lives. Modules are loaded
 * on demand so `ficta --version` and the shim's hot path evaluate only what they need.
 */

/** A command's entry point: its arguments after the command name; resolves to the exit code. */
export type Run = (args: string[]) => Promise<number>;

export interface Command {
  name: string;
  summary: string;
  usage: string;
  load: () => Promise<{ run: Run }>;
}

export const commands: Command[] = [
  {
    name: "codex",
    summary: "Run the OpenAI Codex CLI with secrets kept out of model requests.",
    usage: "ficta codex [codex arguments...]   (every argument is passed to Codex untouched)",
    load: () => import("./codex.ts"),
  },
];

export function findCommand(name: string): Command | undefined {
  return commands.find((c) => c.name === name);
}
