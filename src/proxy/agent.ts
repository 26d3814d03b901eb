/**
 * What the proxy needs to know about one agent, and nothing else: where its client's requests
 * go, which of their headers are the user's own credentials, and how ficta's own answers are
 * shown to that client. The handler (handler.ts) knows no agent by name; each agent gives one
 * `ProxyAgent` value from `src/agents/<name>/proxy.ts`.
 *
 * ```ts
 * const echo: ProxyAgent = {
 *   client: "Echo",
 *   upstreams: (settings) => ({ api: settings.upstream.openai }),
 *   route: ({ method, pathname }, upstreams) =>
 *     method === "POST" && pathname === "/v1/echo"
 *       ? { name: "api", kind: "turn", upstream: upstreamUrl(upstreams.api, pathname), provider: true }
 *       : null,
 *   tokenless: () => false,
 *   identityHeaders: new Set(["authorization"]),
 *   upstreamSettings: ["upstream.openai"],
 *   render: plainRefusal,
 * };
 * ```
 */
import type { Env } from "../config/paths.ts";
import type { Settings } from "../config/schema.ts";
export type { Dialect } from "../core/mod.ts";
import type { Refusal } from "./refusals.ts";

/** Model turns are what `log.quiet` keeps; the rest is housekeeping. */
export type RouteKind = "turn" | "models" | "housekeeping" | "unlisted";

/** Where one allowed request goes. */
export interface Route {
  /** How the request appears in logs and on the per-request line (`chatgpt`, `openai`, ...). */
  name: string;
  kind: RouteKind;
  /** Full upstream URL without the query; the handler appends the (redacted) query. */
  upstream: URL;
  /**
   * Whether this is the agent's model provider, which is only served with the launch token. false
   * for calls the client makes without it (see `ProxyAgent.tokenless`).
   */
  provider: boolean;
  /**
   * An answer ficta gives itself instead of forwarding (a housekeeping call the agent needs
   * answered but that must not leave the machine). Absent: forwarded.
   */
  answer?: (request: Request) => Response | Promise<Response>;
}

/** What a route table sees of a request: its path already redacted and checked by the gate. */
export interface RouteRequest {
  method: string;
  pathname: string;
  headers: Headers;
}

/** Upstream base URLs by name, as the agent reads them from the settings. */
export type Upstreams = Readonly<Record<string, string>>;

/** `U`: the agent's upstreams as its route table reads them. */
export interface ProxyAgent<U extends Upstreams = Upstreams> {
  /** The client as refusal messages name it: "this proxy only serves the <client> that ficta launched". */
  client: string;
  /** The agent's upstream base URLs, read from the settings once per handler. */
  upstreams(settings: Settings): U;
  /**
   * The allowlist: the route for a request, or null for "not ours, answer 404" (never forwarded,
   * so a bearer token never reaches an upstream nobody chose).
   */
  route(request: RouteRequest, upstreams: U): Route | null;
  /**
   * Paths the client calls without the launch token (housekeeping calls made outside its model
   * provider, which therefore lack the provider's headers):
   * served when their `authorization` is the client's own (see `AuthorizationBinding`), or as
   * untrusted when they carry none. Everything else needs the token.
   */
  tokenless(pathname: string): boolean;
  /**
   * Request headers (lower-case) that carry the user's own identity: forwarded untouched, neither
   * redacted nor gated. The user's login must reach its provider, and a registered API key is
   * exactly what such a header is for.
   */
  identityHeaders: ReadonlySet<string>;
  /**
   * What ties a tokenless call to this launch: the client's own credentials as this environment
   * gives them, or null when none is known (tokenless calls are then served as untrusted). Absent
   * when the agent has no tokenless calls.
   */
  binding?(env: Env): AuthorizationBinding | null;
  /** The settings that choose the upstreams, named in the refusal of an upstream's redirect. */
  upstreamSettings: readonly string[];
  /**
   * ficta's own answer as this client shows it: status and body chosen so the client displays
   * the message verbatim and does not retry it (see `plainRefusal` for the common rendering).
   */
  render(refusal: Refusal): Response;
}

/** Tells whether an `authorization` header is one the launched client itself would send. */
export interface AuthorizationBinding {
  matches(authorization: string): boolean;
}

/**
 * Joins an upstream base (which may carry a path prefix) and a path.
 *
 * ```ts
 * upstreamUrl("https://gateway.example/prefix/", "/v1/responses").href
 * // "https://gateway.example/prefix/v1/responses"
 * ```
 */
export function upstreamUrl(base: string, pathname: string): URL {
  const url = new URL(base);
  url.pathname = url.pathname.replace(/\/+$/, "") + pathname;
  return url;
}

/**
 * Whether a path's meaning cannot change upstream: no percent-encoded dot segments or slashes
 * (`/v1/%2e%2e/admin`), no empty segments, no backslashes. A route table refuses any other path.
 */
export function isPlainPath(pathname: string): boolean {
  if (pathname.includes("//") || pathname.includes("\\")) return false;
  return !/%2e|%2f|%5c/i.test(pathname);
}
