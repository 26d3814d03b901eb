/** Command-line flags for the everyday commands: `node:util` parseArgs, usage errors exit 2. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { USAGE_EXIT } from "../session/exit-codes.ts";
import { say } from "./say.ts";

export { USAGE_EXIT };

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * The parsed flags and positionals, or null after printing the problem and the usage line
 * (the caller returns USAGE_EXIT).
 */
export function parseFlags<O extends Options>(
  args: string[],
  options: O,
  usage: string,
  maxPositionals = 0,
) {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    if (parsed.positionals.length > maxPositionals) {
      throw new Error(`unexpected argument '${parsed.positionals[maxPositionals]}'`);
    }
    return parsed;
  } catch (error) {
    say(`${(error as Error).message}. Usage: ${usage}`);
    return null;
  }
}
