/**
 * What the proxy needs to know about Codex: its routes (routes.ts), the headers that carry its
 * login, its tokenless `/backend-api/*` housekeeping calls, and how a refusal reaches its user
 * (Codex shows a 400 `text/plain` body verbatim and does not retry it; 403 and 5xx are retried
 * 6-30 times, and a 401 triggers an OAuth refresh in ChatGPT mode).
 *
 * ```ts
 * const proxy = serve({ agent: codexProxy, dialect: responsesDialect, engine, settings, session, token });
 * ```
 */
import { plainRefusal, type ProxyAgent } from "../../proxy/mod.ts";
import { authorizationBinding } from "./binding.ts";
import { codexAuthPath } from "./auth-file.ts";
import {
  CHATGPT_ACCOUNT_HEADER,
  HOUSEKEEPING_PREFIX,
  resolveRoute,
  type Upstreams,
} from "./routes.ts";

export const codexProxy: ProxyAgent<Upstreams> = {
  client: "Codex",
  upstreams: (settings) => ({
    chatgpt: settings.upstream.chatgpt,
    openai: settings.upstream.openai,
  }),
  route: ({ method, pathname, headers }, upstreams) =>
    resolveRoute({ method, pathname, chatgpt: headers.has(CHATGPT_ACCOUNT_HEADER) }, upstreams),
  tokenless: (pathname) => pathname.startsWith(HOUSEKEEPING_PREFIX),
  /**
   * The user's login as Codex sends it: its bearer token (ChatGPT access token or API key), the
   * ChatGPT account it belongs to, and the other credential headers a custom provider may use.
   */
  identityHeaders: new Set([
    "authorization",
    "x-api-key",
    "api-key",
    "cookie",
    CHATGPT_ACCOUNT_HEADER,
  ]),
  /** auth.json's access token or API key, and the API key variables Codex reads. */
  binding: (env) =>
    authorizationBinding(codexAuthPath(env), [
      env.CODEX_API_KEY,
      env.OPENAI_API_KEY,
    ]),
  upstreamSettings: ["upstream.chatgpt", "upstream.openai"],
  render: plainRefusal,
};
