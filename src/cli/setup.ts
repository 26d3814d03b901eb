/**
 * `ficta setup [--yes]`: asks what to protect, writes ~/.ficta/config.toml (0600) through the
 * schema, and installs the shim. Only the keys asked about are written, edited in the file's text
 * in place: every other key, section and comment is kept. Values are never shown, only names and
 * their sources.
 */
import { runtime } from "../runtime/mod.ts";
import { allCredentialFiles } from "../agents/mod.ts";
import { createInterface } from "node:readline";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import { ConfigError, parseConfig, readConfigText } from "../config/load.ts";
import { type Env, paths } from "../config/paths.ts";
import { writePrivateFile } from "../config/private-files.ts";
import { PRESETS, PROCESS_ENV_MODES, type Settings } from "../config/schema.ts";
import { parseSwitch } from "../config/switch.ts";
import { setTableKeys } from "../config/toml-edit.ts";
import { loadRegistry } from "../registry/index.ts";
import { parseFlags, USAGE_EXIT } from "./flags.ts";
import { installAndReport } from "./install.ts";
import { say } from "./say.ts";

export const USAGE = "ficta setup [--yes] [--no-install]";

/** Each preset and the CLI that must be on PATH for it to be offered. */
const PRESET_CLIS: Record<(typeof PRESETS)[number], { cli: string; label: string }> = {
  doppler: { cli: "doppler", label: "Doppler" },
  "1password": { cli: "op", label: "1Password" },
  infisical: { cli: "infisical", label: "Infisical" },
};

/** How setup talks to the user; tests script it. `ask` resolves to the raw answer ("" = default). */
export interface Prompter {
  ask(question: string): Promise<string>;
}

export interface SetupOptions {
  env: Env;
  cwd: string;
  install: boolean;
  /** None: take every default without asking (`--yes`). */
  prompter?: Prompter;
}

type Managed = Pick<
  Settings["registry"],
  "dotenv" | "dotenv_files" | "process_env" | "min_len" | "exclude_names" | "presets"
>;

export async function run(args: string[]): Promise<number> {
  const parsed = parseFlags(args, {
    yes: { type: "boolean", short: "y" },
    "no-install": { type: "boolean" },
  }, USAGE);
  if (!parsed) return USAGE_EXIT;
  const yes = parsed.values.yes ?? false;
  if (!yes && !process.stdin.isTTY) {
    say("setup: stdin is not a terminal; run `ficta setup --yes` to take the defaults.");
    return USAGE_EXIT;
  }
  const prompter = yes ? undefined : terminalPrompter();
  try {
    return await setup({
      env: process.env,
      cwd: process.cwd(),
      install: !parsed.values["no-install"],
      prompter,
    });
  } finally {
    prompter?.close();
  }
}

function terminalPrompter(): Prompter & { close(): void } {
  const lines = createInterface({ input: process.stdin, terminal: false });
  const next = lines[Symbol.asyncIterator]();
  return {
    async ask(question) {
      process.stderr.write(`ficta: ${question} `);
      const line = await next.next();
      // End of input takes the default, like an empty answer.
      return line.done ? "" : line.value;
    },
    close: () => lines.close(),
  };
}

/** Re-asks until `parse` accepts the answer; an empty answer is the default. */
async function askFor<T>(
  prompter: Prompter | undefined,
  question: string,
  shown: string,
  fallback: T,
  parse: (answer: string) => T | undefined,
): Promise<T> {
  if (!prompter) return fallback;
  for (;;) {
    const answer = (await prompter.ask(`${question} [${shown}]`)).trim();
    if (answer === "") return fallback;
    const value = parse(answer);
    if (value !== undefined) return value;
    say(`'${answer}' is not an answer here; press Enter for [${shown}].`);
  }
}

/** y/n, or any switch spelling (1/true/yes/on, 0/false/no/off). */
const yesNo = (answer: string) =>
  /^y$/i.test(answer) ? true : /^n$/i.test(answer) ? false : parseSwitch(answer);
const list = (answer: string) =>
  answer === "-" ? [] : answer.split(",").map((s) => s.trim()).filter(Boolean);

interface Existing {
  text: string | null;
  doc: Record<string, unknown>;
  /** What the file says, without the environment's overrides: those must not be written. */
  settings: Settings;
}

/** The existing file, or a ConfigError that setup must not paper over. */
function readExisting(file: string): Existing {
  const text = readConfigText(file) ?? null;
  const { settings } = parseConfig(text ?? undefined, file);
  return { text, doc: text === null ? {} : parseToml(text) as Record<string, unknown>, settings };
}

