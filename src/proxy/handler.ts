/**
 * The whole request path as one plain function, `Request -> Response`, testable without a server:
 * who may call (Host, Origin, launch token), where the request goes (the agent's route table),
 * its body read under caps, redacted and gated, the call upstream, the answer restored as it
 * streams back, and one log entry per request. It knows no agent by name: everything
 * agent-specific comes from `options.agent` (a `ProxyAgent`).
 *
 * ```ts
 * const handle = createHandler({
 *   agent, engine, settings, session, token, host: "127.0.0.1:8123",
 * });
 * const response = await handle(new Request("http://127.0.0.1:8123/v1/models", {
 *   headers: { host: "127.0.0.1:8123", [PROXY_TOKEN_HEADER]: token },
 * }));
 * ```
 */
import { timingSafeEqual } from "node:crypto";
import type { Dialect, Engine } from "../core/mod.ts";
import type { Settings } from "../config/schema.ts";
import {
  newEntry,
  type RequestEntry,
  requestLine,
  type Session,
  showWhenQuiet,
  stageClock,
} from "../report/index.ts";
import type { AuthorizationBinding, ProxyAgent, Route, RouteRequest, Upstreams } from "./agent.ts";
import { BodyTooLarge, decodableAcceptEncoding, decodeBody, UndecodableBody } from "./codecs.ts";
import { callUpstream, readBody, relay, type RelayDone } from "./forward.ts";
import { endToEnd } from "./headers.ts";
import { collectAfterLargeRequest } from "./memory.ts";
import { gate, type Outgoing, protocolHits, redactHeaders, redactQuery } from "./outgoing.ts";
import {
  blocked,
  busy,
  fromBrowser,
  incompleteBody,
  internal,
  missingToken,
  notAllowed,
  printable,
  redirected,
  type Refusal,
  tooLarge,
  tooSlow,
  undecodable,
  unreachable,
  webSocket,
  wrongHost,
} from "./refusals.ts";

/** The per-launch token's header; the agent's client sends it on every provider call. */
export const PROXY_TOKEN_HEADER = "x-ficta-token";

/** The part of a session the proxy writes to. */
export type RequestRecorder = Pick<Session, "record" | "recordBody" | "bodiesLog">;

export interface HandlerOptions {
  /** Everything agent-specific: routes, identity headers, refusal rendering. */
  agent: ProxyAgent;
  /** The agent's wire dialect (core's `Dialect`), handed to the restorer. */
  dialect: Dialect;
  engine: Engine;
  settings: Settings;
  /** Per-launch secret the client sends in `x-ficta-token`; requests without it are not served. */
  token: string;
  /** The only `Host` this proxy answers (`127.0.0.1:PORT`); any other gets 421. */
  host: string;
  /** Where each request's metadata (and, with `log.bodies`, what was sent) is recorded. */
  session: RequestRecorder;
  /**
   * Where the one-line summary of each request goes (without ficta's `ficta: ` prefix). Omitted:
   * nowhere, as while an interactive agent owns the terminal.
   */
  requestLines?: (line: string) => void;
  /**
   * Calls the agent makes without the launch token (`ProxyAgent.tokenless`). false (default): one
   * carrying an `authorization` must carry the client's own (see `binding`); one without any is
   * served as untrusted (smaller body cap, few at a time, answer never restored). true: they need
   * the token like every other call.
   */
  housekeepingNeedsToken?: boolean;
  /** The client's own `authorization`, when ficta knows it. */
  binding?: AuthorizationBinding | null;
  /** How long a request may take to send its whole body (default 20 s). */
  bodyDeadlineMs?: number;
  /**
   * Called once the request's body is in: from there a model may think silently for minutes, so
   * the server's idle timeout (kept until then, so a stalled sender is dropped) must stop.
   */
  onBodyReceived?: (request: Request) => void;
  /**
   * Takes over a WebSocket upgrade once the checks let it through (Host, Origin, the launch
   * token, the path, the agent's `webSocket` route): the server adapter accepts it, or answers
   * why not. Resolves to undefined once upgraded. Absent, or for an agent without `webSocket`:
   * every upgrade is refused with 426, which sends the client back to HTTP.
   */
  upgrade?: (request: Request, route: Route, path: string) => Promise<Response | undefined>;
}

