/**
 * The loopback proxy: one Bun.serve on 127.0.0.1, an allowlist of routes, every request redacted
 * and gated before it leaves, every textual answer restored as it streams back.
 */
import { timingSafeEqual } from "node:crypto";
import { say } from "../cli/say.ts";
import type { Engine } from "../engine/types.ts";
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
import {
  blocked,
  fromBrowser,
  missingToken,
  notAllowed,
  redirected,
  type Refusal,
  tooLarge,
  toResponse,
  undecodable,
  unreachable,
  webSocket,
  wrongHost,
} from "./refusals.ts";
import { CHATGPT_ACCOUNT_HEADER, resolveRoute } from "./routes.ts";

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
   * `/backend-api/*` housekeeping calls (Codex's `chatgpt_base_url`) may come without the
   * provider's headers. false (default): they are still redacted, gated and forwarded without the
   * token, but their answers are never restored (restoring is what a foreign caller could abuse).
   * true: they need the token like `/v1/*`.
   */
  housekeepingNeedsToken?: boolean;
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
}

const MiB = 1024 * 1024;
const encoder = new TextEncoder();

export function startProxy(options: ProxyOptions, seams: ProxySeams = {}): RunningProxy {
  const { engine, settings, session } = options;
  const limit = settings.proxy.max_body_mb * MiB;
  const token = encoder.encode(options.token);
  const printLines = !options.stderrIsTTY;
  const print = seams.say ?? say;

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

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    // ficta enforces proxy.max_body_mb itself, so an oversized body gets a message and a log line.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    ...(seams.idleTimeout === undefined ? {} : { idleTimeout: seams.idleTimeout }),
    fetch(req, srv) {
      // Bun's 10 s idle timeout would cut a model that thinks silently for minutes.
      srv.timeout(req, 0);
      return handle(req);
    },
  });
  const origin = `http://127.0.0.1:${server.port}`;
  const expectedHost = `127.0.0.1:${server.port}`;

  async function handle(req: Request): Promise<Response> {
    const started = performance.now();
    const url = new URL(req.url);
    const entry = newEntry(req.method);
    const lap = stageClock(entry, started);
    const refuse = (refusal: Refusal): Response => {
      entry.status = refusal.status;
      entry.refused = refusal.reason;
      finish(entry, started);
      return toResponse(refusal);
    };

    let forwarded = false;
    try {
      // Even a path ficta refuses is logged redacted; one the gate still flags is not logged at all.
      const path = await engine.redactText(url.pathname);
      const pathHits = engine.gateText(path.output);
      entry.path = pathHits.length ? "(withheld: holds a protected value)" : path.output;
      if (Object.keys(path.counts).length) entry.redacted.path = path.counts;

      if (req.headers.get("host") !== expectedHost) return refuse(wrongHost(expectedHost));
      // Only browsers send these; a web page that found the port is never Codex.
      if (req.headers.has("origin") || req.headers.has("sec-fetch-site")) {
        return refuse(fromBrowser());
      }
      if (req.headers.has("upgrade")) return refuse(webSocket());
      const route = resolveRoute(
        req.method,
        path.output,
        req.headers.has(CHATGPT_ACCOUNT_HEADER),
        settings.upstream,
      );
      if (!route) return refuse(notAllowed(req.method, entry.path));
      entry.route = route.name;
      entry.kind = route.kind;
      entry.upstream = route.upstream.href;

      const given = req.headers.get(PROXY_TOKEN_HEADER);
      const trusted = tokenMatches(given);
      // Only the token's absence is tolerated (housekeeping, by default); a wrong one never is.
      if (!trusted && (given !== null || route.provider || options.housekeepingNeedsToken)) {
        return refuse(missingToken());
      }

      let body: Uint8Array | null;
      try {
        const raw = await readBody(req, limit);
        entry.bytesIn = raw?.byteLength ?? 0;
        body = raw && await decodeBody(raw, req.headers.get("content-encoding"), limit);
      } catch (error) {
        if (error instanceof BodyTooLarge) return refuse(tooLarge(limit));
        if (error instanceof UndecodableBody) return refuse(undecodable(error.message));
        throw error;
      }
      lap("read");

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

      const query = await redactQuery(engine, url.search);
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
        entry.blocked = true;
        entry.blockedNames = [...new Set(hits.flatMap((hit) => hit.names))].sort();
        return refuse(refusal);
      }

      entry.bytesUp = out.body?.byteLength ?? 0;
      const target = route.upstream.href + out.search;
      if (out.body && session.bodiesLog) {
        session.recordBody(entry.time, req.method, route.upstream.href, out.body);
      }

      let upstream: Response;
      forwarded = true;
      try {
        upstream = await callUpstream({
          url: target,
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
      // A fault in ficta itself. 400 so Codex shows it instead of retrying; the name only, as a
      // message could quote the request.
      const what = forwarded ? "the upstream's answer could not be relayed" : "nothing was sent";
      return refuse({
        status: 400,
        reason: "internal",
        message: `ficta failed on this request (${(error as Error).name}); ${what}.`,
      });
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
