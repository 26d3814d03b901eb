/**
 * "May this launch run?": the one answer `ficta codex` acts on and `ficta doctor` reports, so
 * the two never disagree. Only `registry.require` (CI's fail-closed switch) can say no.
 *
 * Under require, each of these refuses: a source that failed; a configured secret-manager preset
 * that is missing (its CLI not on PATH, no 1Password reference); a secret-ish variable that is
 * set but empty (a CI secret the job was not given); a required name that no source protects;
 * nothing protected but Codex's own credentials (which protect nothing of the project's).
 */
import type { Settings } from "../config/schema.ts";
import type { Registry } from "./index.ts";

/** Codex's own credentials: registered like any value, but they never satisfy require. */
export const CODEX_CREDENTIAL_NAMES: ReadonlySet<string> = new Set([
  "CODEX_API_KEY",
  "OPENAI_API_KEY",
  "CODEX_ACCESS_TOKEN",
]);

const PROJECT_KINDS: ReadonlySet<string> = new Set(["dotenv", "env", "command"]);

export function requireOn(settings: Settings): boolean {
  const require = settings.registry.require;
  return Array.isArray(require) ? require.length > 0 : require;
}

/** The names `registry.require` lists (none for a plain `true`). */
export function requiredNames(settings: Settings): string[] {
  const require = settings.registry.require;
  return Array.isArray(require) ? require : [];
}

/** Everything that stops a launch, one line each; empty when it may run. */
export function launchRefusals(registry: Registry, settings: Settings): string[] {
  if (!requireOn(settings)) return [];
  const problems: string[] = [];
  for (const source of registry.sources) {
    if (source.status === "error") {
      problems.push(`source ${source.name} failed${source.error ? ` (${source.error})` : ""}`);
    } else if (source.kind === "command" && source.status === "not found") {
      problems.push(
        `configured preset ${source.name} is missing${source.error ? ` (${source.error})` : ""}`,
      );
    }
    if (source.empty?.length) {
      problems.push(
        `empty variable(s) ${source.empty.join(", ")} (secrets this job was not given? ` +
          "set them, or add them to registry.exclude_names)",
      );
    }
  }
  const protectedNames = new Set(
    registry.secrets.map((secret) => secret.name.replace(/ \(line \d+\)$/, "")),
  );
  const missing = requiredNames(settings).filter((name) => !protectedNames.has(name));
  if (missing.length) {
    problems.push(
      `required name(s) ${missing.join(", ")} not protected by any source ` +
        "(unset, empty, excluded or shorter than registry.min_len)",
    );
  }
  // Only the project's sources count: not ficta's own key, not Codex's credentials (by name in
  // the environment, or any source of another kind, such as Codex's auth.json).
  const projectSources = new Set(
    registry.sources.filter((source) => PROJECT_KINDS.has(source.kind)).map((s) => s.name),
  );
  const counted = registry.secrets.filter((secret) =>
    projectSources.has(secret.source) && !CODEX_CREDENTIAL_NAMES.has(secret.name)
  );
  if (counted.length === 0) {
    problems.push(
      registry.secrets.some((secret) => CODEX_CREDENTIAL_NAMES.has(secret.name)) ||
        registry.sources.some((source) => source.kind === "codex" && source.values > 0)
        ? "no protected value was loaded from any source but Codex's own credentials"
        : "no protected value was loaded from any source",
    );
  }
  return problems;
}

/** The refusal as one line. */
export function refusalLine(problems: string[]): string {
  return `refusing to launch (registry.require / FICTA_REQUIRE_REGISTRY is on): ${
    problems.join("; ")
  }`;
}
