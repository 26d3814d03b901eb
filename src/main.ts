#!/usr/bin/env bun
/** argv → command. Global flags come before the command; everything after it is the command's. */
import { parseArgs } from "node:util";
import { commands, findCommand } from "./cli/commands.ts";
import { versionLine } from "./version.ts";

const USAGE_EXIT = 2;

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length), "help".length);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  lines.push(`  ${"help".padEnd(width)}  Show help for a command.`);
  return [
    "ficta: a local secret airlock for coding agents.",
    "",
    "Usage: ficta <command> [arguments]",
    "       ficta --version | --help",
    "",
    "Commands:",
    ...lines,
    "",
    "`ficta help <command>` shows a command's usage.",
  ].join("\n");
}

function unknownCommand(name: string): number {
  const near = commands.find((c) => c.name.startsWith(name.slice(0, 2)));
  process.stderr.write(
    `ficta: unknown command '${name}'.${near ? ` Did you mean '${near.name}'?` : ""} ` +
      "Run 'ficta --help' for the list.\n",
  );
  return USAGE_EXIT;
}

export async function main(argv: string[]): Promise<number> {
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
    process.stderr.write(`ficta: ${(error as Error).message}. Run 'ficta --help'.\n`);
    return USAGE_EXIT;
  }
  if (flags.version) {
    console.log(versionLine());
    return 0;
  }
  if (flags.help || commandAt < 0) {
    console.log(help());
    return flags.help ? 0 : USAGE_EXIT;
  }

  const name = argv[commandAt];
  const rest = argv.slice(commandAt + 1);
  if (name === "help") {
    if (rest.length === 0) {
      console.log(help());
      return 0;
    }
    const command = findCommand(rest[0]);
    if (!command) return unknownCommand(rest[0]);
    console.log(`${command.summary}\n\nUsage: ${command.usage}`);
    return 0;
  }
  if (name === "version") {
    console.log(versionLine());
    return 0;
  }
  const command = findCommand(name);
  if (!command) return unknownCommand(name);
  const { run } = await command.load();
  return await run(rest);
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
