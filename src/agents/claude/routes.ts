/**
 * The allowlist for Claude Code: the Messages API and its token counter, to `upstream.anthropic`
 * (default https://api.anthropic.com, FICTA_ANTHROPIC_UPSTREAM). Anything else is refused
 * locally, so an API key or OAuth token is never sent to an upstream nobody chose. The query
 * (`?beta=true`) is kept by the caller.
 */

export type ClaudeRouteKind = "turn" | "count-tokens";

export interface ClaudeRoute {
  name: "anthropic";
  kind: ClaudeRouteKind;
  /** Full upstream URL without the query. */
  upstream: URL;
  provider: true;
}

export const DEFAULT_ANTHROPIC_UPSTREAM = "https://api.anthropic.com";

export function resolveClaudeRoute(
  method: string,
  pathname: string,
  upstream: string,
): ClaudeRoute | null {
  if (method !== "POST" || !isPlainPath(pathname)) return null;
  if (pathname === "/v1/messages") return route("turn", upstream, pathname);
  if (pathname === "/v1/messages/count_tokens") return route("count-tokens", upstream, pathname);
  return null;
}

function route(kind: ClaudeRouteKind, base: string, pathname: string): ClaudeRoute {
  const url = new URL(base);
  url.pathname = url.pathname.replace(/\/+$/, "") + pathname;
  return { name: "anthropic", kind, upstream: url, provider: true };
}

function isPlainPath(pathname: string): boolean {
  if (pathname.includes("//") || pathname.includes("\\")) return false;
  return !/%2e|%2f|%5c/i.test(pathname);
}
