/**
 * The registry: every value ficta protects, from the dotenv files, the process environment and
 * secret managers, with a report per source (names and counts, never a value).
 *
 * Sources are merged in that order; a value seen twice is registered once, under the first
 * name, with the spellings of both. Each line of a multi-line value (a PEM key) of at least
 * `min_len` characters is registered on its own too, so a command printing part of the file
 * leaks no line. ficta's surrogate key (`FICTA_SURROGATE_KEY`, the key file's text) is always
 * protected, whatever the settings, and counted in no source.
 *
 * ```ts
 * const registry = await loadRegistry(settings, { cwd, env, credentialFiles: allCredentialFiles() });
 * for (const line of reportLines(registry)) say(line); // names and counts only
 * ```
 */
import { type GlobMatcher, runtime } from "../runtime/mod.ts";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Env, paths } from "../config/paths.ts";
import type { Settings } from "../config/schema.ts";
import type { Secret } from "../core/mod.ts";
import { runCommand } from "./command.ts";
import {
  discoverDotenvFiles,
  discoverNestedDotenvFiles,
  displayPath,
  readDotenvFile,
  repositoryRoot,
  searchDirectories,
} from "./dotenv.ts";
import {
  countSkip,
  type CredentialFile,
  type Found,
  PROJECT_KINDS,
  type SourceOutput,
} from "./found.ts";
import { configuredOpReferences, isOpReference, type OpReference, presetRun } from "./presets.ts";
import { readProcessEnv } from "./process-env.ts";
import { reportLines } from "./report.ts";
import { settingReason } from "./settings.ts";
import type { Remembered } from "./store.ts";
import { requiredNames } from "./require.ts";
import type { Registry, SourceReport, SourceStatus } from "./types.ts";

export { reportLines };
export type { Registry, SourceReport, SourceStatus } from "./types.ts";

export async function loadRegistry(
  settings: Settings,
  options: {
    cwd: string;
    env: Env;
    /** The agents' own credential files (`Agent.credentialFiles`), always protected. */
    credentialFiles?: readonly CredentialFile[];
  },
): Promise<Registry> {
  const config = settings.registry;
  const cwd = resolve(options.cwd);
  const { env } = options;
  const credentialFiles = options.credentialFiles ?? [];

  const dotenv: SourceOutput[] = [];
  const dotenvFiles: string[] = [];
  let dotenvDirs: string[] = [];
  if (!config.dotenv) dotenv.push(empty("dotenv", "dotenv files", "disabled"));
  else {
    dotenvDirs = searchDirectories(cwd, config.dotenv_search);
    dotenvFiles.push(...discoverDotenvFiles(cwd, config.dotenv_files, config.dotenv_search));
    // Outside any repository (a home directory, /tmp) the tree below is not one project's.
    const nested = config.dotenv_search === "cwd" || config.dotenv_depth === 0 ||
        repositoryRoot(cwd) === null
      ? { files: [] }
      : discoverNestedDotenvFiles(cwd, config.dotenv_files, {
        depth: config.dotenv_depth,
        maxFiles: config.dotenv_max_files,
        skipDirs: config.dotenv_skip_dirs,
      });
    dotenvFiles.push(...nested.files);
    // An agent may load a dotenv file of its own (`CredentialFile.dotenv`), which its
    // commands inherit.
    for (const file of credentialFiles) {
      const agentDotenv = file.dotenv?.(env);
      if (agentDotenv && !dotenvFiles.includes(agentDotenv) && existsSync(agentDotenv)) {
        dotenvFiles.push(agentDotenv);
      }
    }
    for (const file of dotenvFiles) dotenv.push(readDotenvFile(file, displayPath(cwd, file)));
    if (dotenvFiles.length === 0) {
      dotenv.push(empty("dotenv", config.dotenv_files.join(", "), "not found"));
    }
    if (nested.stopped) {
      const stop = empty("dotenv", "dotenv search below the launch directory", "loaded");
      stop.error = `stopped early: ${nested.stopped}`;
      dotenv.push(stop);
    }
  }

  // Secret managers run while the environment is read and everything is merged.
  const context = { cwd, env, trustRoot: repositoryRoot(cwd) ?? cwd };
  const references = [
    ...opReferences(dotenv, env),
    ...configuredOpReferences(config.onepassword_refs),
  ];
  const commands = Promise.all([
    ...config.presets.map((preset) => {
      const run = presetRun(preset, references, config);
      return "source" in run ? runCommand(run, context) : run;
    }),
    ...config.command.map((source) => runCommand({ source, missing: "error" }, context)),
  ]);

  // Names `registry.require` lists are read whatever they are called, like include_names.
  const include = [...config.include_names, ...requiredNames(settings)];
  const collector = new Collector(config.min_len, config.exclude_names, include);
  const remembered: Remembered[] = [];
  const sources: SourceReport[] = [];
  const keep = (output: SourceOutput, store: (display: string) => string | null) => {
    const before = collector.secrets.length;
    sources.push(collector.add(output));
    for (const secret of collector.secrets.slice(before)) {
      const source = store(secret.source);
      // Lines of multi-line values are derived again from the value: not stored on their own.
      if (source === null || / \(line \d+\)$/.test(secret.name)) continue;
      const item: Remembered = { name: secret.name, source, value: secret.value };
      if (secret.spellings) item.spellings = secret.spellings;
      remembered.push(item);
    }
  };
  for (const output of dotenv) keep(output, (display) => resolve(cwd, display));
  const plain = credentialFiles.flatMap((file) => file.locationVariables ?? []);
  keep(readProcessEnv(env, config.process_env, { include, plain }), (source) => source);
  // An agent's own tokens are stored too: a resumed session may hold an older one the agent read.
  for (const file of credentialFiles) {
    const output = file.read(env);
    if (output.status !== "not found") keep(output, () => file.path(env));
  }
  for (const output of await commands) keep(output, (source) => source);
  collector.protectSurrogateKey(env);
  return {
    secrets: collector.secrets,
    sources,
    remembered,
    dotenvFiles,
    dotenvDirs,
    credentialFiles,
  };
}

