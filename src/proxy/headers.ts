/**
 * Which headers cross the proxy in each direction. Those left exactly as the client sent them are
 * the agent's identity headers (`ProxyAgent.identityHeaders`).
 */

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

/** A copy of `headers` without hop-by-hop headers (and those `Connection` names) or `extra`. */
export function endToEnd(headers: Headers, extra: readonly string[] = []): Headers {
  const out = new Headers(headers);
  const named = (headers.get("connection") ?? "").split(",").map((h) => h.trim().toLowerCase());
  for (const name of [...HOP_BY_HOP, ...named, ...extra]) if (name) out.delete(name);
  return out;
}
