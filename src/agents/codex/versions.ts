/**
 * The Codex CLI versions ficta is verified with: the end-to-end suite runs every leak and
 * round-trip check against each (package.json pins them as `@openai/codex` and `codex-newest`;
 * `bun scripts/bump-codex.ts` moves "newest" in both places). docs/codex-versions.md records
 * how they differ.
 */
export const VERIFIED_CODEX_VERSIONS = ["0.169.0", "0.171.0"] as const;

export type CodexVersionVerdict =
  | { kind: "verified"; version: string }
  | { kind: "older" | "newer" | "between"; version: string }
  | { kind: "unrecognised" };

const minorOf = (version: string) => version.split(".").slice(0, 2).map(Number);

function compare(a: number[], b: number[]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/**
 * Places `codex --version` output against the verified versions. A patch release of a verified
 * minor counts as verified (Codex ships fixes there, not wire changes).
 */
export function codexVersionVerdict(versionText: string): CodexVersionVerdict {
  const found = /(\d+)\.(\d+)\.(\d+)/.exec(versionText);
  if (!found) return { kind: "unrecognised" };
  const version = found[0];
  const minor = minorOf(version);
  const verified = VERIFIED_CODEX_VERSIONS.map(minorOf);
  if (verified.some((v) => compare(v, minor) === 0)) return { kind: "verified", version };
  if (verified.every((v) => compare(minor, v) < 0)) return { kind: "older", version };
  if (verified.every((v) => compare(minor, v) > 0)) return { kind: "newer", version };
  return { kind: "between", version };
}

/** "0.169 and 0.171", for messages. */
export function verifiedRange(): string {
  const minors = VERIFIED_CODEX_VERSIONS.map((v) => v.split(".").slice(0, 2).join("."));
  return minors.length === 1 ? minors[0] : `${minors.slice(0, -1).join(", ")} and ${minors.at(-1)}`;
}
