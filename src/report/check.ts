/**
 * One verdict of `ficta doctor`: ok / warn / fail, a one-line summary and detail lines. Agents
 * build their own checks (`Agent.doctor`) with the same shape, so the type lives below them.
 *
 * ```ts
 * check("auth", "warn", "Codex is not logged in", ["run `codex login`"]);
 * ```
 */

export type Status = "ok" | "warn" | "fail";

export interface Check {
  /** `config`, `registry`, `shim`, ... and the agent's own (`codex`, `auth`, `around`, `reach`). */
  id: string;
  status: Status;
  summary: string;
  details: string[];
}

export function check(id: string, status: Status, summary: string, details: string[] = []): Check {
  return { id, status, summary, details };
}
