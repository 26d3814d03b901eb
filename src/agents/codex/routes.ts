/**
 * Codex's allowlist: which local paths Codex may call and where each one goes. Anything not listed
 * here is refused locally, so a bearer token is never sent to an upstream nobody chose.
 *
 * ```ts
 * resolveRoute({ method: "POST", pathname: "/v1/responses", chatgpt: true }, upstreams)
 * // { name: "chatgpt", kind: "turn", upstream: <chatgpt>/backend-api/codex/responses, provider: true }
 * ```
 */
import { isPlainPath, type Route, type RouteKind, upstreamUrl } from "../../proxy/mod.ts";

/** How a forwarded request appears in logs and on the per-request line. */
export type RouteName = "chatgpt" | "openai" | "backend-api" | "unlisted";

export interface CodexRoute extends Route {
  name: RouteName;
}

/** Codex's upstreams (the `upstream` settings section). */
export type Upstreams = {
  chatgpt: string;
  openai: string;
};

/** Codex sends this header on every ChatGPT-login request; API-key traffic never has it. */
export const CHATGPT_ACCOUNT_HEADER = "chatgpt-account-id";

/** Codex's `chatgpt_base_url` calls: no provider headers, so no launch token. */
export const HOUSEKEEPING_PREFIX = "/backend-api/";

export interface CodexRequest {
  method: string;
  /** As Bun parsed it (dot segments already removed), redacted. */
  pathname: string;
  /** Whether the request carries the ChatGPT account header (a ChatGPT login). */
  chatgpt: boolean;
}

/** The route for a request, or null for "not ours, answer 404". */
export function resolveRoute(
  { method, pathname, chatgpt }: CodexRequest,
  upstreams: Upstreams,
): CodexRoute | null {
  if (!isPlainPath(pathname)) return null;
  if (pathname.startsWith(HOUSEKEEPING_PREFIX)) {
    return {
      name: "backend-api",
      kind: "housekeeping",
      upstream: upstreamUrl(upstreams.chatgpt, pathname),
      provider: false,
    };
  }
  if (!pathname.startsWith("/v1/")) return null;
  const rest = pathname.slice("/v1".length); // keeps the leading slash

  if (method === "POST" && (rest === "/responses" || (chatgpt && rest === "/codex/responses"))) {
    return chatgpt
      ? provider("chatgpt", "turn", upstreamUrl(upstreams.chatgpt, "/backend-api/codex/responses"))
      : provider("openai", "turn", upstreamUrl(upstreams.openai, "/v1/responses"));
  }
  if (method === "GET" && rest === "/models") {
    return chatgpt
      ? provider("chatgpt", "models", upstreamUrl(upstreams.chatgpt, "/backend-api/codex/models"))
      : provider("openai", "models", upstreamUrl(upstreams.openai, "/v1/models"));
  }
  // New Codex endpoints appear between releases: forward them, redacted and gated like the rest.
  return provider(
    "unlisted",
    "unlisted",
    chatgpt
      ? upstreamUrl(upstreams.chatgpt, `/backend-api/codex${rest}`)
      : upstreamUrl(upstreams.openai, `/v1${rest}`),
  );
}

function provider(name: RouteName, kind: RouteKind, upstream: URL): CodexRoute {
  return { name, kind, upstream, provider: true };
}
