/**
 * Built-in secret-manager sources. Each runs only when listed in `registry.presets` and its CLI
 * is on PATH (otherwise its status is "not found"), in the launch directory (Doppler and
 * Infisical scope projects by directory), non-interactively:
 *
 * - doppler:   `doppler secrets download --no-file --format json`, with `--project` and
 *              `--config` from `registry.doppler_project` / `doppler_config` when set (its
 *              DOPPLER_PROJECT, DOPPLER_CONFIG and DOPPLER_ENVIRONMENT entries name the project,
 *              not secrets);
 * - infisical: `infisical export --format=json`, with `--env` and `--projectId` from
 *              `registry.infisical_env` / `infisical_project_id` (unset, the CLI exports its
 *              default environment, `dev`, which in CI is rarely the one in use);
 * - 1password: every `op://` reference found in the dotenv files and the environment, and those
 *              listed in `registry.onepassword_refs` (`NAME=op://…`), is resolved at once with `op run --no-masking -- env -0`: the references are handed to
 *              `op` in variables of its own environment, and only those variables are read back
 *              from the NUL-separated listing (multi-line values survive).
 */
import type { PRESETS, Settings } from "../config/schema.ts";
import type { CommandRun } from "./command.ts";
import { countSkip, type SourceOutput } from "./found.ts";

export type Preset = typeof PRESETS[number];

export interface OpReference {
  name: string;
  reference: string;
}

const DOPPLER_METADATA = new Set(["DOPPLER_PROJECT", "DOPPLER_CONFIG", "DOPPLER_ENVIRONMENT"]);
const TIMEOUT_MS = 15_000;

export function isOpReference(value: string): boolean {
  return value.startsWith("op://");
}

/** `NAME=op://…` entries of `registry.onepassword_refs`; malformed ones are skipped. */
export function configuredOpReferences(entries: string[]): OpReference[] {
  return entries.flatMap((entry) => {
    const eq = entry.indexOf("=");
    const name = entry.slice(0, eq).trim();
    const reference = entry.slice(eq + 1).trim();
    return eq > 0 && isOpReference(reference) ? [{ name, reference }] : [];
  });
}

/** How to run a preset, or its final report when there is nothing to run. */
export function presetRun(
  preset: Preset,
  references: OpReference[],
  config: Settings["registry"],
): CommandRun | SourceOutput {
  const base = { format: "json" as const, timeout_ms: TIMEOUT_MS };
  const flag = (name: string, value: string) => value ? [name, value] : [];
  switch (preset) {
    case "doppler":
      return {
        source: {
          ...base,
          name: "doppler",
          argv: [
            "doppler",
            "secrets",
            "download",
            "--no-file",
            "--format",
            "json",
            ...flag("--project", config.doppler_project),
            ...flag("--config", config.doppler_config),
          ],
          env: ["DOPPLER_*"],
        },
        missing: "not found",
        filter: (name) => DOPPLER_METADATA.has(name) ? "doppler metadata" : undefined,
      };
    case "infisical":
      return {
        source: {
          ...base,
          name: "infisical",
          argv: [
            "infisical",
            "export",
            "--format=json",
            ...(config.infisical_env ? [`--env=${config.infisical_env}`] : []),
            ...(config.infisical_project_id ? [`--projectId=${config.infisical_project_id}`] : []),
          ],
          env: ["INFISICAL_*"],
        },
        missing: "not found",
        note: config.infisical_env
          ? undefined
          : "the CLI's default environment (dev); set registry.infisical_env",
      };
    case "1password":
      return onePasswordRun(references);
  }
}

function onePasswordRun(references: OpReference[]): CommandRun | SourceOutput {
  if (references.length === 0) {
    return {
      kind: "command",
      name: "1password",
      status: "not found",
      found: [],
      skipped: {},
      error: "no op:// references in the dotenv files or the environment",
    };
  }
  const carriers = new Map<string, string>();
  const extraEnv: Record<string, string> = {};
  references.forEach(({ name, reference }, i) => {
    carriers.set(`FICTA_OP_REF_${i}`, name);
    extraEnv[`FICTA_OP_REF_${i}`] = reference;
  });
  return {
    source: {
      name: "1password",
      argv: ["op", "run", "--no-masking", "--", "env", "-0"],
      format: "dotenv",
      timeout_ms: TIMEOUT_MS,
      env: ["OP_*"],
    },
    missing: "not found",
    extraEnv,
    parse: (stdout: string, output: SourceOutput) => {
      for (const record of stdout.split("\0")) {
        const eq = record.indexOf("=");
        const name = carriers.get(record.slice(0, eq));
        if (eq < 0 || name === undefined) continue;
        const value = record.slice(eq + 1);
        if (isOpReference(value)) countSkip(output.skipped, "unresolved reference");
        else output.found.push({ name, value });
      }
    },
  };
}
