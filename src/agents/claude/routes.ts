/**
 * The allowlist for Claude Code: the Messages API and its token counter, to `upstream.anthropic`
 * (default https://api.anthropic.com, FICTA_ANTHROPIC_UPSTREAM). Anything else is refused
 * locally, so an API key or OAuth token is never sent to an upstream nobody chose. The query
 * (`?beta=true`) is kept by the handler.
 */
import { isPlainPath, type Route, upstreamUrl } from "../../proxy/mod.ts";

export function resolveClaudeRoute(
  method: string,
  pathname: string,
  upstream: string,
): Route | null {
  if (method !== "POST" || !isPlainPath(pathname)) return null;
  if (pathname === "/v1/messages") {
    return {
      name: "anthropic",
      kind: "turn",
      upstream: upstreamUrl(upstream, pathname),
      provider: true,
    };
  }
  if (pathname === "/v1/messages/count_tokens") {
    return {
      name: "anthropic",
      kind: "housekeeping",
      upstream: upstreamUrl(upstream, pathname),
      provider: true,
    };
  }
  return null;
}
