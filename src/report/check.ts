/**
 * One verdict of `ficta doctor`: ok / warn / fail, a one-line summary and detail lines. Agents
 * build their own checks (`Agent.doctor`) with the same shape, so the type lives below them.
 *
 * ```ts
 * check("shim", "warn", "not installed", ["run `ficta install`"]);
 * ```
 */

export type Status = "ok" | "warn" | "fail";

export interface Check {
  /** `config`, `registry`, `shim`, ... and the agent's own (its name, `auth`, `around`, `reach`). */
  id: string;
  status: Status;
  summary: string;
  details: string[];
}

export function check(id: string, status: Status, summary: string, details: string[] = []): Check {
  return { id, status, summary, details };
}
