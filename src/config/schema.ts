/**
 * The configuration schema: the single source of truth for every key, its type, default,
 * description and environment variables. README's key table is generated from it
 * (`bun run docs`) and a test keeps the two in agreement.
 *
 * Agents' sections live here too (`upstream`, one section per agent such as `codex`): config sits
 * below the agents in the layer order, the file is read before any agent is chosen (`ficta
 * doctor`, `ficta config`, the generated key table), and the proxy and the session read the
 * typed `Settings`. An agent reads its section through its own functions (`Agent.configuredPath`,
 * `ProxyAgent.upstreams`), so only this file and the agent's folder name its keys
 * (docs/architecture.md, "Settings").
 */
import { z } from "zod";
import { upstreamProblem } from "./upstream.ts";

/** Metadata carried by every leaf key; `env` lists extra variable names besides the canonical one. */
export interface KeyMeta {
  description: string;
  env?: string[];
}

function key<T extends z.ZodType>(schema: T, meta: KeyMeta): T {
  return schema.meta(meta as unknown as Record<string, unknown>) as T;
}

const upstreamUrl = z.string().superRefine((url, ctx) => {
  const problem = upstreamProblem(url);
  if (problem) ctx.addIssue({ code: "custom", message: `upstream URL ${problem}` });
});

export const PROCESS_ENV_MODES = ["secret-ish", "all", "off"] as const;
const RESTORE_POLICIES = ["all", "none"] as const;
const COMMAND_FORMATS = ["auto", "json", "dotenv"] as const;
export const PRESETS = ["doppler", "1password", "infisical"] as const;

const commandSource = z.object({
  name: z.string().min(1),
  argv: z.array(z.string()).min(1),
  format: z.enum(COMMAND_FORMATS).default("auto"),
  timeout_ms: z.number().int().positive().default(10_000),
  /** Variables passed to the command besides PATH, HOME and locale: names or `PREFIX_*`. */
  env: z.array(z.string().min(1)).optional(),
}).strict();

