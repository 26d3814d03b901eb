/**
 * Claude Code's own credentials: always protected values, whatever the registry settings. An
 * agent that runs `cat ~/.claude/.credentials.json` or `env` would otherwise send its refresh
 * token or API key to the model. The `x-api-key` / `authorization` headers Claude Code builds
 * from them are forwarded untouched (only bodies, queries and non-auth headers are redacted).
 */
import { readFileSync } from "node:fs";
import type { Env } from "../../config/paths.ts";
import type { Found, SourceOutput } from "../../registry/found.ts";
import { CREDENTIAL_ENV, credentialsPath } from "./claude.ts";

export const CLAUDE_CREDENTIALS_SOURCE = "claude credentials";

/** Every credential-looking string of a .credentials.json text (tokens, not scopes or dates). */
export function credentialsIn(text: string): Found[] {
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch {
    return [];
  }
  const found: Found[] = [];
  const visit = (value: unknown, path: string) => {
    if (typeof value === "string") {
      // Tokens (sk-ant-oat01-..., sk-ant-ort01-...) and any other long opaque string.
      if (value.length >= 20 && /[A-Za-z]/.test(value) && /\d/.test(value) && !/\s/.test(value)) {
        found.push({ name: `claude ${path}`, value });
      }
    } else if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) {
        if (key === "scopes" || key === "subscriptionType" || key === "expiresAt") continue;
        visit(inner, path ? `${path}.${key}` : key);
      }
    }
  };
  visit(file, "");
  return found;
}

/** The login file's tokens and the credential variables set for this launch. */
export function readClaudeCredentials(env: Env): SourceOutput {
  const output: SourceOutput = {
    kind: "codex", // "agent credentials": protected whatever the lists say (see registry/index.ts)
    name: CLAUDE_CREDENTIALS_SOURCE,
    status: "loaded",
    found: [],
    skipped: {},
  };
  for (const name of CREDENTIAL_ENV) {
    const value = env[name]?.trim();
    if (value) output.found.push({ name, value });
  }
  const path = credentialsPath(env);
  try {
    output.found.push(...credentialsIn(readFileSync(path, "utf8")));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") {
      output.status = "error";
      output.error = `${path}: cannot read (${code ?? "error"})`;
    }
  }
  if (output.found.length === 0 && output.status === "loaded") output.status = "not found";
  return output;
}