/**
 * What the handler resolves to when `options.upgrade` took the request over: the server adapter
 * answers nothing itself then (Bun sends the 101).
 */
export const UPGRADED: Response = new Response(null, { status: 204 });

const MiB = 1024 * 1024;
const encoder = new TextEncoder();
/** Requests no token or credential ties to this launch: this many at a time, this much body. */
const UNTRUSTED_AT_ONCE = 8;
const UNTRUSTED_BODY_LIMIT = 4 * MiB;
/** A client makes a handful of calls at once; far more means something else is flooding the port. */
const REQUESTS_AT_ONCE = 256;
const BODY_DEADLINE_MS = 20_000;
/** Headers ficta sets itself, or that describe the body as it arrived rather than as it leaves. */
const NOT_FORWARDED = [
  "host",
  PROXY_TOKEN_HEADER,
  "content-length",
  "content-encoding",
  "expect",
  "accept-encoding",
] as const;

/** What the handler holds for the whole launch. */
interface Launch {
  options: HandlerOptions;
  agent: ProxyAgent;
  engine: Engine;
  upstreams: Upstreams;
  limit: number;
  bodyDeadline: number;
  admit: Admission;
  inFlight: number;
  untrustedInFlight: number;
}

/** Who is calling, as far as the checks before the body could tell. */
export interface Caller {
  /** Carries this launch's token. */
  trusted: boolean;
  /** Nothing ties it to this launch (a tokenless call without the client's own credential). */
  untrusted: boolean;
}

/**
 * The request handler for one launch. Every fault is answered (never thrown): ficta's own
 * answers are rendered by `options.agent.render`.
 */
export function createHandler(options: HandlerOptions): (request: Request) => Promise<Response> {
  const launch: Launch = {
    options,
    agent: options.agent,
    engine: options.engine,
    upstreams: options.agent.upstreams(options.settings),
    limit: options.settings.proxy.max_body_mb * MiB,
    bodyDeadline: options.bodyDeadlineMs ?? BODY_DEADLINE_MS,
    admit: createAdmission(options),
    inFlight: 0,
    untrustedInFlight: 0,
  };
  return async (request) => {
    launch.inFlight++;
    try {
      return await handle(launch, request);
    } catch {
      // handle() answers every fault itself; this is the last line, and it prints nothing.
      return launch.agent.render(internal("Error", { forwarded: false }));
    } finally {
      launch.inFlight--;
    }
  };
}

/** One request on its way through: its log entry and what has been learnt about it so far. */
class Exchange {
  readonly started = performance.now();
  readonly target: { pathname: string; search: string };
  readonly entry: RequestEntry;
  /** Records the time since the previous lap as a stage of the entry. */
  readonly lap: (stage: string) => void;
  #checked?: Promise<{ output: string; hits: Set<string> }>;

  constructor(readonly launch: Launch, readonly request: Request) {
    this.target = splitTarget(request.url);
    this.entry = newEntry(printable(request.method));
    this.lap = stageClock(this.entry, this.started);
    // The path is logged only once redacted and checked.
    this.entry.path = "(withheld: not checked)";
  }

