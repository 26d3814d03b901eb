/**
 * The loopback proxy, one door: a `Request -> Response` handler that knows no agent by name
 * (`createHandler`), the thin server adapter around it (`serve`), and what an agent gives it
 * (`ProxyAgent`). Every request is checked (Host, Origin, launch token), routed by the agent's
 * allowlist, redacted and gated before it leaves; every textual answer is restored as it streams
 * back.
 *
 * ```ts
 * import { serve } from "../proxy/mod.ts";
 * // `agent`: an agent's `ProxyAgent`, from src/agents/<name>/proxy.ts.
 * const proxy = serve({ agent, engine, settings, session, token, requestLines: say });
 * ```
 */
export {
  type AuthorizationBinding,
  type Dialect,
  isPlainPath,
  type ProxyAgent,
  type Route,
  type RouteKind,
  type RouteRequest,
  type Upstreams,
  upstreamUrl,
  type WebSocketSupport,
} from "./agent.ts";
export {
  createHandler,
  type HandlerOptions,
  PROXY_TOKEN_HEADER,
  type RequestRecorder,
} from "./handler.ts";
export { plainRefusal, type Refusal } from "./refusals.ts";
export { type RunningProxy, serve, type ServeOptions } from "./serve.ts";
