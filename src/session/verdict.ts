/**
 * "May this launch run?": the one answer `ficta <agent>` acts on and `ficta doctor` reports, so
 * the two never disagree. Only `registry.require` (CI's fail-closed switch) can say no.
 *
 * Under require, each of these refuses: a source that failed; a configured secret-manager preset
 * that is missing (its CLI not on PATH, no 1Password reference); a secret-ish variable that is
 * set but empty (a CI secret the job was not given); a required name that no source protects;
 * nothing protected but the agents' own credentials (which protect nothing of the project's);
 * and a disabled ficta (FICTA_DISABLE, `ficta disable`).
 *
 * ```ts
 * const refusals = launchRefusals(registry, settings);
 * if (refusals.length) say(refusalLine(refusals)); // and exit 78
 * ```
 */
import type { Settings } from "../config/schema.ts";
import type { Agent } from "../agents/agent.ts";
import { catalog, type CatalogEntry } from "../agents/catalog.ts";
import { PROJECT_KINDS } from "../registry/found.ts";
import type { Registry } from "../registry/index.ts";
import { requiredNames, requireOn } from "../registry/require.ts";

export { requiredNames, requireOn };

/**
 * Everything in the registry that stops a launch, one line each; empty when it may run. The
 * credentials of `known` agents (all of them by default) never count as the project's values.
 */
export function launchRefusals(
  registry: Registry,
  settings: Settings,
  known: readonly CatalogEntry[] = catalog,
): string[] {
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
  // Only the project's sources count: not ficta's own key, not an agent's credentials (by name in
  // the environment, or any source of another kind, such as an agent's credential file).
  const credentialNames = new Set(known.flatMap((agent) => [...agent.credentialNames]));
  const projectSources = new Set(
    registry.sources.filter((source) => PROJECT_KINDS.has(source.kind)).map((s) => s.name),
  );
  const counted = registry.secrets.filter((secret) =>
    projectSources.has(secret.source) && !credentialNames.has(secret.name)
  );
  if (counted.length === 0) {
    const owners = known.filter((agent) =>
      registry.secrets.some((secret) => agent.credentialNames.has(secret.name)) ||
      registry.sources.some((source) => source.kind === agent.name && source.values > 0)
    );
    problems.push(
      owners.length
        ? "no protected value was loaded from any source but " +
          `${owners.map((agent) => `${agent.title}'s`).join(" or ")} own credentials`
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

/**
 * Why a disabled ficta may not run the agent untouched: under registry.require the launch is
 * refused rather than run unprotected. Undefined when ficta is enabled or require is off.
 */
export function disabledRefusal(
  agent: Agent,
  settings: Settings,
  disabled: string | undefined,
): string | undefined {
  if (disabled === undefined || !requireOn(settings)) return undefined;
  return `refusing to run ${agent.title} without the airlock: ficta is disabled (${disabled}) ` +
    "but registry.require / FICTA_REQUIRE_REGISTRY is on; unset FICTA_DISABLE or run " +
    "`ficta enable`";
}