  /**
   * The path, redacted and gated (once). Even a path ficta refuses is logged redacted; one the
   * gate still flags, in any spelling (`%2D` for `-` included), is not logged at all.
   */
  checkPath(): Promise<{ output: string; hits: Set<string> }> {
    return this.#checked ??= (async () => {
      const { engine } = this.launch;
      const path = await engine.redactText(this.target.pathname);
      const hits = new Set([
        ...engine.gateText(path.output),
        ...engine.gateBytes(percentDecoded(path.output)),
      ]);
      this.entry.path = hits.size ? "(withheld: holds a protected value)" : printable(path.output);
      if (Object.keys(path.counts).length) this.entry.redacted.path = path.counts;
      return { output: path.output, hits };
    })();
  }

  /** Answers with ficta's own refusal, logged. */
  refuse(refusal: Refusal): Response {
    this.entry.status = refusal.status;
    this.entry.refused = refusal.reason;
    this.finish();
    return this.launch.agent.render(refusal);
  }

  /** Refused before its body is read: only the (short) path is looked at, for the log. */
  async refuseEarly(refusal: Refusal): Promise<Response> {
    await this.checkPath();
    return this.refuse(refusal);
  }

  /** Records the entry (and prints its line) once the request is over. */
  finish(): void {
    const { entry, launch: { options } } = this;
    entry.durationMs = Math.round((performance.now() - this.started) * 1000) / 1000;
    options.session.record(entry);
    collectAfterLargeRequest(entry.bytesUp);
    if (options.requestLines && (!options.settings.log.quiet || showWhenQuiet(entry))) {
      options.requestLines(requestLine(entry));
    }
  }
}

async function handle(launch: Launch, request: Request): Promise<Response> {
  const exchange = new Exchange(launch, request);
  let counted = false;
  let forwarded = false;
  try {
    // Everything a caller controls is checked before its body is read, so a request this launch
    // did not make costs ficta next to nothing.
    const caller = launch.admit(request);
    if ("status" in caller) return await exchange.refuseEarly(caller);
    if (
      launch.inFlight > REQUESTS_AT_ONCE ||
      (caller.untrusted && launch.untrustedInFlight >= UNTRUSTED_AT_ONCE)
    ) {
      return exchange.refuse(busy()); // not even the path: this is the flood's own answer
    }
    if (caller.untrusted) {
      launch.untrustedInFlight++;
      counted = true;
    }

    if (request.headers.has("upgrade")) return await upgradeOf(exchange, caller);

    const route = await routeOf(exchange, caller);
    if (route instanceof Response) return route;
    if (route.answer) return await answerLocally(exchange, route);

    const body = await readRequestBody(exchange, caller);
    if (body instanceof Response) return body;
    exchange.lap("read");
    launch.options.onBodyReceived?.(request);

    // The signed parts of the body as received: gated alone, and compared after redaction.
    const signed = body?.length ? launch.agent.signed?.(body) ?? [] : [];
    const signedRefused = gateSigned(exchange, caller, signed);
    if (signedRefused) return signedRefused;
    const out = await redactOutgoing(exchange, route, body);
    exchange.lap("redact");
    const signedBroken = signedChanged(exchange, caller, signed, body, out.body);
    if (signedBroken) return signedBroken;
    const refused = gateOutgoing(exchange, caller, body, out);
    if (refused) return refused;

    forwarded = true;
    return await forward(exchange, caller, route, out);
  } catch (error) {
    const name = (error as Error)?.name ?? "Error";
    return exchange.refuse(internal(name, { forwarded }));
  } finally {
    if (counted) launch.untrustedInFlight--;
  }
}

/** The checks on who is calling, made before anything else: a refusal, or what is known of the caller. */
export type Admission = (request: Request) => Caller | Refusal;

/**
 * Who may call: the right `Host`, no browser, no WebSocket upgrade unless the adapter takes them
 * (`options.upgrade`; then the upgrade needs the launch token, see `upgradeOf`), and the launch
 * token, or for the agent's tokenless calls the client's own credential (or none at all, then
 * untrusted). The handler runs it first on every request, upgrades included.
 */
