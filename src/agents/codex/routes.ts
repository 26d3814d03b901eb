/**
 * The allowlist: which local paths Codex may call and where each one goes. Anything not listed
 * here is refused locally, so a bearer token is never sent to an upstream nobody chose.
 */

/** How a forwarded request appears in logs and on the per-request line. */
export type RouteName = "chatgpt" | "openai" | "backend-api" | "unlisted";
/** Model turns are what `log.quiet` keeps; the rest is housekeeping. */
export type RouteKind = "turn" | "models" | "housekeeping" | "unlisted";

export interface Route {
  name: RouteName;
  kind: RouteKind;
  /** Full upstream URL without the query; the caller appends the (redacted) query. */
  upstream: URL;
  /** `/v1/*` is Codex's model provider; `/backend-api/*` are the `chatgpt_base_url` calls. */
  provider: boolean;
}

export interface Upstreams {
  chatgpt: string;
  openai: string;
}

/** Codex sends this header on every ChatGPT-login request; API-key traffic never has it. */
export const CHATGPT_ACCOUNT_HEADER = "chatgpt-account-id";

/**
 * Resolves `pathname` (as Bun parsed it: dot segments already removed) to a route, or null for
 * "not ours, answer 404". `chatgpt` says whether the request carries the ChatGPT account header.
 */
export function resolveRoute(
  method: string,
  pathname: string,
  chatgpt: boolean,
  upstreams: Upstreams,
): Route | null {
  if (!isPlainPath(pathname)) return null;
  if (pathname.startsWith("/backend-api/")) {
    return {
      name: "backend-api",
      kind: "housekeeping",
      upstream: join(upstreams.chatgpt, pathname),
      provider: false,
    };
  }
  if (!pathname.startsWith("/v1/")) return null;
  const rest = pathname.slice("/v1".length); // keeps the leading slash

  if (method === "POST" && (rest === "/responses" || (chatgpt && rest === "/codex/responses"))) {
    return chatgpt
      ? turn("chatgpt", join(upstreams.chatgpt, "/backend-api/codex/responses"))
      : turn("openai", join(upstreams.openai, "/v1/responses"));
  }
  if (method === "GET" && rest === "/models") {
    return chatgpt
      ? models("chatgpt", join(upstreams.chatgpt, "/backend-api/codex/models"))
      : models("openai", join(upstreams.openai, "/v1/models"));
  }
  // New Codex endpoints appear between releases: forward them, redacted and gated like the rest.
  return {
    name: "unlisted",
    kind: "unlisted",
    upstream: chatgpt
      ? join(upstreams.chatgpt, `/backend-api/codex${rest}`)
      : join(upstreams.openai, `/v1${rest}`),
    provider: true,
  };
}

function turn(name: RouteName, upstream: URL): Route {
  return { name, kind: "turn", upstream, provider: true };
}

function models(name: RouteName, upstream: URL): Route {
  return { name, kind: "models", upstream, provider: true };
}

/** Joins an upstream base (which may carry a path prefix) and a path. */
function join(base: string, pathname: string): URL {
  const url = new URL(base);
  url.pathname = url.pathname.replace(/\/+$/, "") + pathname;
  return url;
}

/**
 * Refuses paths whose meaning could change upstream: percent-encoded dot segments or slashes
 * (`/v1/%2e%2e/admin`), empty segments, backslashes. Codex never sends them.
 */
function isPlainPath(pathname: string): boolean {
  if (pathname.includes("//") || pathname.includes("\\")) return false;
  return !/%2e|%2f|%5c/i.test(pathname);
}
