/**
 * The loopback proxy: one Bun.serve on 127.0.0.1, an allowlist of routes, every request redacted
 * and gated before it leaves, every textual answer restored as it streams back.
 */
import { timingSafeEqual } from "node:crypto";
import { say } from "../cli/say.ts";
import type { Engine } from "../core/types.ts";
import type { Settings } from "../config/schema.ts";
import {
  newEntry,
  type RequestEntry,
  requestLine,
  type Session,
  showWhenQuiet,
  stageClock,
} from "../report/index.ts";
import { BodyTooLarge, decodeBody, UndecodableBody } from "./codecs.ts";
import { callUpstream, readBody, relay, type RelayDone } from "./forward.ts";
import { collectAfterLargeRequest } from "./memory.ts";
import { decodableAcceptEncoding, endToEnd } from "./headers.ts";
import { gate, type Outgoing, protocolHits, redactHeaders, redactQuery } from "./outgoing.ts";
import { type AuthorizationBinding } from "./binding.ts";
import {
  blocked,
  busy,
  fromBrowser,
  missingToken,
  notAllowed,
  redirected,
  type Refusal,
  tooLarge,
  tooSlow,
  toResponse,
  undecodable,
  unreachable,
  webSocket,
  wrongHost,
} from "./refusals.ts";
import { CHATGPT_ACCOUNT_HEADER, resolveRoute } from "../agents/codex/routes.ts";
import { createWebSocketRelay, type RelayData } from "./websocket.ts";

export const PROXY_TOKEN_HEADER = "x-ficta-token";

/** The part of a session the proxy writes to. */
export type RequestRecorder = Pick<Session, "record" | "recordBody" | "bodiesLog">;

export interface ProxyOptions {
  engine: Engine;
  settings: Settings;
  /** Per-launch secret Codex sends in `x-ficta-token`; requests without it are not served. */
  token: string;
  /** Where each request's metadata (and, with `log.bodies`, what was sent) is recorded. */
  session: RequestRecorder;
  /** While Codex's TUI owns the terminal ficta prints nothing; otherwise one line per request. */
  stderrIsTTY: boolean;
  /**
   * `/backend-api/*` housekeeping calls (Codex's `chatgpt_base_url`) come without the provider's
   * headers. false (default): a call carrying an `authorization` must carry Codex's own (see
   * `binding`); one without any is served as untrusted (smaller body cap, few at a time, answer
   * never restored). true: they need the token like `/v1/*`.
   */
  housekeepingNeedsToken?: boolean;
  /** Codex's own `authorization`, when ficta knows it (binding.ts). */
  binding?: AuthorizationBinding | null;
}

export interface RunningProxy {
  port: number;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  stop(): Promise<void>;
}

/** Test seams: a shorter Bun idle timeout proves every request opts out of it; lines captured. */
export interface ProxySeams {
  idleTimeout?: number;
  /** Where per-request lines go (default: `say`, stderr). */
  say?: (message: string) => void;
  /** How long a request may take to send its whole body (default 20 s). */
  bodyDeadlineMs?: number;
}

const MiB = 1024 * 1024;
const encoder = new TextEncoder();
/** Requests no token or credential ties to this launch: this many at a time, this much body. */
const UNTRUSTED_AT_ONCE = 8;
const UNTRUSTED_BODY_LIMIT = 4 * MiB;
/** Codex makes a handful of calls at once; far more means something else is flooding the port. */
const REQUESTS_AT_ONCE = 256;
const BODY_DEADLINE_MS = 20_000;