export function createAdmission(
  options: Pick<
    HandlerOptions,
    "agent" | "token" | "host" | "housekeepingNeedsToken" | "binding" | "upgrade"
  >,
): Admission {
  const { agent, host, binding } = options;
  const token = encoder.encode(options.token);
  const tokenMatches = (given: string | null): boolean => {
    if (given === null) return false;
    const bytes = encoder.encode(given);
    return bytes.length === token.length && timingSafeEqual(bytes, token);
  };
  return (request) => {
    const headers = request.headers;
    if (headers.get("host") !== host) return wrongHost(host);
    // Only browsers send these; a web page that found the port is never the agent's client.
    if (headers.has("origin") || headers.has("sec-fetch-site")) return fromBrowser(agent.client);
    // An upgrade goes on to the token check, then to `upgradeOf` (only where the adapter takes it).
    if (headers.has("upgrade") && !options.upgrade) return webSocket();
    const given = headers.get(PROXY_TOKEN_HEADER);
    if (tokenMatches(given)) return { trusted: true, untrusted: false };
    const authorization = headers.get("authorization");
    // Only the token's absence is tolerated (tokenless calls, by default); a wrong one never is.
    const bound = given === null && !options.housekeepingNeedsToken &&
      agent.tokenless(splitTarget(request.url).pathname) &&
      (authorization === null || !binding || binding.matches(authorization));
    if (!bound) return missingToken(agent.client);
    return { trusted: false, untrusted: authorization === null || !binding };
  };
}

/**
 * The path and header names gated, then the agent's route for the redacted path; or the refusal
 * already sent.
 */
async function routeOf(
  exchange: Exchange,
  caller: Caller,
  table?: (request: RouteRequest) => Route | null,
): Promise<Route | Response> {
  const { launch, request, entry } = exchange;
  const { output: pathOut, hits: pathHits } = await exchange.checkPath();
  const nameHits = launch.engine.gateText([...request.headers.keys()].join("\n"));
  if (pathHits.size || nameHits.length) {
    entry.blocked = !caller.untrusted;
    entry.blockedNames = [...new Set([...pathHits, ...nameHits])].sort();
    const hits = [];
    if (pathHits.size) hits.push({ surface: "URL path", names: [...pathHits] });
    if (nameHits.length) hits.push({ surface: "header names", names: nameHits });
    return exchange.refuse(blocked(hits));
  }
  const routed = { method: request.method, pathname: pathOut, headers: request.headers };
  const route = table ? table(routed) : launch.agent.route(routed, launch.upstreams);
  if (!route) {
    return exchange.refuse(table ? webSocket() : notAllowed(entry.method, entry.path));
  }
  entry.route = route.name;
  entry.kind = route.kind;
  entry.upstream = route.upstream.href;
  if (!caller.trusted && route.provider) return exchange.refuse(missingToken(launch.agent.client));
  return route;
}

/**
 * A WebSocket upgrade: only the launch's own client, only where the agent takes WebSocket (its
 * `webSocket` route, after the same path and header-name gate as any request); anything else is
 * answered 426, which sends the client back to HTTP. The adapter's `upgrade` logs what follows.
 */
async function upgradeOf(exchange: Exchange, caller: Caller): Promise<Response> {
  const { launch, request, entry } = exchange;
  const sockets = launch.agent.webSocket;
  const accept = launch.options.upgrade;
  const websocket = request.headers.get("upgrade")?.toLowerCase() === "websocket";
  if (!caller.trusted || !sockets || !accept || !websocket || request.method !== "GET") {
    return await exchange.refuseEarly(webSocket());
  }
  const route = await routeOf(
    exchange,
    caller,
    (routed) => sockets.route(routed, launch.upstreams),
  );
  if (route instanceof Response) return route;
  const answer = await accept(request, route, entry.path);
  return answer ?? UPGRADED;
}

/** A route the agent answers itself: nothing is read or sent. */
async function answerLocally(exchange: Exchange, route: Route): Promise<Response> {
  const response = await route.answer!(exchange.request);
  exchange.entry.upstream = null;
  exchange.entry.status = response.status;
  exchange.finish();
  return response;
}

