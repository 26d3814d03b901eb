/**
 * How a refusal reaches the Claude Code user: measured with 2.1.332 (docs/claude-refusals.md),
 * a 451 with Anthropic's error shape is shown once, verbatim (`API Error: 451 <message>`), after
 * one request, in every auth mode; 400 and 422 are retried 6 times, 403 reads as a login
 * failure, an SSE `error` event makes Claude Code retry without streaming and print its own text.
 */

export const CLAUDE_REFUSAL_STATUS = 451;

/** The refusal as Claude Code's client must receive it. `status` is ficta's own (for the log). */
export function claudeRefusal(message: string, status = CLAUDE_REFUSAL_STATUS): Response {
  const type = status === 404 ? "not_found_error" : "permission_error";
  return new Response(JSON.stringify({ type: "error", error: { type, message } }), {
    // Every refusal the gate makes is a 451; a refusal of another kind keeps its status unless
    // that status would make Claude Code retry or rewrite the message.
    status: RETRIED_OR_REWRITTEN.has(status) ? CLAUDE_REFUSAL_STATUS : status,
    headers: { "content-type": "application/json", "x-should-retry": "false" },
  });
}

/**
 * Statuses Claude Code 2.1.332 retries or replaces with its own text: 400, 401, 403, 404, 409,
 * 413, 422, 500 and 529 measured; 408, 429, 502-504 are retried by its API client as well.
 */
const RETRIED_OR_REWRITTEN = new Set([
  400,
  401,
  403,
  404,
  408,
  409,
  413,
  422,
  429,
  500,
  502,
  503,
  504,
  529,
]);
