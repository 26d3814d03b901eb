/** ficta's own lines on stderr: every one starts with `ficta`, so they never pass for Codex's. */

export function say(message: string): void {
  process.stderr.write(`ficta: ${message}\n`);
}