/** The body, read and decoded within the caps and the deadline; or the refusal already sent. */
async function readRequestBody(
  exchange: Exchange,
  caller: Caller,
): Promise<Uint8Array | null | Response> {
  const { launch, request, entry } = exchange;
  const cap = caller.untrusted ? Math.min(launch.limit, UNTRUSTED_BODY_LIMIT) : launch.limit;
  try {
    const raw = await withDeadline(readBody(request, cap), launch.bodyDeadline);
    entry.bytesIn = raw?.byteLength ?? 0;
    return raw && await decodeBody(raw, request.headers.get("content-encoding"), cap);
  } catch (error) {
    if (error instanceof BodyTooLarge) return exchange.refuse(tooLarge(cap));
    if (error instanceof UndecodableBody) return exchange.refuse(undecodable(error.message));
    if (error instanceof SlowBody) return exchange.refuse(tooSlow(launch.bodyDeadline));
    // The caller went away or broke the connection while sending its body.
    entry.outcome = "aborted";
    return exchange.refuse(incompleteBody());
  }
}

/** What would be sent: end-to-end headers, query, header values and body, each redacted. */
async function redactOutgoing(
  exchange: Exchange,
  route: Route,
  body: Uint8Array | null,
): Promise<Outgoing> {
  const { launch: { engine, agent }, request, entry } = exchange;
  const headers = endToEnd(request.headers, NOT_FORWARDED);
  const accept = decodableAcceptEncoding(request.headers.get("accept-encoding"));
  if (accept) headers.set("accept-encoding", accept);

  const query = await redactQuery(engine, exchange.target.search);
  const headerCounts = await redactHeaders(engine, headers, agent.identityHeaders);
  const redactedBody = body?.length ? await engine.redactBytes(body) : null;
  for (
    const [surface, counts] of [
      ["query", query.counts],
      ["headers", headerCounts],
      ["body", redactedBody?.counts ?? {}],
    ] as const
  ) {
    if (Object.keys(counts).length) entry.redacted[surface] = counts;
  }
  return {
    pathname: route.upstream.pathname,
    search: query.search,
    headers,
    body: redactedBody?.output ?? null,
  };
}

/**
 * The parts of the body the agent says are signed (never rewritten): a registered value there is
 * refused before redaction could change them. The refusal, or null.
 */
function gateSigned(exchange: Exchange, caller: Caller, signed: string[]): Response | null {
  const names = [...new Set(signed.flatMap((text) => exchange.launch.engine.gateText(text)))];
  return names.length ? refuseSigned(exchange, caller, names.sort()) : null;
}

/**
 * Signed parts reach the upstream as they came or not at all. The gate already refused registered
 * values there; a credential-shaped string in the model's own reasoning that redaction replaced
 * would break the signature, which the API answers with an error the client retries: refused
 * here once, with ficta's message, instead.
 */
function signedChanged(
  exchange: Exchange,
  caller: Caller,
  signed: string[],
  body: Uint8Array | null,
  out: Uint8Array | null,
): Response | null {
  if (!signed.length || !out || out === body) return null;
  const after = exchange.launch.agent.signed!(out);
  if (after.length === signed.length && after.every((text, i) => text === signed[i])) return null;
  return refuseSigned(exchange, caller, Object.keys(exchange.entry.redacted.body ?? {}).sort());
}

function refuseSigned(exchange: Exchange, caller: Caller, names: string[]): Response {
  exchange.entry.blocked = !caller.untrusted;
  exchange.entry.blockedNames = names;
  return exchange.refuse(blocked([{ surface: "signed thinking blocks", names }]));
}

/** The gate over what would be sent: the refusal already sent, or null to send it. */
function gateOutgoing(
  exchange: Exchange,
  caller: Caller,
  body: Uint8Array | null,
  out: Outgoing,
): Response | null {
  const { launch: { engine, agent }, entry } = exchange;
  const hits = [
    ...gate(engine, out, agent.identityHeaders),
    ...protocolHits(engine, body, out.body),
  ];
  exchange.lap("gate");
  if (!hits.length) return null;
  // Only what this launch's client sent counts as blocked (and in the exit code); a request
  // nothing ties to the launch is just refused.
  entry.blocked = !caller.untrusted;
  entry.blockedNames = [...new Set(hits.flatMap((hit) => hit.names))].sort();
  return exchange.refuse(blocked(hits));
}

