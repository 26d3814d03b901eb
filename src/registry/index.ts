/**
 * The registry: every value ficta protects, from the dotenv files, the process environment and
 * secret managers, with a report per source (names and counts, never a value).
 *
 * Sources are merged in that order; a value seen twice is registered once, under the first
 * name, with the spellings of both. Each line of a multi-line value (a PEM key) of at least
 * `min_len` characters is registered on its own too, so a command printing part of the file
 * leaks no line. ficta's surrogate key (`FICTA_SURROGATE_KEY`, the key file's text) is always
 * protected, whatever the settings, and counted in no source.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Env, paths } from "../config/paths.ts";
import type { Settings } from "../config/schema.ts";
import type { Secret } from "../engine/types.ts";
import { runCommand } from "./command.ts";
import { discoverDotenvFiles, displayPath, readDotenvFile, repositoryRoot } from "./dotenv.ts";
import { countSkip, type Found, type SourceOutput } from "./found.ts";
import { isOpReference, type OpReference, presetRun } from "./presets.ts";
import { readProcessEnv } from "./process-env.ts";
import { reportLines } from "./report.ts";

export { reportLines };

export type SourceStatus = "loaded" | "not found" | "error" | "disabled";

export interface SourceReport {
  kind: "dotenv" | "env" | "command";
  /** A file path (relative to the launch directory), `environment`, or a command's name. */
  name: string;
  status: SourceStatus;
  /** Values registered from this source (lines of multi-line values not counted). */
  values: number;
  /** Reason -> count, e.g. `shorter than min_len`, `excluded name`, `duplicate`, `not secret-ish`. */
  skipped: Record<string, number>;
  /** File and line, exit code or timeout; never a value. */
  error?: string;
}

export interface Registry {
  secrets: Secret[];
  sources: SourceReport[];
}

export async function loadRegistry(
  settings: Settings,
  options: { cwd: string; env: Env },
): Promise<Registry> {
  const config = settings.registry;
  const cwd = resolve(options.cwd);
  const { env } = options;

  const dotenv: SourceOutput[] = [];
  if (!config.dotenv) dotenv.push(empty("dotenv", "dotenv files", "disabled"));
  else {
    const files = discoverDotenvFiles(cwd, config.dotenv_files, config.dotenv_search);
    for (const file of files) dotenv.push(readDotenvFile(file, displayPath(cwd, file)));
    if (files.length === 0) {
      dotenv.push(empty("dotenv", config.dotenv_files.join(", "), "not found"));
    }
  }

  // Secret managers run while the environment is read and everything is merged.
  const context = { cwd, env, trustRoot: repositoryRoot(cwd) ?? cwd };
  const references = opReferences(dotenv, env);
  const commands = Promise.all([
    ...config.presets.map((preset) => {
      const run = presetRun(preset, references);
      return "source" in run ? runCommand(run, context) : run;
    }),
    ...config.command.map((source) => runCommand({ source, missing: "error" }, context)),
  ]);

  const collector = new Collector(config.min_len, config.exclude_names);
  const sources = [...dotenv, readProcessEnv(env, config.process_env)].map((output) =>
    collector.add(output)
  );
  for (const output of await commands) sources.push(collector.add(output));
  collector.protectSurrogateKey(env);
  return { secrets: collector.secrets, sources };
}

function empty(kind: SourceOutput["kind"], name: string, status: SourceStatus): SourceOutput {
  return { kind, name, status, found: [], skipped: {} };
}

function opReferences(dotenv: SourceOutput[], env: Env): OpReference[] {
  const references: OpReference[] = [];
  for (const output of dotenv) {
    for (const { name, value } of output.found) {
      if (isOpReference(value)) references.push({ name, reference: value });
    }
  }
  for (const [name, value] of Object.entries(env)) {
    if (value && isOpReference(value) && !name.startsWith("FICTA_")) {
      references.push({ name, reference: value });
    }
  }
  return references;
}

/** Filters, deduplicates and registers what the sources found. */
class Collector {
  readonly secrets: Secret[] = [];
  /** Every registered text (value or spelling) -> the secret it belongs to. */
  private readonly owners = new Map<string, Secret>();
  private readonly excluded: Bun.Glob[];

  constructor(private readonly minLen: number, excludeNames: string[]) {
    this.excluded = excludeNames.map((pattern) => new Bun.Glob(pattern));
  }

  add(output: SourceOutput): SourceReport {
    const skipped = { ...output.skipped };
    let values = 0;
    for (const found of output.found) {
      if (this.excluded.some((glob) => glob.match(found.name))) {
        countSkip(skipped, "excluded name");
      } else if (found.value.length < this.minLen) {
        countSkip(skipped, "shorter than min_len");
      } else if (this.register(found, output.name)) {
        values++;
      } else {
        countSkip(skipped, "duplicate");
      }
    }
    const report: SourceReport = {
      kind: output.kind,
      name: output.name,
      status: output.status,
      values,
      skipped,
    };
    if (output.error) report.error = output.error;
    return report;
  }

  protectSurrogateKey(env: Env): void {
    const texts: [string, string | undefined][] = [[
      "FICTA_SURROGATE_KEY",
      env.FICTA_SURROGATE_KEY,
    ]];
    try {
      texts.push(["ficta surrogate key file", readFileSync(paths(env).key, "utf8")]);
    } catch {
      // not created yet: loadSurrogateKey creates it
    }
    for (const [name, text] of texts) {
      const value = text?.trim();
      if (value) this.register({ name, value }, "ficta");
    }
  }

  /** False when the value was already registered (its spellings are merged into the first). */
  private register(found: Found, source: string): boolean {
    const spellings = (found.spellings ?? []).filter((s) =>
      s !== found.value && s.length >= this.minLen
    );
    let secret = this.owners.get(found.value);
    const isNew = secret?.value !== found.value;
    if (secret && isNew) {
      // Another value's spelling is this value's own text: the text must restore to itself.
      secret.spellings = secret.spellings?.filter((s) => s !== found.value);
      if (secret.spellings?.length === 0) delete secret.spellings;
      secret = undefined;
    }
    if (!secret) {
      secret = { name: found.name, source, value: found.value };
      this.secrets.push(secret);
      this.owners.set(found.value, secret);
    }
    for (const spelling of spellings) {
      if (this.owners.has(spelling)) continue;
      (secret.spellings ??= []).push(spelling);
      this.owners.set(spelling, secret);
    }
    for (const piece of linePieces([found.value, ...spellings])) {
      if (piece.value.length < this.minLen || this.owners.has(piece.value)) continue;
      const line: Secret = { name: `${found.name} (${piece.label})`, source, value: piece.value };
      this.secrets.push(line);
      this.owners.set(piece.value, line);
    }
    return isNew;
  }
}

const PEM_ARMOR = /^-----(?:BEGIN|END) [A-Z0-9 ]+-----$/;

/**
 * Each line of multi-line texts, trimmed, without PEM armor lines (public boilerplate). A PEM
 * key kept on one line with `\n` escapes (as many platforms store it) is split on those too.
 */
export function linePieces(texts: string[]): { label: string; value: string }[] {
  const pieces: { label: string; value: string }[] = [];
  for (const text of texts) {
    const separator = text.includes("\n")
      ? /\r?\n/
      : text.includes("-----BEGIN") && text.includes("\\n")
      ? /(?:\\r)?\\n/
      : null;
    if (!separator) continue;
    text.split(separator).forEach((line, i) => {
      const value = line.trim();
      if (value && !PEM_ARMOR.test(value)) pieces.push({ label: `line ${i + 1}`, value });
    });
  }
  return pieces;
}
