/** A loopback mock upstream and a proxy wired to it, in a throw-away FICTA_HOME. */
import { responsesDialect } from "../../src/agents/codex/wire.ts";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { schema, type Settings } from "../../src/config/schema.ts";
import type { Engine } from "../../src/core/types.ts";
import { codexProxy } from "../../src/agents/codex/proxy.ts";
import { say } from "../../src/cli/say.ts";
import { PROXY_TOKEN_HEADER, type RunningProxy, serve } from "../../src/proxy/mod.ts";
import { createSession, type RequestEntry, type Session } from "../../src/report/index.ts";

export interface Received {
  method: string;
  /** Path and query exactly as the upstream saw them. */
  target: string;
  headers: Headers;
  body: Uint8Array;
}

export type UpstreamHandler = (req: Request, body: Uint8Array) => Response | Promise<Response>;

export interface MockUpstream {
  origin: string;
  received: Received[];
  /** Replaces how the upstream answers (default: 200 JSON `{"ok":true}`). */
  answer(handler: UpstreamHandler): void;
  /** Signals of upstream requests, to see aborts. */
  signals: AbortSignal[];
  stop(): Promise<void>;
}

export function mockUpstream(): MockUpstream {
  let handler: UpstreamHandler = () => Response.json({ ok: true });
  const received: Received[] = [];
  const signals: AbortSignal[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req, srv) {
      srv.timeout(req, 0);
      const body = new Uint8Array(await req.arrayBuffer());
      const url = new URL(req.url);
      received.push({
        method: req.method,
        target: url.pathname + url.search,
        headers: req.headers,
        body,
      });
      signals.push(req.signal);
      return await handler(req, body);
    },
  });
  return {
    origin: `http://127.0.0.1:${server.port}`,
    received,
    signals,
    answer(h) {
      handler = h;
    },
    async stop() {
      await server.stop(true);
    },
  };
}

export interface TestProxy {
  proxy: RunningProxy;
  upstream: MockUpstream;
  session: Session;
  token: string;
  home: string;
  settings: Settings;
  /** Sends a request to the proxy, with the token unless `headers` sets it otherwise. */
  send(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  entries(): RequestEntry[];
  close(): Promise<void>;
}

/** Test seams: a shorter Bun idle timeout, per-request lines captured, a shorter body deadline. */
export interface ProxySeams {
  idleTimeout?: number;
  /** Where per-request lines go (default: `say`, stderr). */
  say?: (message: string) => void;
  bodyDeadlineMs?: number;
}

export interface TestProxyOptions {
  engine: Engine;
  settings?: Record<string, Record<string, unknown>>;
  stderrIsTTY?: boolean;
  housekeepingNeedsToken?: boolean;
  seams?: ProxySeams;
  /** Point the upstreams somewhere else (e.g. a closed port). */
  upstreamOrigin?: string;
}

export function startTestProxy(options: TestProxyOptions): TestProxy {
  const upstream = mockUpstream();
  const home = mkdtempSync(join(tmpdir(), "ficta-proxy-test-"));
  const origin = options.upstreamOrigin ?? upstream.origin;
  const settings = schema.parse({
    ...options.settings,
    upstream: { chatgpt: origin, openai: origin },
  });
  const env = { FICTA_HOME: home };
  const session = createSession(settings, env);
  const token = crypto.randomUUID();
  const seams = options.seams ?? {};
  const proxy = serve({
    agent: codexProxy,
    engine: options.engine,
    dialect: responsesDialect,
    settings,
    token,
    session,
    requestLines: (options.stderrIsTTY ?? true) ? undefined : (seams.say ?? say),
    housekeepingNeedsToken: options.housekeepingNeedsToken,
    idleTimeout: seams.idleTimeout,
    bodyDeadlineMs: seams.bodyDeadlineMs,
  });
  return {
    proxy,
    upstream,
    session,
    token,
    home,
    settings,
    send(path, init = {}) {
      const headers = new Headers(init.headers);
      const given = init.token === undefined ? token : init.token;
      if (given !== null && !headers.has(PROXY_TOKEN_HEADER)) {
        headers.set(PROXY_TOKEN_HEADER, given);
      }
      return fetch(proxy.origin + path, { ...init, headers, decompress: false });
    },
    entries() {
      // The log file appears with the first entry.
      if (!existsSync(session.requestsLog)) return [];
      return readFileSync(session.requestsLog, "utf8").split("\n").filter(Boolean).map((line) =>
        JSON.parse(line) as RequestEntry
      );
    },
    async close() {
      await proxy.stop();
      session.close();
      await upstream.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Waits until `predicate` holds (log entries are written when a stream ends). */
export async function until(predicate: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await Bun.sleep(5);
  }
}

/** Codex-like ChatGPT-login headers (fake credentials). */
export function chatgptHeaders(): Record<string, string> {
  return {
    authorization: `Bearer fake-access-${crypto.randomUUID()}`,
    "chatgpt-account-id": crypto.randomUUID(),
    "content-type": "application/json",
    accept: "text/event-stream",
  };
}

export function apiKeyHeaders(): Record<string, string> {
  return {
    authorization: `Bearer fake-key-${crypto.randomUUID()}`,
    "content-type": "application/json",
    accept: "text/event-stream",
  };
}

export function sse(events: unknown[]): string {
  return events.map((e) => `event: ${(e as { type: string }).type}\ndata: ${JSON.stringify(e)}\n\n`)
    .join("");
}
