/**
 * A private tmux server for driving an interactive program: its own socket inside a temp
 * directory (nothing shared with the user's tmux, nothing left over), one pane of a fixed size.
 */
import { join } from "node:path";

export const TMUX = Bun.which("tmux");

/** Polls `probe` until it returns a value; the timeout is generous, never a speed claim. */
export async function until<T>(
  what: string,
  probe: () => T | undefined,
  timeoutMs = 60_000,
  onTimeout: () => string = () => "",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}\n${onTimeout()}`);
}

export interface Pane {
  /** The visible screen plus `history` lines of scrollback, as text. */
  screen(history?: number): string;
  /** Types `text` literally. */
  type(text: string): void;
  /** Sends tmux key names (`Enter`, `C-c`, `Escape`, ...). */
  keys(...names: string[]): void;
  /** tmux format variables of the pane, e.g. `#{alternate_on}`. */
  format(format: string): string;
  kill(): void;
}

/** Starts `command` in a new detached session of a private server under `dir`. */
export function startPane(
  dir: string,
  command: string,
  env: Record<string, string>,
  size = { columns: 140, rows: 45 },
): Pane {
  const socket = join(dir, "tmux.sock");
  const tmux = (...args: string[]) =>
    Bun.spawnSync([TMUX!, "-S", socket, ...args], { env: { ...env, TMUX: "" } });
  const started = tmux(
    "new-session",
    "-d",
    "-s",
    "e2e",
    "-x",
    String(size.columns),
    "-y",
    String(size.rows),
    command,
  );
  if (started.exitCode !== 0) throw new Error(`tmux: ${started.stderr.toString()}`);
  return {
    screen: (history = 300) =>
      tmux("capture-pane", "-p", "-S", `-${history}`, "-t", "e2e").stdout.toString(),
    type: (text) => void tmux("send-keys", "-t", "e2e", "-l", text),
    keys: (...names) => void tmux("send-keys", "-t", "e2e", ...names),
    format: (format) => tmux("display-message", "-p", "-t", "e2e", format).stdout.toString().trim(),
    kill: () => void tmux("kill-server"),
  };
}