export function startProxy(options: ProxyOptions, seams: ProxySeams = {}): RunningProxy {
  const { engine, settings, session } = options;
  const limit = settings.proxy.max_body_mb * MiB;
  const token = encoder.encode(options.token);
  const printLines = !options.stderrIsTTY;
  const print = seams.say ?? say;
  const bodyDeadline = seams.bodyDeadlineMs ?? BODY_DEADLINE_MS;
  let inFlight = 0;
  let untrustedInFlight = 0;
  const transport = settings.proxy.transport;
  const sockets = createWebSocketRelay({
    engine,
    maxFrameBytes: limit,
    transport,
    record: (entry) => {
      session.record(entry);
      if (printLines && (!settings.log.quiet || showWhenQuiet(entry))) print(requestLine(entry));
    },
  }, PROXY_TOKEN_HEADER);

  const tokenMatches = (given: string | null): boolean => {
    if (given === null) return false;
    const bytes = encoder.encode(given);
    return bytes.length === token.length && timingSafeEqual(bytes, token);
  };

  const finish = (entry: RequestEntry, started: number) => {
    entry.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    session.record(entry);
    collectAfterLargeRequest(entry.bytesUp);
    if (printLines && (!settings.log.quiet || showWhenQuiet(entry))) print(requestLine(entry));
  };

  const server = Bun.serve<RelayData>({
    hostname: "127.0.0.1",
    port: 0,
    // Never Bun's development error page (bundled source, working directory) nor its console dump.
    development: false,
    // ficta enforces proxy.max_body_mb itself, so an oversized body gets a message and a log line.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    ...(seams.idleTimeout === undefined ? {} : { idleTimeout: seams.idleTimeout }),
    async fetch(req, srv) {
      inFlight++;
      try {
        return await handle(req, srv);
      } catch {
        // handle() answers every fault itself; this is the last line, and it prints nothing.
        return toResponse(internal(false, "Error"));
      } finally {
        inFlight--;
      }
    },
    error() {
      return toResponse(internal(false, "Error"));
    },
    websocket: sockets.websocket,
  });
  const origin = `http://127.0.0.1:${server.port}`;
  const expectedHost = `127.0.0.1:${server.port}`;

  async function handle(req: Request, srv: Bun.Server<RelayData>): Promise<Response | undefined> {
    const started = performance.now();
    const target = splitTarget(req.url);
    const entry = newEntry(printable(req.method));
    const lap = stageClock(entry, started);
    // The path is logged only once redacted and checked.
    entry.path = "(withheld: not checked)";
    let untrusted = false;
    let counted = false;
    const refuse = (refusal: Refusal): Response => {
      entry.status = refusal.status;
      entry.refused = refusal.reason;
      finish(entry, started);
      return toResponse(refusal);
    };
    // Even a path ficta refuses is logged redacted; one the gate still flags, in any spelling
    // (`%2D` for `-` included), is not logged at all.
    let checked: Promise<{ output: string; hits: Set<string> }> | undefined;
    const checkPath = () =>
      checked ??= (async () => {
        const path = await engine.redactText(target.pathname);
        const hits = new Set([
          ...engine.gateText(path.output),
          ...engine.gateBytes(percentDecoded(path.output)),
        ]);
        entry.path = hits.size ? "(withheld: holds a protected value)" : printable(path.output);
        if (Object.keys(path.counts).length) entry.redacted.path = path.counts;
        return { output: path.output, hits };
      })();
    // Refused before its body is read: only the (short) path is looked at, for the log.
    const refuseEarly = async (refusal: Refusal) => {
      await checkPath();
      return refuse(refusal);
    };

    let forwarded = false;
    try {
      // Everything a caller controls is checked before its body is read, so a request this
      // launch did not make costs ficta next to nothing.
      if (req.headers.get("host") !== expectedHost) {
        return await refuseEarly(wrongHost(expectedHost));
      }
      // Only browsers send these; a web page that found the port is never Codex.
      if (req.headers.has("origin") || req.headers.has("sec-fetch-site")) {
        return await refuseEarly(fromBrowser());
      }
      const upgrade = req.headers.has("upgrade");
      const given = req.headers.get(PROXY_TOKEN_HEADER);
      const trusted = tokenMatches(given);
      if (!trusted) {
        const housekeeping = target.pathname.startsWith("/backend-api/");
        const authorization = req.headers.get("authorization");
        // Only the token's absence is tolerated (housekeeping, by default); a wrong one never is.
        const bound = housekeeping && given === null && !options.housekeepingNeedsToken &&
          (authorization === null || !options.binding || options.binding.matches(authorization));
        if (!bound) return await refuseEarly(missingToken());
        untrusted = authorization === null || !options.binding;
      }
      if (inFlight > REQUESTS_AT_ONCE || (untrusted && untrustedInFlight >= UNTRUSTED_AT_ONCE)) {
        return refuse(busy()); // not even the path: this is the flood's own answer
      }
      if (untrusted) {
        untrustedInFlight++;
        counted = true;
      }

      const { output: pathOut, hits: pathHits } = await checkPath();
      const nameHits = engine.gateText([...req.headers.keys()].join("\n"));
      if (pathHits.size || nameHits.length) {
        entry.blocked = !untrusted;
        entry.blockedNames = [...new Set([...pathHits, ...nameHits])].sort();
        const hits = [];
        if (pathHits.size) hits.push({ surface: "URL path", names: [...pathHits] });
        if (nameHits.length) hits.push({ surface: "header names", names: nameHits });
        return refuse(blocked(hits));
      }

      const route = resolveRoute(
        req.method,
        pathOut,
        req.headers.has(CHATGPT_ACCOUNT_HEADER),
        settings.upstream,
      );
      if (!route) return refuse(notAllowed(entry.method, entry.path));
      entry.route = route.name;
      entry.kind = route.kind;
      entry.upstream = route.upstream.href;
      if (!trusted && route.provider) return refuse(missingToken());
      if (upgrade) {
        // Only Codex's own Responses WebSocket (the model-turn path) is relayed.
        const turn = resolveRoute(
          "POST",
          pathOut,
          req.headers.has(CHATGPT_ACCOUNT_HEADER),
          settings.upstream,
        );
        const websocket = req.headers.get("upgrade")?.toLowerCase() === "websocket";
        if (!trusted || req.method !== "GET" || !websocket || turn?.kind !== "turn") {
          return refuse(webSocket());
        }
        srv.timeout(req, 0);
        return await sockets.upgrade(req, srv, {
          upstream: turn.upstream,
          route: turn.name,
          path: entry.path,
        });
      }
      if (transport === "websocket" && route.kind === "turn") {
        return refuse({
          status: 400,
          reason: "transport",
          message: "ficta refused this request: proxy.transport is websocket, so model turns " +
            "over HTTP are off. Set proxy.transport to auto to allow the HTTP fallback.",
        });
      }

      let body: Uint8Array | null;
      const cap = untrusted ? Math.min(limit, UNTRUSTED_BODY_LIMIT) : limit;
      try {
        const raw = await withDeadline(readBody(req, cap), bodyDeadline);
        entry.bytesIn = raw?.byteLength ?? 0;
        body = raw && await decodeBody(raw, req.headers.get("content-encoding"), cap);
      } catch (error) {
        if (error instanceof BodyTooLarge) return refuse(tooLarge(cap));
        if (error instanceof UndecodableBody) return refuse(undecodable(error.message));
        if (error instanceof SlowBody) return refuse(tooSlow(bodyDeadline));
        // The caller went away or broke the connection while sending its body.
        entry.outcome = "aborted";
        return refuse({ status: 400, reason: "body", message: "ficta: incomplete request body." });
      }
      lap("read");
      // The body is in: from here a model may think silently for minutes, which Bun's idle
      // timeout (kept until now, so a stalled sender is dropped) would cut.
      srv.timeout(req, 0);

      const headers = endToEnd(req.headers, [
        "host",
        PROXY_TOKEN_HEADER,
        "content-length",
        "content-encoding",
        "expect",
        "accept-encoding",
      ]);
      const accept = decodableAcceptEncoding(req.headers.get("accept-encoding"));
      if (accept) headers.set("accept-encoding", accept);

      const query = await redactQuery(engine, target.search);
      const headerCounts = await redactHeaders(engine, headers);
      const redactedBody = body?.length ? await engine.redactBytes(body) : null;
      lap("redact");
      const out: Outgoing = {
        pathname: route.upstream.pathname,
        search: query.search,
        headers,
        body: redactedBody?.output ?? null,
      };
      for (
        const [surface, counts] of [
          ["query", query.counts],
          ["headers", headerCounts],
          ["body", redactedBody?.counts ?? {}],
        ] as const
      ) {
        if (Object.keys(counts).length) entry.redacted[surface] = counts;
      }

      const hits = [...gate(engine, out), ...protocolHits(engine, body, out.body)];
      lap("gate");
      if (hits.length) {
        const refusal = blocked(hits);
        // Only what this launch's Codex sent counts as blocked (and in the exit code); a request
        // nothing ties to the launch is just refused.
        entry.blocked = !untrusted;
        entry.blockedNames = [...new Set(hits.flatMap((hit) => hit.names))].sort();
        return refuse(refusal);
      }

      entry.bytesUp = out.body?.byteLength ?? 0;
      const url = route.upstream.href + out.search;
      if (out.body && session.bodiesLog) {
        session.recordBody(entry.time, req.method, route.upstream.href, out.body);
      }

      let upstream: Response;
      forwarded = true;
      try {
        upstream = await callUpstream({
          url,
          method: req.method,
          headers,
          body: out.body,
          signal: req.signal,
        });
        lap("upstream");
      } catch (error) {
        if (req.signal.aborted) {
          entry.outcome = "aborted";
          finish(entry, started);
          return new Response(null, { status: 499 });
        }
        return refuse(unreachable(route.upstream.host, describe(error)));
      }

      // Codex would follow a redirect itself, straight to wherever it points, re-sending its
      // unredacted body on 307/308: never pass one on.
      if (upstream.status >= 300 && upstream.status < 400 && upstream.headers.has("location")) {
        upstream.body?.cancel().catch(() => {});
        return refuse(redirected(route.upstream.host, upstream.status));
      }
      entry.status = upstream.status;
      const answer = upstream;
      const relayed: RelayDone = (bytesOut, outcome, stats) => {
        entry.bytesOut = bytesOut;
        entry.outcome = outcome;
        if (stats) {
          entry.restored = stats.restored;
          entry.unknownSurrogates = stats.unknown;
          entry.keptInTools = stats.keptInTools;
        }
        finish(entry, started);
      };
      const { response, restoring } = guard(
        () => relay(answer, engine, trusted, req.signal, relayed),
        () => answer.body?.cancel(),
      );
      entry.restore = restoring;
      return response;
    } catch (error) {
      return refuse(internal(forwarded, (error as Error)?.name ?? "Error"));
    } finally {
      if (counted) untrustedInFlight--;
    }
  }

  return {
    port: server.port!,
    origin,
    async stop() {
      await server.stop(true);
    },
  };
}

/**
 * A fault in ficta itself. 400 so Codex shows it instead of retrying; the error's name only, as a
 * message could quote the request.
 */
function internal(forwarded: boolean, name: string): Refusal {
  const what = forwarded ? "the upstream's answer could not be relayed" : "nothing was sent";
  return {
    status: 400,
    reason: "internal",
    message: `ficta failed on this request (${printable(name)}); ${what}.`,
  };
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
