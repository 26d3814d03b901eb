/**
 * Claude Code's own login file: always protected values, whatever the registry settings. An
 * agent that runs `cat ~/.claude/.credentials.json` would otherwise send its refresh token to the
 * model. (The credential variables are registered from the environment; `Agent.credentialNames`.) The `x-api-key` / `authorization` headers Claude Code builds
 * from them are forwarded untouched (only bodies, queries and non-auth headers are redacted).
 */
import { readFileSync } from "node:fs";
import type { Env } from "../../config/paths.ts";
import type { CredentialFile, Found, SourceOutput } from "../../registry/found.ts";
import { credentialsPath } from "./claude.ts";

export const CLAUDE_CREDENTIALS_SOURCE = "claude .credentials.json";

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

/** ~/.claude/.credentials.json (a Claude account login): always protected, stored, watched. */
export const claudeCredentialsFile: CredentialFile = {
  agent: "claude",
  path: credentialsPath,
  read(env: Env): SourceOutput {
    const path = credentialsPath(env);
    const output: SourceOutput = {
      kind: "claude",
      name: CLAUDE_CREDENTIALS_SOURCE,
      status: "loaded",
      found: [],
      skipped: {},
    };
    try {
      output.found = credentialsIn(readFileSync(path, "utf8"));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      output.status = code === "ENOENT" ? "not found" : "error";
      if (code !== "ENOENT") output.error = `${path}: cannot read (${code ?? "error"})`;
    }
    return output;
  },
};
