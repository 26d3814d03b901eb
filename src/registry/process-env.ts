/**
 * The process-environment source. In `secret-ish` mode a variable is protected when its name,
 * split into words, says it holds a secret, or when its value has a well-known credential shape.
 *
 * Names are matched word by word, never by substring: `AUTHOR`, `KEYBOARD_LAYOUT`, `PASSENGER`
 * and `ZIP_CODE` hold no secret word. A secret word followed by a word that says the variable
 * describes the secret rather than holding it (`SSH_AUTH_SOCK`, `TOKEN_URL`, `KEY_ID`,
 * `SESSION_TYPE`, `PASSWORD_MIN_LENGTH`) does not count; the value's shape still can (an
 * `AWS_ACCESS_KEY_ID` is an `AKIA...` id). Long secret words also count at the end of a glued
 * word (`PGPASSWORD`, `GHTOKEN`, `OPENAIAPIKEY`); `API` and `ADMIN` count only as the last word
 * (`SENDGRID_API`, `ALGOLIA_ADMIN`, not `API_URL`). After a webhook word (`SLACK_HOOK_URL`) the
 * URL is the secret itself.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import type { Env } from "../config/paths.ts";
import { looksLikeCredential } from "../core/mod.ts";
import { nameMatcher, platformNames } from "./ci-platforms.ts";
import { countSkip, type SourceOutput } from "./found.ts";

const SECRET_WORDS = new Set([
  "KEY",
  "KEYS",
  "APIKEY",
  "TOKEN",
  "TOKENS",
  "SECRET",
  "SECRETS",
  "PASSWORD",
  "PASSWORDS",
  "PASSWD",
  "PASS",
  "PWD",
  "PW",
  "PASSPHRASE",
  "PASSCODE",
  "AUTH",
  "CREDENTIAL",
  "CREDENTIALS",
  "CRED",
  "CREDS",
  "PRIVATE",
  "SIGNATURE",
  "SESSION",
  "COOKIE",
  "COOKIES",
  "DSN",
  "JWT",
  "BEARER",
  "PAT",
  "SALT",
  "OTP",
  "TOTP",
  "WEBHOOK",
  "WEBHOOKS",
  "HOOK",
  "HOOKS",
  "CONNECTIONSTRING",
  "MASTER",
  "SIGNING",
  "KEYSTORE",
  "KEYSTORES",
  "KEYCHAIN",
  "KUBECONFIG",
  "PFX",
  "P12",
]);

/**
 * Words that hold a secret only as the last word of the name: `SENDGRID_API`, `DD_API`,
 * `ALGOLIA_ADMIN` are keys, while `API_URL`, `OPENAI_API_BASE` and `ADMIN_EMAIL` are not.
 */
const LAST_WORD_SECRETS = new Set(["API", "ADMIN"]);

/** Words after which a URL is itself the secret (a webhook's URL carries its token). */
const URL_SECRETS = new Set(["WEBHOOK", "WEBHOOKS", "HOOK", "HOOKS"]);

/** Secret words long enough to be recognised at the end of a glued word such as `PGPASSWORD`. */
const GLUED_SUFFIXES = [
  "PASSWORD",
  "PASSWD",
  "PASSPHRASE",
  "SECRET",
  "TOKEN",
  "APIKEY",
  "ACCESSKEY",
  "SECRETKEY",
  "PRIVATEKEY",
];

/** After a secret word, these make the variable a description of the secret, not the secret. */
const QUALIFIERS = new Set([
  "URL",
  "URLS",
  "URI",
  "ENDPOINT",
  "HOST",
  "HOSTNAME",
  "PORT",
  "ADDR",
  "ADDRESS",
  "DOMAIN",
  "SERVER",
  "FILE",
  "FILES",
  "FILENAME",
  "PATH",
  "DIR",
  "DIRECTORY",
  "FOLDER",
  "SOCK",
  "SOCKET",
  "PID",
  "ID",
  "IDS",
  "UID",
  "NAME",
  "NAMES",
  "USER",
  "USERNAME",
  "EMAIL",
  "TYPE",
  "KIND",
  "CLASS",
  "MODE",
  "METHOD",
  "ALG",
  "ALGORITHM",
  "FORMAT",
  "LENGTH",
  "LEN",
  "SIZE",
  "BITS",
  "TTL",
  "TIMEOUT",
  "EXPIRY",
  "EXPIRES",
  "EXPIRATION",
  "LIFETIME",
  "AGE",
  "COUNT",
  "LIMIT",
  "MAX",
  "MIN",
  "ENABLED",
  "DISABLED",
  "ENABLE",
  "DISABLE",
  "REQUIRED",
  "PROVIDER",
  "HELPER",
  "COMMAND",
  "CMD",
  "PROGRAM",
  "VERSION",
  "REGION",
  "SCOPE",
  "SCOPES",
  "AUDIENCE",
  "ISSUER",
  "REALM",
  "CALLBACK",
  "REDIRECT",
  "PREFIX",
  "MANAGER",
  "DESKTOP",
  "BUS",
  "BRANCH",
]);

