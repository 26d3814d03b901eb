import { say } from "./say.ts";

export function run(_args: string[]): Promise<number> {
  say("codex: not built yet");
  return Promise.resolve(70);
}
