/** Both ends of the wire: reading the client's body, calling the upstream, relaying its answer. */
import { type Dialect, type Engine, isRestorable, type RestoreStats } from "../core/mod.ts";
import { BodyTooLarge, concatBytes, decodingStream, piped } from "./codecs.ts";
import { runtime } from "../runtime/mod.ts";
import { endToEnd } from "./headers.ts";

/** Reads the request body, refusing more than `limit` bytes before buffering them. */
export async function readBody(req: Request, limit: number): Promise<Uint8Array | null> {
  if (!req.body) return null;
  const declared = req.headers.get("content-length");
  if (declared !== null) {
    if (Number(declared) > limit) throw new BodyTooLarge(limit);
    return await req.bytes();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.byteLength;
    if (size > limit) throw new BodyTooLarge(limit);
    chunks.push(chunk);
  }
  return concatBytes(chunks, size);
}

export interface UpstreamCall {
  url: string;
  method: string;
  headers: Headers;
  body: Uint8Array | null;
  signal: AbortSignal;
}

/** Calls the upstream exactly once: no redirects followed, no idle timeout, bytes as they come. */
export function callUpstream(call: UpstreamCall): Promise<Response> {
  // The runtime's upstream fetch: compressed answers are passed through (or decoded by ficta when
  // it must restore them), and a model may think for minutes before its first byte.
  return runtime.fetchUpstream(call.url, {
    method: call.method,
    headers: call.headers,
    body: call.body?.length ? call.body as Uint8Array<ArrayBuffer> : undefined,
    signal: call.signal,
  });
}

export type Outcome = "complete" | "aborted" | "failed";

export interface Relay {
  response: Response;
  /** Whether surrogates in this answer are being restored. */
  restoring: boolean;
}

/** Called once when the answer has been fully sent, the client went away, or the upstream broke off. */
export type RelayDone = (bytesOut: number, outcome: Outcome, stats: RestoreStats | null) => void;

export interface RelayOptions {
  /** The upstream's answer. */
  upstream: Response;
  engine: Engine;
  /** Whether surrogates are turned back into values (never in an answer to an untrusted call). */
  restore: boolean;
  /** The agent's wire dialect, for the restorer. */
  dialect: Dialect;
  /** The client's request signal: tells a client that went away from an upstream that broke off. */
  clientSignal: AbortSignal;
  done: RelayDone;
}

/**
 * Builds the client's answer from the upstream's: same status and end-to-end headers; textual
 * bodies restored as they stream (when `restore`), anything else passed through byte for byte.
 */
export function relay(
  { upstream, engine, restore, dialect, clientSignal, done }: RelayOptions,
): Relay {
  const headers = endToEnd(upstream.headers);
  const contentType = upstream.headers.get("content-type");
  let body: ReadableStream<Uint8Array> | null = upstream.body;
  let stats: RestoreStats | null = null;
  let restoring = false;
  if (body && restore && isRestorable(contentType)) {
    const decoded = decodingStream(body, upstream.headers.get("content-encoding"));
    if (decoded) {
      const restorer = engine.restorer({ contentType, dialect });
      body = piped(decoded, restorer.stream);
      stats = restorer.stats;
      restoring = true;
      // The body is now decoded and its length changes with every restored value.
      headers.delete("content-encoding");
      headers.delete("content-length");
    }
  }
  const init = { status: upstream.status, statusText: upstream.statusText, headers };
  if (!body) {
    done(0, "complete", stats);
    return { response: new Response(null, init), restoring };
  }
  return {
    response: new Response(
      metered(body, clientSignal, (bytes, outcome) => done(bytes, outcome, stats)),
      init,
    ),
    restoring,
  };
}

/** Passes `source` through, counting bytes and reporting once how the stream ended. */
function metered(
  source: ReadableStream<Uint8Array>,
  clientSignal: AbortSignal,
  done: (bytes: number, outcome: Outcome) => void,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let bytes = 0;
  let settled = false;
  const settle = (outcome: Outcome) => {
    if (settled) return;
    settled = true;
    done(bytes, outcome);
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done: end } = await reader.read();
        if (end) {
          settle("complete");
          controller.close();
          return;
        }
        bytes += value.byteLength;
        controller.enqueue(value);
      } catch (error) {
        settle(clientSignal.aborted ? "aborted" : "failed");
        controller.error(error);
      }
    },
    cancel(reason) {
      settle("aborted");
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
