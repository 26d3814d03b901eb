/**
 * How Codex is logged in for this launch, read from the shape of `$CODEX_HOME/auth.json` (never a
 * token) and the presence of the key variables.
 *
 * ```ts
 * describeAuthMode(detectAuthMode(process.env)); // "ChatGPT login"
 * ```
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Env, userHome } from "../../config/paths.ts";

/** How Codex will authenticate its model requests in this launch. */
export type AuthMode =
  | "chatgpt" // auth.json from `codex login` with a ChatGPT account
  | "apikey-login" // auth.json from `codex login --with-api-key`
  | "codex-api-key" // CODEX_API_KEY in the environment (beats a ChatGPT auth.json)
  | "openai-api-key" // only OPENAI_API_KEY in the environment
  | "none"; // not logged in: Codex itself asks for a login

export function codexHome(env: Env): string {
  return env.CODEX_HOME || join(userHome(env), ".codex");
}

/** Reads only the shape of auth.json (never a token) and the presence of the key variables. */
export function detectAuthMode(env: Env): AuthMode {
  const login = loginKind(join(codexHome(env), "auth.json"));
  if (env.CODEX_API_KEY) return "codex-api-key";
  if (login) return login;
  if (env.OPENAI_API_KEY) return "openai-api-key";
  return "none";
}

function loginKind(file: string): "chatgpt" | "apikey-login" | undefined {
  let auth: { auth_mode?: unknown; tokens?: unknown; OPENAI_API_KEY?: unknown };
  try {
    auth = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
  if (typeof auth !== "object" || auth === null) return undefined;
  if (auth.auth_mode === "apikey") return "apikey-login";
  if (auth.auth_mode === "chatgpt" || (auth.tokens && typeof auth.tokens === "object")) {
    return "chatgpt";
  }
  if (typeof auth.OPENAI_API_KEY === "string" && auth.OPENAI_API_KEY) return "apikey-login";
  return undefined;
}

export function describeAuthMode(mode: AuthMode): string {
  switch (mode) {
    case "chatgpt":
      return "ChatGPT login";
    case "apikey-login":
      return "API-key login";
    case "codex-api-key":
      return "CODEX_API_KEY";
    case "openai-api-key":
      return "OPENAI_API_KEY";
    case "none":
      return "not logged in";
  }
}