export async function setup(options: SetupOptions): Promise<number> {
  const { env, cwd, prompter } = options;
  const file = paths(env).config;
  let existing: Existing;
  try {
    existing = readExisting(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    say(`setup: ${error.message}`);
    say(`setup: fix or move ${file} first; setup does not overwrite a file it cannot read.`);
    return 1;
  }
  const current = existing.settings;
  const now = current.registry;
  if (prompter) say(`setup writes ${file}; Enter keeps the [default].`);

  const dotenv = await askFor(
    prompter,
    "registry.dotenv: protect the values in .env files? (yes or no)",
    now.dotenv ? "Y/n" : "y/N",
    now.dotenv,
    yesNo,
  );
  const dotenvFiles = dotenv
    ? await askFor(
      prompter,
      "registry.dotenv_files: which dotenv files to read? (file names or `*` patterns, " +
        "comma-separated; templates like .env.example are always skipped)",
      now.dotenv_files.join(", "),
      now.dotenv_files,
      (a) => (list(a).length ? list(a) : undefined),
    )
    : now.dotenv_files;
  const processEnv = await askFor(
    prompter,
    "registry.process_env: which environment variables to protect? (secret-ish: names with a " +
      "secret word or credential-shaped values; all: every value; off: none)",
    now.process_env,
    now.process_env,
    (a) => PROCESS_ENV_MODES.find((m) => m === a.toLowerCase()),
  );
  const minLen = await askFor(
    prompter,
    "registry.min_len: shortest value to protect, in characters? (a whole number, 1 to 9999)",
    String(now.min_len),
    now.min_len,
    (a) => (/^[1-9]\d{0,3}$/.test(a) ? Number(a) : undefined),
  );

  const presets: Managed["presets"] = [...now.presets];
  for (const preset of PRESETS) {
    const { cli, label } = PRESET_CLIS[preset];
    if (presets.includes(preset) || !runtime.which(cli, { PATH: env.PATH ?? "" })) continue;
    const wanted = await askFor(
      prompter,
      `registry.presets: \`${cli}\` is on PATH; also protect the secrets ${label} hands out? ` +
        "(yes or no)",
      "y/N",
      false,
      yesNo,
    );
    if (wanted) presets.push(preset);
  }

  let exclude = now.exclude_names;
  if (prompter) {
    const chosen: Settings = {
      ...current,
      registry: {
        ...now,
        dotenv,
        dotenv_files: dotenvFiles,
        process_env: processEnv,
        min_len: minLen,
        presets,
        exclude_names: [],
      },
    };
    const { secrets } = await loadRegistry(chosen, {
      cwd,
      env,
      credentialFiles: allCredentialFiles(),
    });
    if (secrets.length === 0) say("no value would be protected in this directory yet.");
    else say(`values that would be protected here (names and sources, never values):`);
    for (const secret of secrets) say(`  ${secret.name}  (${secret.source})`);
    exclude = await askFor(
      prompter,
      "registry.exclude_names: variable names never to protect? (names, comma-separated; " +
        "'-' for none)",
      exclude.join(", ") || "none",
      exclude,
      list,
    );
  }

  const managed: Managed = {
    dotenv,
    dotenv_files: dotenvFiles,
    process_env: processEnv,
    min_len: minLen,
    exclude_names: exclude,
    presets,
  };
  const written = writeConfig(file, existing, managed);
  if (written instanceof ConfigError) {
    say(`setup: the new configuration is invalid, nothing written: ${written.message}`);
    return 1;
  }
  say(written);

  const install = options.install &&
    await askFor(
      prompter,
      "install the `codex` shim, so that `codex` runs through ficta (ficta install)? (yes or no)",
      "Y/n",
      true,
      yesNo,
    );
  if (!install) {
    say("run `ficta install` when you want `codex` itself to run through ficta.");
    return 0;
  }
  return installAndReport(env, { shell: true });
}

/** Merges the managed keys into the existing document, validates, writes 0600. */
function writeConfig(
  file: string,
  existing: Existing,
  managed: Managed,
): string | ConfigError {
  // In place first, so the file keeps its comments and layout; a whole new document otherwise.
  const edited = setTableKeys(existing.text ?? "", "registry", { ...managed });
  const registry = existing.doc.registry;
  const doc = {
    ...existing.doc,
    registry: { ...(typeof registry === "object" && registry ? registry : {}), ...managed },
  };
  const text = edited ?? stringifyToml(doc) + "\n";
  try {
    parseConfig(text, file);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  if (existing.text === text) return `config unchanged: ${file}`;
  const backup = edited === null && existing.text !== null;
  if (backup) writePrivateFile(`${file}.bak`, existing.text!);
  writePrivateFile(file, text);
  return `config written: ${file}${backup ? ` (previous file kept as ${file}.bak)` : ""}`;
}