/**
 * The secrets of sources read again mid-session (a watched file changed), after the filters a
 * launch applies; each source's report tells what was skipped.
 */
export function collect(
  settings: Settings,
  outputs: SourceOutput[],
): { secrets: Secret[]; sources: SourceReport[] } {
  const config = settings.registry;
  const collector = new Collector(config.min_len, config.exclude_names, config.include_names);
  const sources = outputs.map((output) => collector.add(output));
  return { secrets: collector.secrets, sources };
}

/**
 * Stored values for this launch's engine: those not already registered, without names the user
 * now excludes, each line of a multi-line value as a value of its own.
 */
export function storedSecrets(
  settings: Settings,
  stored: readonly { name: string; value: string; spellings?: string[] }[],
  registered: readonly Secret[],
): Secret[] {
  const config = settings.registry;
  const included = config.include_names.map((pattern) => runtime.glob(pattern));
  const excluded = config.exclude_names.map((pattern) => runtime.glob(pattern));
  const known = new Set<string>();
  for (const secret of registered) {
    known.add(secret.value);
    for (const spelling of secret.spellings ?? []) known.add(spelling);
  }
  const out: Secret[] = [];
  for (const entry of stored) {
    if (known.has(entry.value)) continue;
    if (
      excluded.some((glob) => glob.match(entry.name)) &&
      !included.some((glob) => glob.match(entry.name))
    ) continue;
    known.add(entry.value);
    const secret: Secret = { name: entry.name, source: "stored", value: entry.value };
    const spellings = entry.spellings?.filter((s) => !known.has(s));
    if (spellings?.length) secret.spellings = spellings;
    out.push(secret);
    for (const piece of linePieces([entry.value, ...(spellings ?? [])])) {
      if (known.has(piece.value) || piece.value.length < config.min_len) continue;
      known.add(piece.value);
      out.push({ name: `${entry.name} (${piece.label})`, source: "stored", value: piece.value });
    }
  }
  return out;
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
  private readonly excluded: GlobMatcher[];
  private readonly included: GlobMatcher[];

  constructor(private readonly minLen: number, excludeNames: string[], includeNames: string[]) {
    this.excluded = excludeNames.map((pattern) => runtime.glob(pattern));
    this.included = includeNames.map((pattern) => runtime.glob(pattern));
  }

  add(output: SourceOutput): SourceReport {
    const skipped = { ...output.skipped };
    const settings: { name: string; reason: string }[] = [];
    let values = 0;
    // An agent's own credentials are protected whatever the lists say.
    const always = !PROJECT_KINDS.has(output.kind);
    for (const found of output.found) {
      const included = always || this.included.some((glob) => glob.match(found.name));
      // Dotenv files and secret managers hold a project's whole configuration, settings too.
      const reason = included || (output.kind !== "dotenv" && output.kind !== "command")
        ? undefined
        : settingReason(found.name, found.value);
      if (!included && this.excluded.some((glob) => glob.match(found.name))) {
        countSkip(skipped, "excluded name");
      } else if (found.value.length < this.minLen) {
        countSkip(skipped, "shorter than min_len");
      } else if (reason) {
        countSkip(skipped, "a setting");
        settings.push({ name: found.name, reason });
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
    if (settings.length) report.settings = settings;
    if (output.note) report.note = output.note;
    const empty = output.empty?.filter((name) => !this.excluded.some((glob) => glob.match(name)));
    if (empty?.length) report.empty = empty;
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
