/** Loads settings: defaults < config file < environment, validated by the schema. */
import { readFileSync } from "node:fs";
import { parse as parseToml, TomlError } from "smol-toml";
import type { z } from "zod";
import { type Env, paths } from "./paths.ts";
import { configFileWarnings } from "./settings-cache.ts";
import { jsonProblem } from "./json-position.ts";
import { parseSwitch, SWITCH_SPELLINGS } from "./switch.ts";
import { type KeyInfo, keys, schema, type Settings } from "./schema.ts";

export class ConfigError extends Error {
  constructor(message: string, readonly file: string, readonly key?: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export interface LoadedConfig {
  settings: Settings;
  file: string;
  exists: boolean;
  /** One line each; the caller prints them once. */
  warnings: string[];
}

type Table = Record<string, unknown>;

/** `read`: the config file's text as the caller already read it (undefined: no file). */
export function loadConfig(
  env: Env = process.env,
  read?: { text: string | undefined },
): LoadedConfig {
  const file = paths(env).config;
  const text = read ? read.text : readConfigText(file);
  const loaded = parseConfig(text, file, env);
  loaded.warnings.push(...configFileWarnings(file, text));
  return loaded;
}

/** The config file's text, undefined when there is none; any other read failure is an error. */
export function readConfigText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    // ENOTDIR: a path component is a file (a home that is not a directory): no config either.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`, file);
  }
}

/** Pure core of loadConfig: `text` is the file's content, undefined when there is no file. */
export function parseConfig(text: string | undefined, file: string, env: Env = {}): LoadedConfig {
  const warnings: string[] = [];
  const raw = text === undefined ? {} : parseTomlText(text, file);
  const known = keys();
  const merged: Record<string, Table> = {};
  for (const [section, value] of Object.entries(raw)) {
    if (!known.some((k) => k.section === section)) {
      warnings.push(`config ${file}: unknown section [${section}] ignored`);
      continue;
    }
    if (!isTable(value)) {
      throw new ConfigError(`config ${file}: [${section}] must be a table`, file, section);
    }
    merged[section] = {};
    for (const [name, v] of Object.entries(value)) {
      if (known.some((k) => k.section === section && k.name === name)) merged[section][name] = v;
      else warnings.push(`config ${file}: unknown key ${section}.${name} ignored`);
    }
  }

  const fromEnv = new Map<string, string>();
  for (const info of known) {
    const variable = info.env.find((name) => env[name] !== undefined && env[name] !== "");
    if (!variable) continue;
    (merged[info.section] ??= {})[info.name] = envValue(info, env[variable]!, variable, file);
    fromEnv.set(info.path, variable);
  }

  const result = schema.safeParse(merged);
  if (!result.success) throw describeIssue(result.error.issues[0], file, fromEnv);
  return { settings: result.data, file, exists: text !== undefined, warnings };
}

function parseTomlText(text: string, file: string): Table {
  try {
    return parseToml(text) as Table;
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
      throw new ConfigError(
        `config ${file}:${error.line}:${error.column}: invalid TOML: ${reason}`,
        file,
      );
    }
    throw error;
  }
}

function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Environment strings become the type the key expects; the schema then validates them. */
function envValue(info: KeyInfo, text: string, variable: string, file: string): unknown {
  const wanted = info.defaultValue;
  if (typeof wanted === "boolean") {
    const on = parseSwitch(text);
    if (on !== undefined) return on;
    // A switch that also takes a list of names (registry.require).
    if (info.schema.safeParse(["NAME"]).success) return listValue(info, text, variable, file);
    throw new ConfigError(
      `${variable}: expected ${SWITCH_SPELLINGS}`,
      file,
      info.path,
    );
  }
  if (typeof wanted === "number") {
    const n = Number(text);
    return text.trim() === "" || Number.isNaN(n) ? text : n;
  }
  if (Array.isArray(wanted)) return listValue(info, text, variable, file);
  return text;
}

/** Comma-separated, or a JSON array; a list of tables ([[registry.command]]) is JSON only. */
function listValue(info: KeyInfo, text: string, variable: string, file: string): unknown {
  const tables = info.path === "registry.command";
  if (!tables && !text.trim().startsWith("[")) {
    return text.split(",").map((s) => s.trim()).filter(Boolean);
  }
  const problem = jsonProblem(text);
  if (problem) {
    // Position and reason only: the text itself may hold a credential.
    throw new ConfigError(
      `${variable}: invalid JSON at line ${problem.line}, column ${problem.column} ` +
        `(position ${problem.position}): ${problem.reason}`,
      file,
      info.path,
    );
  }
  const parsed = JSON.parse(text);
  // One command may be given as an object instead of a one-element array.
  return tables && isTable(parsed) ? [parsed] : parsed;
}

function describeIssue(issue: z.core.$ZodIssue, file: string, fromEnv: Map<string, string>) {
  const keyPath = issue.path.map((
    p,
    i,
  ) => (typeof p === "number" ? `[${p}]` : i ? `.${String(p)}` : String(p)))
    .join("");
  const topKey = issue.path.slice(0, 2).join(".");
  const where = fromEnv.has(topKey)
    ? `environment variable ${fromEnv.get(topKey)} (key ${keyPath})`
    : `config ${file}: key ${keyPath}`;
  const message = issue.code === "unrecognized_keys"
    ? `unknown key(s) ${issue.keys.join(", ")}`
    : issue.message.replace(/^Invalid (input|option): /, "");
  return new ConfigError(`${where}: ${message}`, file, keyPath);
}
