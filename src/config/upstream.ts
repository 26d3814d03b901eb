/** Upstream URL policy: https, or plain http only to a loopback address. */

const LOOPBACK_V4 = /^127(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Exactly 127.0.0.0/8, ::1 or `localhost`; look-alikes such as `127.0.0.1.evil.com` are not. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || LOOPBACK_V4.test(host);
}

/** Returns why `url` may not be used as an upstream, or null when it may. */
export function upstreamProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "not a valid URL";
  }
  if (parsed.username || parsed.password) return "must not carry credentials";
  if (parsed.search || parsed.hash) return "must not have a query or fragment";
  if (parsed.protocol === "https:") return null;
  if (parsed.protocol === "http:" && isLoopbackHost(parsed.hostname)) return null;
  return "must be https:// (plain http:// only for a loopback address)";
}
