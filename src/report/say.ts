/** ficta's own lines on stderr: every one starts with `ficta`, so they never pass for the agent's. */
import { writeSync } from "node:fs";

/**
 * Synchronous write to fd 2: the first touch of `process.stderr` costs 9-30 ms in a compiled
 * binary (it loads node:tty), which would land on every launch.
 */
export function say(message: string): void {
  writeSync(2, `ficta: ${message}\n`);
}
