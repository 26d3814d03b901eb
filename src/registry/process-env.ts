/**
 * The process-environment source. In `secret-ish` mode a variable is protected when its name,
 * split into words, says it holds a secret, or when its value has a well-known credential shape.
 *
 * Names are matched word by word, never by substring: `AUTHOR`, `KEYBOARD_LAYOUT`, `PASSENGER`
 * and `ZIP_CODE` hold no secret word. A secret word followed by a word that says the variable
 * describes the secret rather than holding it (`SSH_AUTH_SOCK`, `TOKEN_URL`, `KEY_ID`,
 * `SESSION_TYPE`, `PASSWORD_MIN_LENGTH`) does not count; the value's shape still can (an
 * `AWS_ACCESS_KEY_ID` is an `AKIA...` id). Long secret words also count at the end of a glued
 * word (`PGPASSWORD`, `GHTOKEN`, `OPENAIAPIKEY`).
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import type { Env } from "../config/paths.ts";
import { looksLikeCredential } from "../engine/shapes.ts";
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
  "CONNECTIONSTRING",
]);

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
      GLUED_SUFFIXES.some((suffix) => word.endsWith(suffix))
    ) {
      last = i;
    }
  }
  if (last < 0) return false;
  const after = words.slice(last + 1);
  // A webhook's URL is the secret itself.
  const describes = words[last] === "WEBHOOK"
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

export function readProcessEnv(env: Env, mode: "secret-ish" | "all" | "off"): SourceOutput {
  const output: SourceOutput = {
    kind: "env",
    name: "environment",
    status: mode === "off" ? "disabled" : "loaded",
    found: [],
    skipped: {},
  };
  if (mode === "off") return output;
  for (const [name, value] of Object.entries(env)) {
    // ficta's own settings are not secrets; its surrogate key is protected by the registry itself.
    if (value === undefined || value === "" || name.startsWith("FICTA_")) continue;
    if (mode === "secret-ish") {
      if (looksLikeCredential(value)) {
        output.found.push({ name, value });
        continue;
      }
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
