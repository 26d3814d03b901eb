/**
 * Codex's own credentials, `$CODEX_HOME/auth.json`: always protected, whatever the settings. An
 * agent that reads the file (`cat ~/.codex/auth.json`) would otherwise send the refresh token,
 * which no shape check recognises, to the model.
 *
 * Only the request body, query and non-auth headers are redacted: the `Authorization` and
 * `chatgpt-account-id` headers Codex builds from this file are forwarded untouched, as before.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Env } from "../../config/paths.ts";
import type { CredentialFile, Found, SourceOutput } from "../../registry/found.ts";
import { codexHome } from "./auth.ts";

const CODEX_AUTH_SOURCE = "codex auth.json";

export function codexAuthPath(env: Env): string {
  return join(codexHome(env), "auth.json");
}

/**
 * auth.json for the registry, and `$CODEX_HOME/.env`, which Codex loads into its own environment
 * (its commands inherit it).
 */
export const codexAuthFile: CredentialFile = {
  agent: "codex",
  path: codexAuthPath,
  read: readCodexAuth,
  dotenv: (env) => join(dirname(codexAuthPath(env)), ".env"),
  locationVariables: ["CODEX_HOME"],
};

/** A UUID-like or short account id is an identifier, not a credential. */
function secretShaped(value: string): boolean {
  if (value.length < 20) return false;
  if (/^(?:[a-z]+-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
    return false;
  }
  return /[A-Za-z]/.test(value) && /\d/.test(value);
}

function readCodexAuth(env: Env): SourceOutput {
  const path = codexAuthPath(env);
  const output: SourceOutput = {
    kind: "codex",
    name: CODEX_AUTH_SOURCE,
    status: "loaded",
    found: [],
    skipped: {},
  };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    output.status = code === "ENOENT" ? "not found" : "error";
    if (code !== "ENOENT") output.error = `${path}: cannot read (${code ?? "error"})`;
    return output;
  }
  output.found = credentialsIn(text);
  if (output.found.length === 0 && text.trim() !== "") {
    // Not JSON we understand: its text may still hold a credential.
    try {
      JSON.parse(text);
    } catch {
      output.status = "error";
      output.error = `${path}: not JSON`;
    }
  }
  return output;
}

/** Every string credential in an auth.json text; the account id only when it is secret-shaped. */
export function credentialsIn(text: string): Found[] {
  let auth: Record<string, unknown>;
  try {
    auth = JSON.parse(text);
  } catch {
    return [];
  }
  if (typeof auth !== "object" || auth === null) return [];
  const found: Found[] = [];
  const add = (name: string, value: unknown) => {
    if (typeof value === "string" && value.trim() !== "") {
      found.push({ name: `codex ${name}`, value: value.trim() });
    }
  };
  add("OPENAI_API_KEY", auth.OPENAI_API_KEY);
  const tokens = auth.tokens as Record<string, unknown> | null | undefined;
  if (tokens && typeof tokens === "object") {
    for (const [name, value] of Object.entries(tokens)) {
      if (name === "account_id") {
        if (typeof value === "string" && secretShaped(value)) add(name, value);
      } else add(name, value);
    }
  }
  return found;
}