/** Well-known variables whose names contain a secret word but whose values never are secrets. */
const NOT_SECRETS = new Set(["PWD", "OLDPWD", "DESKTOP_SESSION", "SESSION_MANAGER"]);

/** The name split on `_`, `-`, `.` and camelCase humps, upper-cased: `awsSecretKey` -> AWS SECRET KEY. */
export function nameWords(name: string): string[] {
  return (name.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g) ?? []).map((w) => w.toUpperCase());
}

export function isSecretishName(name: string): boolean {
  if (NOT_SECRETS.has(name)) return false;
  const words = nameWords(name);
  let last = -1;
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (
      SECRET_WORDS.has(word) || SECRET_WORDS.has(word + (words[i + 1] ?? "")) ||
      GLUED_SUFFIXES.some((suffix) => word.endsWith(suffix)) ||
      (i === words.length - 1 && LAST_WORD_SECRETS.has(word))
    ) {
      last = i;
    }
  }
  if (last < 0) return false;
  const after = words.slice(last + 1);
  const describes = URL_SECRETS.has(words[last])
    ? after.some((w) => QUALIFIERS.has(w) && w !== "URL" && w !== "URI")
    : after.some((w) => QUALIFIERS.has(w));
  return !describes;
}

/** A value naming an existing file or directory is a path to a secret, not the secret. */
function isExistingPath(value: string, env: Env): boolean {
  let path: string;
  if (value.startsWith("/")) path = value;
  else if (value.startsWith("~/") && env.HOME) path = join(env.HOME, value.slice(2));
  else if (/^[A-Za-z]:[\\/]/.test(value)) path = value;
  else return false;
  return statSync(path, { throwIfNoEntry: false }) !== undefined;
}

/** Which variables `readProcessEnv` takes whatever they look like, and which it leaves. */
export interface ProcessEnvOptions {
  /** Names or `*` patterns protected whatever their name or value looks like. */
  include?: readonly string[];
  /**
   * Names that hold no secret, skipped in `all` mode like the system's: the agents' variables
   * that say where their files are (`CredentialFile.locationVariables`).
   */
  plain?: readonly string[];
}

/**
 * `include` names are protected whatever their name or value looks like. A secret-ish variable
 * that is set but empty is listed in `empty`: in CI it is usually a secret the job was not given
 * (a fork's pull request, a missing mapping). In `all` mode, the variables the system and the
 * detected CI platform set for every job, and the agents' `plain` ones, are skipped.
 *
 * ```ts
 * readProcessEnv(process.env, "secret-ish", { include: ["APP_*"] });
 * ```
 */
export function readProcessEnv(
  env: Env,
  mode: "secret-ish" | "all" | "off",
  { include = [], plain = [] }: ProcessEnvOptions = {},
): SourceOutput {
  const output: SourceOutput = {
    kind: "env",
    name: "environment",
    status: mode === "off" ? "disabled" : "loaded",
    found: [],
    skipped: {},
    empty: [],
  };
  if (mode === "off") return output;
  const included = nameMatcher(include);
  const { isPlatformName } = platformNames(env);
  const isPlain = nameMatcher(plain);
  for (const [name, value] of Object.entries(env)) {
    // ficta's own settings are not secrets; its surrogate key is protected by the registry itself.
    if (value === undefined || name.startsWith("FICTA_")) continue;
    if (value === "") {
      if (included(name) || isSecretishName(name)) output.empty!.push(name);
      continue;
    }
    if (included(name) || looksLikeCredential(value)) {
      output.found.push({ name, value });
      continue;
    }
    if (mode === "all") {
      if (!isSecretishName(name) && (isPlatformName(name) || isPlain(name))) {
        countSkip(output.skipped, "CI or system variable");
        continue;
      }
    } else {
      if (!isSecretishName(name)) {
        countSkip(output.skipped, "not secret-ish");
        continue;
      }
      if (isExistingPath(value, env)) {
        countSkip(output.skipped, "a path");
        continue;
      }
    }
    output.found.push({ name, value });
  }
  return output;
}
