/**
 * `ficta registry [--json]`: what would be protected if an agent started here. Per source, per
 * name: the value's length and how many wire forms are matched. Never a value.
 */
import { allCredentialFiles } from "../agents/mod.ts";
import { isAbsolute, resolve } from "node:path";
import type { Settings } from "../config/schema.ts";
import { formsOf } from "../core/mod.ts";
import { loadRegistry, reportLines, type SourceReport } from "../registry/index.ts";
import { type StoredEntry } from "../registry/store.ts";
import { watchedDirectories } from "../registry/watch.ts";
import { parseFlags, USAGE_EXIT } from "./flags.ts";
import { say } from "./say.ts";
import { loadSettings } from "../session/settings.ts";

export const USAGE = "ficta registry [--json] | registry stored [--json] | " +
  "registry forget (--name PATTERN... | --source PATTERN... | --all)";

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
  /** Values skipped as plain settings: source, name, reason. */
  settings: { source: string; name: string; reason: string }[];
  /** Values remembered from earlier launches (`registry stored` lists them); null when off. */
  stored: number | null;
  /** Directories a session here watches for new values; 0 when `registry.watch` is off. */
  watched: number;
  detect: { shapes: boolean; encoded: boolean; disabled_formats: string[] };
}

async function listRegistry(
  settings: Settings,
  cwd: string,
  env: Record<string, string | undefined>,
): Promise<RegistryListing> {
  const registry = await loadRegistry(settings, {
    cwd,
    env,
    credentialFiles: allCredentialFiles(),
  });
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
    settings: registry.sources.flatMap((source) =>
      (source.settings ?? []).map((s) => ({ source: source.name, ...s }))
    ),
    stored: settings.registry.store
      ? (await import("../registry/store.ts")).storedCount(env)
      : null,
    watched: settings.registry.watch ? watchedDirectories(registry, env).length : 0,
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
  if (listing.settings.length) {
    lines.push("");
    lines.push(
      `Skipped as plain settings (${listing.settings.length}; registry.include_names protects them):`,
    );
    lines.push(
      ...table([
        ["SOURCE", "NAME", "WHY"],
        ...listing.settings.map((s) => [s.source, s.name, s.reason]),
      ]),
    );
  }
  lines.push("");
  lines.push(
    listing.stored === null
      ? "Stored: off (registry.store = false): values are protected only while their source has them."
      : `Stored: ${listing.stored} value(s) from earlier launches, protected in every launch ` +
        "(`ficta registry stored` lists them, `ficta registry forget` removes them).",
  );
  lines.push(
    listing.watched
      ? `Watched: ${listing.watched} director${listing.watched === 1 ? "y" : "ies"} ` +
        "during a session; values added there are protected from the next request on."
      : "Watched: nothing (registry.watch = false).",
  );
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
  if (args[0] === "stored") return await stored(args.slice(1));
  if (args[0] === "forget") return await forgetValues(args.slice(1));
  const parsed = parseFlags(args, { json: { type: "boolean" } }, USAGE);
  if (!parsed) return USAGE_EXIT;
  const settings = loadSettings(process.env);
  if (typeof settings === "number") return settings;
  const listing = await listRegistry(settings, process.cwd(), process.env);
  console.log(parsed.values.json ? JSON.stringify(listing, null, 2) : render(listing));
  return listing.sources.some((s) => s.status === "error") ? 1 : 0;
}

/** `ficta registry stored`: names, sources, first and last seen; never a value. */
async function stored(args: string[]): Promise<number> {
  const parsed = parseFlags(args, { json: { type: "boolean" } }, USAGE);
  if (!parsed) return USAGE_EXIT;
  const { readStoredEntries, StoreError } = await import("../registry/store.ts");
  let entries: StoredEntry[];
  try {
    entries = readStoredEntries(process.env);
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    say(`the protected-value store is ${error.message}`);
    return 1;
  }
  if (parsed.values.json) console.log(JSON.stringify(entries, null, 2));
  else if (entries.length === 0) console.log("No value is stored.");
  else {
    console.log(`Stored values (${entries.length}; names only, never values):`);
    console.log(
      table([
        ["NAME", "SOURCE", "FIRST SEEN", "LAST SEEN"],
        ...entries.map((e) => [e.name, e.source, e.first, e.last]),
      ]).join("\n"),
    );
  }
  return 0;
}

/** `ficta registry forget`: by name or source (`*` patterns), or everything. */
async function forgetValues(args: string[]): Promise<number> {
  const parsed = parseFlags(args, {
    name: { type: "string", multiple: true },
    source: { type: "string", multiple: true },
    all: { type: "boolean" },
  }, USAGE);
  if (!parsed) return USAGE_EXIT;
  const { name, source, all } = parsed.values;
  if ([name, source, all].filter(Boolean).length !== 1) {
    say(`forget needs exactly one of --name, --source, --all. Usage: ${USAGE}`);
    return USAGE_EXIT;
  }
  const { forget, storeKey, StoreError } = await import("../registry/store.ts");
  const { loadSurrogateKey, SurrogateKeyError } = await import("../config/key.ts");
  try {
    const key = all ? null : await storeKey(await loadSurrogateKey(process.env));
    // A path pattern is relative to here (`--source .env`, `--source 'apps/**'`); a bare word is a
    // source's name (`environment`, a command's name).
    const sources = (source ?? []).map((p) =>
      (p.includes("/") || p.startsWith(".")) && !isAbsolute(p) && !p.startsWith("*")
        ? resolve(process.cwd(), p)
        : p
    );
    const what = all ? { all: true as const } : name ? { names: name } : { sources };
    const removed = await forget(process.env, key, what);
    say(`forgot ${removed} stored value(s)`);
    return 0;
  } catch (error) {
    if (error instanceof SurrogateKeyError) say(error.message);
    else if (error instanceof StoreError) say(`the protected-value store is ${error.message}`);
    else throw error;
    return 1;
  }
}
