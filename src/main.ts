#!/usr/bin/env bun
/** argv → command. Global flags come before the command; everything after it is the command's. */
import { parseArgs } from "node:util";
import { type Command, commands, findCommand } from "./cli/commands.ts";
import { USAGE_EXIT } from "./cli/flags.ts";
import { FICTA_FAILED_EXIT } from "./session/exit-codes.ts";
import { say } from "./report/say.ts";
import { versionLine } from "./version.ts";

export type Dispatch =
  | { kind: "version" }
  | { kind: "help"; command?: Command; exit: number }
  | { kind: "run"; command: Command; args: string[] }
  | { kind: "usage-error"; message: string };

/** Decides what argv asks for, without running anything. */
export function dispatch(argv: string[]): Dispatch {
  const commandAt = argv.findIndex((arg) => !arg.startsWith("-"));
  const globals = commandAt < 0 ? argv : argv.slice(0, commandAt);
  let flags;
  try {
    flags = parseArgs({
      args: globals,
      options: { version: { type: "boolean", short: "V" }, help: { type: "boolean", short: "h" } },
      strict: true,
    }).values;
  } catch (error) {
    return { kind: "usage-error", message: `${(error as Error).message}. Run 'ficta --help'.` };
  }
  if (flags.version) return { kind: "version" };
  if (flags.help) return { kind: "help", exit: 0 };
  if (commandAt < 0) return { kind: "help", exit: USAGE_EXIT };

  const name = argv[commandAt];
  const args = argv.slice(commandAt + 1);
  if (name === "version") return { kind: "version" };
  if (name === "help") {
    if (args.length === 0) return { kind: "help", exit: 0 };
    const command = findCommand(args[0]);
    return command ? { kind: "help", command, exit: 0 } : unknownCommand(args[0]);
  }
  const command = findCommand(name);
  if (!command) return unknownCommand(name);
  // `ficta <agent> --help` is the agent's own help: every argument after an agent's name is the agent's.
  if (!command.agent && args.some((arg) => arg === "--help" || arg === "-h")) {
    return { kind: "help", command, exit: 0 };
  }
  return { kind: "run", command, args };
}

function unknownCommand(name: string): Dispatch {
  const near = commands.find((c) => c.name.startsWith(name.slice(0, 2)));
  return {
    kind: "usage-error",
    message: `unknown command '${name}'.${near ? ` Did you mean '${near.name}'?` : ""} ` +
      "Run 'ficta --help' for the list.",
  };
}

export async function helpText(command?: Command): Promise<string> {
  if (command) {
    const details = command.details ? `\n\n${await command.details()}` : "";
    return `${command.summary}\n\nUsage: ${command.usage}${details}`;
  }
  const width = Math.max(...commands.map((c) => c.name.length), "help".length);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  lines.push(`  ${"help".padEnd(width)}  Show a command's usage: ficta help <command>.`);
  return [
    "ficta: a local secret airlock for coding agents.",
    "",
    "Usage: ficta <command> [arguments]",
    "       ficta --version | --help",
    "",
    "Commands:",
    ...lines,
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const action = dispatch(argv);
  switch (action.kind) {
    case "version":
      console.log(versionLine());
      return 0;
    case "help":
      console.log(await helpText(action.command));
      return action.exit;
    case "usage-error":
      say(action.message);
      return USAGE_EXIT;
    case "run": {
      try {
        const { run } = await action.command.load();
        return await run(action.args);
      } catch (error) {
        return internalError(error);
      }
    }
  }
}

/** One line and a documented code: a stack trace would only confuse (and may quote paths). */
function internalError(error: unknown): number {
  const name = error instanceof Error ? error.name : "error";
  const code = (error as NodeJS.ErrnoException)?.code;
  const message = error instanceof Error ? error.message : String(error);
  say(`internal error (${name}${code ? ` ${code}` : ""}: ${message.split("\n")[0]})`);
  return FICTA_FAILED_EXIT;
}

if (import.meta.main) {
  const fail = (error: unknown) => process.exit(internalError(error));
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
  process.exit(await main(process.argv.slice(2)));
}