export const schema = z.object({
  registry: z.object({
    min_len: key(z.number().int().min(1).default(8), {
      description: "Values shorter than this many characters are not protected.",
    }),
    exclude_names: key(z.array(z.string()).default([]), {
      description: "Variable names never to protect (comma-separated in the environment).",
    }),
    dotenv: key(z.boolean().default(true), {
      description: "Protect the values in .env files.",
    }),
    dotenv_files: key(z.array(z.string()).default([".env", ".env.*"]), {
      description:
        "Dotenv file names or `*` patterns to read; templates (.env.example, .env.sample, .env.template, .env.dist) are always skipped.",
    }),
    dotenv_search: key(z.enum(["up-to-root", "cwd"]).default("up-to-root"), {
      description:
        "Where to look for dotenv files: the launch directory and each parent up to the repository root, or the launch directory only.",
    }),
    process_env: key(z.enum(PROCESS_ENV_MODES).default("secret-ish"), {
      description:
        "Which environment variables to protect: names with a secret word or values with a credential shape (secret-ish), every value (all), none (off).",
    }),
    require: key(z.union([z.boolean(), z.array(z.string().min(1))]).default(false), {
      description:
        "CI's fail-closed switch: true, or a list of names that must each be protected (comma-separated in the environment). Refuses to launch when a source fails, a configured preset is missing, a secret-ish variable is empty, a required name is absent, or nothing but Codex's own credentials is protected.",
      env: ["FICTA_REQUIRE_REGISTRY"],
    }),
    presets: key(z.array(z.enum(PRESETS)).default([]), {
      description: "Secret-manager presets to read from, when their CLI is on PATH.",
    }),
    doppler_project: key(z.string().default(""), {
      description: "Doppler project the doppler preset exports (empty: the directory's setup).",
    }),
    doppler_config: key(z.string().default(""), {
      description:
        "Doppler config the doppler preset exports, e.g. `prd` (empty: the directory's setup).",
    }),
    infisical_env: key(z.string().default(""), {
      description:
        "Infisical environment the infisical preset exports, e.g. `prod` (empty: the CLI's default, `dev`).",
    }),
    infisical_project_id: key(z.string().default(""), {
      description:
        "Infisical project id the infisical preset exports from (empty: the directory's .infisical.json).",
    }),
    onepassword_refs: key(z.array(z.string().min(1)).default([]), {
      description:
        "`NAME=op://vault/item/field` references the 1password preset resolves, besides those found in dotenv files and the environment.",
    }),
    command: key(z.array(commandSource).default([]), {
      description:
        "Secret-manager commands ([[registry.command]]: name, argv, format, timeout_ms, env) whose JSON or dotenv output is protected; `env` lists the variables (names or `PREFIX_*`) the command may see besides PATH, HOME and locale. JSON in the environment.",
    }),
    include_names: key(z.array(z.string()).default([]), {
      description:
        "Variable names or `*` patterns always protected: an environment variable whatever its name, a value even when it looks like a plain setting; a name in both lists is protected (comma-separated in the environment).",
    }),
    dotenv_depth: key(z.number().int().min(0).max(64).default(4), {
      description:
        "How many directory levels below the launch directory are searched for dotenv files (0: none).",
    }),
    dotenv_max_files: key(z.number().int().min(0).default(500), {
      description: "Most dotenv files read from below the launch directory.",
    }),
    dotenv_skip_dirs: key(
      z.array(z.string()).default([
        "node_modules",
        ".git",
        "vendor",
        "third_party",
        "dist",
        "build",
        "out",
        "target",
        ".next",
        ".nuxt",
        ".venv",
        "venv",
        "__pycache__",
        ".cache",
        "coverage",
        ".terraform",
        "Pods",
        "bower_components",
        ".gradle",
      ]),
      {
        description:
          "Directory names or `*` patterns not searched for dotenv files below the launch directory.",
      },
    ),
    store: key(z.boolean().default(true), {
      description:
        "Remember every protected value (encrypted) and keep protecting it in later launches from any directory, until `ficta registry forget`.",
    }),
    store_max: key(z.number().int().min(1).default(20_000), {
      description: "Most values remembered; beyond it the least recently seen are forgotten.",
    }),
    watch: key(z.boolean().default(true), {
      description:
        "Watch the dotenv files (and new ones where the registry looks) and Codex's auth.json during a session; new values are protected from the next request on.",
    }),
  }).strict().prefault({}),
  detect: z.object({
    shapes: key(z.boolean().default(true), {
      description:
        "Catch well-known credential formats in outgoing requests even when no source registered them.",
    }),
    disabled_formats: key(z.array(z.string()).default([]), {
      description: "Credential formats not to detect (names as listed by `ficta registry`).",
    }),
    encoded: key(z.boolean().default(true), {
      description: "Also catch registered values base64- or hex-encoded.",
    }),
  }).strict().prefault({}),
  // The model providers' base URLs, by provider (an agent's `ProxyAgent.upstreams` picks its own).
  upstream: z.object({
    chatgpt: key(upstreamUrl.default("https://chatgpt.com"), {
      description: "Where ChatGPT-login traffic goes.",
      env: ["FICTA_CHATGPT_UPSTREAM"],
    }),
    openai: key(upstreamUrl.default("https://api.openai.com"), {
      description: "Where API-key traffic goes.",
      env: ["FICTA_OPENAI_UPSTREAM"],
    }),
  }).strict().prefault({}),
  proxy: z.object({
    max_body_mb: key(z.number().positive().max(4096).default(256), {
      description: "Largest request body accepted, compressed or decoded, in MiB.",
    }),
    restore_into_tools: key(z.enum(RESTORE_POLICIES).default("all"), {
      description:
        "Restore real values into the model's tool calls (all), or leave surrogates there and restore only text (none).",
    }),
  }).strict().prefault({}),
  log: z.object({
    enabled: key(z.boolean().default(true), {
      description:
        "Write the per-session request log; off writes no log file (the exit summary stays). An unwritable log directory falls back to the CI temp directory ($RUNNER_TEMP, or the system one when CI is set).",
    }),
    quiet: key(z.boolean().default(false), {
      description: "Per-request lines show model turns only, not housekeeping calls.",
      env: ["FICTA_QUIET"],
    }),
    bodies: key(z.boolean().default(false), {
      description: "Also log the request bodies as sent upstream (already redacted).",
    }),
    keep_sessions: key(z.number().int().min(1).default(20), {
      description: "How many sessions' logs to keep.",
    }),
    max_total_mb: key(z.number().positive().default(100), {
      description: "Cap on the total size of kept logs, in MiB.",
    }),
  }).strict().prefault({}),
  // One section per agent: where its real executable is (`Agent.configuredPath` reads it).
  codex: z.object({
    path: key(z.string().default(""), {
      description:
        "The real Codex executable; empty means the first `codex` on PATH that is not ficta's shim.",
      env: ["FICTA_REAL_CODEX"],
    }),
  }).strict().prefault({}),
}).strict();

export type Settings = z.infer<typeof schema>;
export type CommandSource = z.infer<typeof commandSource>;

/** One configurable key, as documentation and the environment see it. */
export interface KeyInfo {
  section: string;
  name: string;
  /** `section.name` */
  path: string;
  /** Canonical variable first, then aliases. */
  env: string[];
  description: string;
  schema: z.ZodType;
  defaultValue: unknown;
}

type AnyObject = z.ZodObject<Record<string, z.ZodType>>;

function sectionShape(section: z.ZodType): AnyObject {
  let node = section as z.ZodType & { def: { innerType?: z.ZodType } };
  while (!(node instanceof z.ZodObject)) node = node.def.innerType as typeof node;
  return node as unknown as AnyObject;
}

/** Every key of the schema, in declaration order. */
export function keys(): KeyInfo[] {
  const defaults = schema.parse({}) as Record<string, Record<string, unknown>>;
  const out: KeyInfo[] = [];
  for (const [section, sectionSchema] of Object.entries(schema.shape)) {
    for (const [name, leaf] of Object.entries(sectionShape(sectionSchema).shape)) {
      const meta = leaf.meta() as unknown as KeyMeta;
      out.push({
        section,
        name,
        path: `${section}.${name}`,
        env: [`FICTA_${section}_${name}`.toUpperCase(), ...(meta.env ?? [])],
        description: meta.description,
        schema: leaf,
        defaultValue: defaults[section][name],
      });
    }
  }
  return out;
}

export function defaults(): Settings {
  return schema.parse({});
}
