/**
 * What a CI pipeline reads from a launch. In GitHub Actions (`GITHUB_ACTIONS=true`): the job's
 * step summary on every outcome, `::error::`/`::warning::` annotations for ficta's failures, and
 * `::add-mask::` for values ficta fetched from a secret manager (the runner masks its own
 * secrets, not these). Elsewhere nothing but the plain `ficta:` lines.
 *
 * Workflow commands go to stderr, which the runner scans like stdout: an agent's `--json`
 * output on stdout stays intact. The summary page may be readable by anyone with read access to
 * the repository, so it carries counts, paths and reasons, never a value or a name.
 */
import { appendFileSync, writeSync } from "node:fs";
import type { Env } from "../config/paths.ts";
import type { RefusedRequest } from "./entry.ts";
import type { SessionTotals } from "./session.ts";

export type { RefusedRequest };

export type OutcomeKind = "ok" | "blocked" | "refused" | "failed";

export interface Outcome {
  kind: OutcomeKind;
  /** ficta's exit code. */
  exitCode: number;
  /** The agent launched, as its messages name it (`Agent.title`). */
  agent?: string;
  /** The agent's own exit code, when it ran. */
  agentExit?: number;
  sessionId?: string;
  /** The `ficta:` line that explains a refusal or a failure (without the prefix). */
  message?: string;
  totals?: SessionTotals;
  refused?: RefusedRequest[];
}

function inGitHubActions(env: Env): boolean {
  return env.GITHUB_ACTIONS === "true";
}

/** Workflow-command data escaping (the runner's own rules). */
function escapeData(text: string): string {
  return text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

/** `::error title=ficta::…` in GitHub Actions; nothing elsewhere (the `ficta:` line is enough). */
export function annotate(env: Env, level: "error" | "warning", message: string): void {
  if (!inGitHubActions(env)) return;
  writeSync(2, `::${level} title=ficta::${escapeData(message)}\n`);
}

/**
 * Registers values with the runner's log masking. Each line of a multi-line value is masked on
 * its own as well: the runner masks line by line.
 */
export function addMasks(env: Env, values: Iterable<string>): number {
  if (!inGitHubActions(env)) return 0;
  const masks = new Set<string>();
  for (const value of values) {
    if (value.trim()) masks.add(value);
    if (value.includes("\n")) {
      for (const line of value.split(/\r?\n/)) if (line.trim().length >= 4) masks.add(line.trim());
    }
  }
  let out = "";
  for (const mask of masks) out += `::add-mask::${escapeData(mask)}\n`;
  if (out) writeSync(2, out);
  return masks.size;
}

const HEADINGS: Record<OutcomeKind, (agent: string) => string> = {
  ok: (agent) => `${agent} ran behind the airlock`,
  blocked: () => "request(s) blocked",
  refused: (agent) => `refused to launch ${agent}`,
  failed: () => "failed",
};

/** The Markdown block for `$GITHUB_STEP_SUMMARY`. */
function stepSummaryMarkdown(outcome: Outcome): string {
  const agent = outcome.agent ?? "the agent";
  const lines = [
    // A blank line first, so the heading never runs on from an earlier step's last line.
    "",
    `### ficta: ${HEADINGS[outcome.kind](agent)}`,
    "",
  ];
  const facts = [
    `session \`${outcome.sessionId ?? `none (${agent} was not started)`}\``,
    `exit code ${outcome.exitCode}`,
  ];
  if (outcome.agentExit !== undefined) facts.push(`${agent} exited ${outcome.agentExit}`);
  lines.push(facts.join(" · "), "");
  if (outcome.message) lines.push(`> ${outcome.message.replaceAll("\n", " ")}`, "");
  const t = outcome.totals;
  if (t) {
    lines.push(
      "| Protected values kept out | Requests | Blocked | Refused | Unrestorable surrogates |",
      "|---:|---:|---:|---:|---:|",
      `| ${t.valuesKeptOut} | ${t.requests} | ${t.blocked} | ${t.refused} | ${t.unrestorable} |`,
      "",
    );
  }
  const refused = outcome.refused ?? [];
  if (refused.length) {
    lines.push(
      "Requests ficta refused or the upstream failed (`blocked`: it would have sent a protected value):",
      "",
      "| Time | Request | Status | Reason |",
      "|---|---|---:|---|",
      ...refused.map((r) =>
        `| ${r.time} | ${r.method} \`${
          r.path.replaceAll("|", "%7C")
        }\` | ${r.status} | ${r.reason} |`
      ),
      "",
    );
  }
  return lines.join("\n");
}

/** Appends the outcome to the step summary; never throws (a summary must not change the exit). */
export function writeStepSummary(env: Env, outcome: Outcome): boolean {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return false;
  try {
    appendFileSync(file, stepSummaryMarkdown(outcome));
    return true;
  } catch {
    return false;
  }
}
