/**
 * Tying a `/backend-api/*` request to this launch. Codex sends no provider header there (so no
 * launch token), but every such call except the unauthenticated `ps/mcp` carries the same
 * `authorization` Codex sends to the model: `Bearer <access_token>` from its auth.json (measured on
 * 0.169 and 0.171). A foreign local process does not know it, so a call with any other
 * `authorization` is refused before its body is read.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import type { AuthorizationBinding } from "../../proxy/mod.ts";

/**
 * A binding to Codex's own credentials: auth.json's access token or API key, and the API key
 * variables Codex reads. auth.json is re-read when it changed (Codex writes a refreshed token
 * there before using it). Returns null when no credential is known (not logged in, or a login kept
 * in the OS keyring): then nothing can tell Codex's calls apart, and the caller falls back to
 * treating them as untrusted.
 */
export function authorizationBinding(
  authFile: string,
  envKeys: (string | undefined)[],
): AuthorizationBinding | null {
  const fixed = envKeys.filter((key): key is string => !!key).map((key) => digest(`Bearer ${key}`));
  let stamp = "";
  let fromFile: Uint8Array[] = [];
  const refresh = () => {
    let now: string;
    try {
      const stat = statSync(authFile);
      now = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch {
      now = "absent";
    }
    if (now === stamp) return;
    stamp = now;
    fromFile = credentials(authFile).map((value) => digest(`Bearer ${value}`));
  };
  refresh();
  if (!fixed.length && !fromFile.length) return null;
  const known = (given: Uint8Array) =>
    [...fixed, ...fromFile].some((expected) => timingSafeEqual(expected, given));
  return {
    matches(authorization) {
      const given = digest(authorization.trim());
      if (known(given)) return true;
      refresh();
      return known(given);
    },
  };
}

/** Only digests are kept: the binding holds no credential in a form that could be printed. */
function digest(text: string): Uint8Array {
  return createHash("sha256").update(text).digest();
}

function credentials(file: string): string[] {
  try {
    const auth = JSON.parse(readFileSync(file, "utf8"));
    const found = [auth?.tokens?.access_token, auth?.OPENAI_API_KEY];
    return found.filter((value): value is string => typeof value === "string" && value !== "");
  } catch {
    return [];
  }
}
