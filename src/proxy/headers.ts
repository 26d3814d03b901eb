/** Which headers cross the proxy, in each direction, and which are left exactly as Codex sent them. */

/** RFC 9110 §7.6.1 connection-specific headers, plus the legacy `proxy-connection`. */
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "proxy-authorization",
  "proxy-authenticate",
  "proxy-connection",
];

/**
 * Credentials forwarded untouched and neither redacted nor gated: the user's own login must reach
 * its provider, and a registered API key is exactly what this header is for.
 */
export const AUTH_HEADERS = new Set([
  "authorization",
  "x-api-key",
  "api-key",
  "cookie",
  "chatgpt-account-id",
]);

/** A copy of `headers` without hop-by-hop headers (and those `Connection` names) or `extra`. */
export function endToEnd(headers: Headers, extra: readonly string[] = []): Headers {
  const out = new Headers(headers);
  const named = (headers.get("connection") ?? "").split(",").map((h) => h.trim().toLowerCase());
  for (const name of [...HOP_BY_HOP, ...named, ...extra]) if (name) out.delete(name);
  return out;
}

/** Content codings ficta can decode in an answer it has to restore. */
const DECODABLE = new Set(["gzip", "x-gzip", "deflate", "br", "zstd", "identity"]);

/**
 * Narrows Codex's `accept-encoding` to codings ficta can decode, so the upstream never picks one
 * that would make the answer impossible to restore.
 */
export function decodableAcceptEncoding(value: string | null): string | null {
  if (value === null) return null;
  const kept = value.split(",").map((part) => part.trim()).filter((part) =>
    DECODABLE.has(part.split(";")[0].trim().toLowerCase())
  );
  return kept.length ? kept.join(", ") : "identity";
}