/** Sends the request upstream once and relays the answer, restored when the caller is trusted. */
async function forward(
  exchange: Exchange,
  caller: Caller,
  route: Route,
  out: Outgoing,
): Promise<Response> {
  const { launch, request, entry } = exchange;
  const { session } = launch.options;
  entry.bytesUp = out.body?.byteLength ?? 0;
  if (out.body && session.bodiesLog) {
    session.recordBody(entry.time, request.method, route.upstream.href, out.body);
  }

  let upstream: Response;
  try {
    upstream = await callUpstream({
      url: route.upstream.href + out.search,
      method: request.method,
      headers: out.headers,
      body: out.body,
      signal: request.signal,
    });
    exchange.lap("upstream");
  } catch (error) {
    if (request.signal.aborted) {
      entry.outcome = "aborted";
      exchange.finish();
      return new Response(null, { status: 499 });
    }
    return exchange.refuse(unreachable(route.upstream.host, describe(error)));
  }

  // The client would follow a redirect itself, straight to wherever it points, re-sending its
  // unredacted body on 307/308: never pass one on.
  if (upstream.status >= 300 && upstream.status < 400 && upstream.headers.has("location")) {
    upstream.body?.cancel().catch(() => {});
    return exchange.refuse(
      redirected(route.upstream.host, upstream.status, launch.agent.upstreamSettings),
    );
  }
  entry.status = upstream.status;
  const relayed: RelayDone = (bytesOut, outcome, stats) => {
    entry.bytesOut = bytesOut;
    entry.outcome = outcome;
    if (stats) {
      entry.restored = stats.restored;
      entry.unknownSurrogates = stats.unknown;
      entry.keptInTools = stats.keptInTools;
    }
    exchange.finish();
  };
  const { response, restoring } = guard(
    () =>
      relay({
        upstream,
        engine: launch.engine,
        restore: caller.trusted,
        dialect: launch.options.dialect,
        clientSignal: request.signal,
        done: relayed,
      }),
    () => upstream.body?.cancel(),
  );
  entry.restore = restoring;
  return response;
}

/**
 * Path and query of a request target. Bun gives an absolute URL, or the bare target when the
 * request had no Host (HTTP/1.0), which `new URL()` would throw on.
 */
function splitTarget(raw: string): { pathname: string; search: string } {
  let rest = raw;
  if (!rest.startsWith("/")) {
    const scheme = rest.indexOf("://");
    const slash = scheme < 0 ? -1 : rest.indexOf("/", scheme + 3);
    rest = slash < 0 ? "/" : rest.slice(slash);
  }
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  const query = rest.indexOf("?");
  return query < 0
    ? { pathname: rest, search: "" }
    : { pathname: rest.slice(0, query), search: rest.slice(query) };
}

/** Every `%XX` decoded to its byte: `%2D` spells `-` needlessly, but it still spells it. */
function percentDecoded(path: string): Uint8Array {
  const bytes = encoder.encode(path);
  if (!bytes.includes(0x25)) return bytes;
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const digits = String.fromCharCode(bytes[i + 1] ?? 0, bytes[i + 2] ?? 0);
    if (bytes[i] === 0x25 && /^[0-9a-f]{2}$/i.test(digits)) {
      out.push(parseInt(digits, 16));
      i += 2;
    } else out.push(bytes[i]);
  }
  return Uint8Array.from(out);
}

class SlowBody extends Error {}

/** `work`, or a SlowBody error when it has not settled within `ms`. */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SlowBody()), ms);
  });
  work.catch(() => {});
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `f`; if it throws, runs `cleanup` (errors there are moot) and rethrows. */
function guard<T>(f: () => T, cleanup: () => unknown): T {
  try {
    return f();
  } catch (error) {
    Promise.resolve().then(cleanup).catch(() => {});
    throw error;
  }
}

/** An error's code or name, never its message (which could quote a request). */
function describe(error: unknown): string {
  const { code, name } = error as { code?: string; name?: string };
  return code ?? name ?? "connection failed";
}
