/**
 * `ficta registry [--json]`: what would be protected if an agent started here. Per source, per
 * name: the value's length and how many wire forms are matched. Never a value.
 */
import type { Settings } from "../config/schema.ts";
import { formsOf } from "../engine/forms.ts";
import { loadRegistry, reportLines, type SourceReport } from "../registry/index.ts";
import { parseFlags, USAGE_EXIT } from "./flags.ts";
import { loadSettings } from "./settings.ts";

export const USAGE = "ficta registry [--json]";

export interface ProtectedValue {
  source: string;
  name: string;
  /** In characters (code points). */
  length: number;
  /** Distinct spellings matched on the wire: raw, JSON-escaped, percent-encoded, base64/hex... */
  forms: number;
}

export interface RegistryListing {
  cwd: string;
  sources: SourceReport[];
  /** One line per source, as the launch prints them. */
  report: string[];
  values: ProtectedValue[];
  detect: { shapes: boolean; encoded: boolean; disabled_formats: string[] };
}

export async function listRegistry(
  settings: Settings,
  cwd: string,
  env: Record<string, string | undefined>,
): Promise<RegistryListing> {
  const registry = await loadRegistry(settings, { cwd, env });
  const encoded = settings.detect.encoded;
  return {
    cwd,
    sources: registry.sources,
    report: reportLines(registry),
    values: registry.secrets.map((secret) => ({
      source: secret.source,
      name: secret.name,
      length: [...secret.value].length,
      forms: formsOf(secret.value, secret.spellings ?? [], { encoded }).length,
    })),
    detect: {
      shapes: settings.detect.shapes,
      encoded,
      disabled_formats: settings.detect.disabled_formats,
    },
  };
}

/** Left-aligned columns, two spaces apart. */
export function table(rows: string[][], indent = "  "): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) =>
    indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")
  );
}

function render(listing: RegistryListing): string {
  const lines = [`Sources for ${listing.cwd}:`];
  for (const line of listing.report) lines.push(`  ${line.replace(/^registry: /, "")}`);
  lines.push("");
  const { shapes, encoded, disabled_formats: off } = listing.detect;
  if (listing.values.length === 0) {
    lines.push("No value would be protected here.");
  } else {
    lines.push(`Protected values (${listing.values.length}; names only, never values):`);
    lines.push(
      ...table([
        ["SOURCE", "NAME", "LENGTH", "FORMS"],
        ...listing.values.map((v) => [v.source, v.name, String(v.length), String(v.forms)]),
      ]),
    );
    lines.push(
      "  FORMS: spellings matched: raw, JSON-escaped (also nested, as in tool arguments), " +
        (encoded ? "percent-encoded, base64 and hex (12+ characters)." : "percent-encoded."),
    );
  }
  lines.push("");
  lines.push(
    shapes
      ? `Shapes: well-known credential formats are caught even when no source registered them` +
        (off.length ? ` (off: ${off.join(", ")}).` : ".")
      : "Shapes: off (detect.shapes = false).",
  );
  return lines.join("\n");
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseFlags(args, { json: { type: "boolean" } }, USAGE);
  if (!parsed) return USAGE_EXIT;
  const settings = loadSettings(process.env);
  if (typeof settings === "number") return settings;
  const listing = await listRegistry(settings, process.cwd(), process.env);
  console.log(parsed.values.json ? JSON.stringify(listing, null, 2) : render(listing));
  return listing.sources.some((s) => s.status === "error") ? 1 : 0;
}
