/**
 * Answers ficta gives itself, never forwarded: the status (as HTTP means it) and the message. How
 * a refusal reaches the client is the agent's choice (`ProxyAgent.render`): a client that retries
 * some statuses or hides some bodies needs another rendering than `plainRefusal`.
 */

export interface GateHit {
  /** Where the value was found, as the message names it: "request body", "x-foo header", ... */
  surface: string;
  names: string[];
}

export interface Refusal {
  status: number;
  /** Short reason for the log. */
  reason: string;
  message: string;
}

function refusal(status: number, reason: string, message: string): Refusal {
  return { status, reason, message };
}

export function blocked(hits: GateHit[]): Refusal {
  const names = [...new Set(hits.flatMap((hit) => hit.names))].sort();
  const surfaces = hits.map((hit) => hit.surface);
  const where = surfaces.length > 1
    ? `${surfaces.slice(0, -1).join(", ")} and the ${surfaces.at(-1)}`
    : surfaces[0];
  return refusal(
    400,
    "blocked",
    `ficta blocked this request: ${names.length} protected value(s) (${names.join(", ")}) ` +
      `would have reached the model in the ${where}. Nothing was sent. ` +
      `ficta could not swap ${names.length === 1 ? "it" : "them"} for a surrogate in this form; ` +
      `remove that content from the conversation (start a new one, or undo the last turn) and ` +
      `try again. \`ficta registry\` lists what is protected.`,
  );
}

export function wrongHost(expected: string): Refusal {
  return refusal(
    421,
    "host",
    `ficta refused this request: wrong Host header; this proxy only answers ${expected}.`,
  );
}

export function webSocket(): Refusal {
  return refusal(
    426,
    "websocket",
    "ficta refused this request: WebSocket is not supported through ficta; use HTTP streaming.",
  );
}

export function notAllowed(method: string, pathname: string): Refusal {
  return refusal(
    404,
    "not-allowed",
    `ficta refused this request: ${method} ${pathname} is not on ficta's allowlist, ` +
      `so it was not forwarded.`,
  );
}

/** `client`: the agent's client as messages name it (`ProxyAgent.client`). */
export function missingToken(client: string): Refusal {
  return refusal(
    403,
    "token",
    `ficta refused this request: this proxy only serves the ${client} that ficta launched.`,
  );
}

export function busy(): Refusal {
  return refusal(
    503,
    "busy",
    "ficta refused this request: too many requests at once that this launch cannot vouch for.",
  );
}

export function tooSlow(ms: number): Refusal {
  return refusal(
    408,
    "slow-body",
    `ficta refused this request: its body took longer than ${ms / 1000} s to arrive.`,
  );
}

export function fromBrowser(client: string): Refusal {
  return refusal(
    403,
    "browser",
    "ficta refused this request: it came from a web browser, and this proxy only serves the " +
      `${client} that ficta launched.`,
  );
}

export function tooLarge(limitBytes: number): Refusal {
  const mib = limitBytes / (1024 * 1024);
  return refusal(
    413,
    "too-large",
    `ficta refused this request: the body is larger than ${mib} MiB (proxy.max_body_mb), ` +
      `compressed or decoded. Nothing was sent.`,
  );
}

export function undecodable(detail: string): Refusal {
  return refusal(
    415,
    "encoding",
    `ficta refused this request: its body could not be decoded (${detail}), so it could not be ` +
      `checked for protected values. Nothing was sent.`,
  );
}

export function unreachable(host: string, detail: string): Refusal {
  return refusal(
    502,
    "unreachable",
    `ficta could not reach the upstream ${host}: ${detail}.`,
  );
}

/** `settings`: the keys that choose the upstreams (`ProxyAgent.upstreamSettings`). */
export function redirected(host: string, status: number, settings: readonly string[]): Refusal {
  return refusal(
    502,
    "redirect",
    `ficta refused a ${status} redirect from the upstream ${host}: following it would bypass ` +
      `ficta. Check ${settings.join(" / ")}.`,
  );
}

/**
 * A fault in ficta itself: the error's name only, as a message could quote the request.
 * `forwarded`: whether the request had already been sent upstream.
 */
export function internal(name: string, { forwarded }: { forwarded: boolean }): Refusal {
  const what = forwarded ? "the upstream's answer could not be relayed" : "nothing was sent";
  return refusal(400, "internal", `ficta failed on this request (${printable(name)}); ${what}.`);
}

/** The body is incomplete: the caller went away or broke the connection while sending it. */
export function incompleteBody(): Refusal {
  return refusal(400, "body", "ficta: incomplete request body.");
}

/** The common rendering: the refusal's status, its message as `text/plain`. */
export function plainRefusal(r: Refusal): Response {
  return new Response(r.message, {
    status: r.status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

// C0 and C1 controls, DEL, line and paragraph separators, bidirectional overrides.
// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** What a caller sent, safe to put on a terminal line: every control character escaped. */
export function printable(text: string): string {
  return text.replace(CONTROLS, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
  });
}
