/**
 * Codex's Responses WebSocket as the relay (src/proxy/websocket.ts) needs it: which upgrade is
 * taken (the model-turn path, `GET <base_url>/responses`), how a refused frame is shown, and
 * which event ends an answer. Measured with codex-cli 0.169 and 0.171: docs/codex-websocket.md.
 *
 * ```ts
 * const route = codexWebSocket.route({ method: "GET", pathname: "/v1/responses", headers }, up);
 * ```
 */
import type { WebSocketSupport } from "../../proxy/agent.ts";
import { CHATGPT_ACCOUNT_HEADER, resolveRoute, type Upstreams } from "./routes.ts";

/** Events after which the upstream sends nothing more for that request. */
const ENDINGS = new Set(["response.completed", "response.failed", "response.incomplete", "error"]);

const TYPE_FIRST = '{"type":"';

export const codexWebSocket: WebSocketSupport<Upstreams> = {
  // The upgrade goes where the same path's model turn goes over HTTP (ChatGPT:
  // `/backend-api/codex/responses`, API key: `/v1/responses`); nothing else is relayed.
  route: ({ method, pathname, headers }, upstreams) => {
    if (method !== "GET") return null;
    const route = resolveRoute(
      { method: "POST", pathname, chatgpt: headers.has(CHATGPT_ACCOUNT_HEADER) },
      upstreams,
    );
    return route?.kind === "turn" ? route : null;
  },
  // A `response.failed` with `invalid_prompt`: Codex shows the message verbatim and does not
  // retry (an `error` event would show its whole JSON).
  refusal: (message) =>
    JSON.stringify({
      type: "response.failed",
      response: {
        id: "resp_ficta_refused",
        object: "response",
        status: "failed",
        error: { code: "invalid_prompt", message },
      },
    }),
  ends: (frame) => ENDINGS.has(eventType(frame)),
};

/** The event's `type`, read without parsing when it comes first (as OpenAI sends it). */
export function eventType(event: string): string {
  if (event.startsWith(TYPE_FIRST)) {
    const end = event.indexOf('"', TYPE_FIRST.length);
    if (end > 0) return event.slice(TYPE_FIRST.length, end);
  }
  try {
    const type = JSON.parse(event)?.type;
    return typeof type === "string" ? type : "";
  } catch {
    return "";
  }
}
