/**
 * Content codings. Request bodies are decoded before redaction (a zstd body would otherwise hide
 * every value from the matcher) and forwarded decoded; answers that must be restored are decoded
 * on the fly.
 */
// node:zlib is imported on the first compressed body only: loading it costs ~10 ms of every
// launch, and Codex's custom provider never compresses.
type Zlib = typeof import("node:zlib");

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`larger than ${limit} bytes`);
  }
}

export class UndecodableBody extends Error {}

/** `Content-Encoding: gzip, zstd` lists codings in the order applied: undo them right to left. */
export function codings(header: string | null): string[] {
  if (!header) return [];
  return header.split(",").map((c) => c.trim().toLowerCase()).filter((c) => c && c !== "identity");
}

/** Decodes a request body; each stage's output is capped at `limit` bytes. */
export async function decodeBody(
  body: Uint8Array,
  header: string | null,
  limit: number,
): Promise<Uint8Array> {
  const stages = codings(header).reverse();
  if (stages.length === 0) return body;
  const zlib = await import("node:zlib");
  let data = body;
  for (const coding of stages) data = decodeOne(zlib, data, coding, limit);
  return data;
}

function decodeOne(zlib: Zlib, data: Uint8Array, coding: string, limit: number): Uint8Array {
  const { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync, zstdDecompressSync } =
    zlib;
  const options = { maxOutputLength: limit };
  try {
    switch (coding) {
      case "gzip":
      case "x-gzip":
        return gunzipSync(data, options);
      case "deflate":
        // HTTP's deflate is zlib-wrapped, but some clients send raw deflate.
        try {
          return inflateSync(data, options);
        } catch (error) {
          if (isTooLarge(error)) throw error;
          return inflateRawSync(data, options);
        }
      case "br":
        return brotliDecompressSync(data, options);
      case "zstd":
        return zstdDecompressSync(data, options);
    }
  } catch (error) {
    if (isTooLarge(error)) throw new BodyTooLarge(limit);
    throw new UndecodableBody(`not valid ${coding}`);
  }
  throw new UndecodableBody(`unsupported content-encoding ${coding}`);
}

function isTooLarge(error: unknown): boolean {
  return (error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE";
}

const STREAM_FORMATS: Record<string, CompressionFormat> = {
  gzip: "gzip",
  "x-gzip": "gzip",
  deflate: "deflate",
  br: "brotli" as CompressionFormat,
  zstd: "zstd" as CompressionFormat,
};

/**
 * A stream that undoes `header`'s codings, or null when one of them is unknown (the answer is then
 * passed through as is, unrestored).
 */
export function decodingStream(
  body: ReadableStream<Uint8Array>,
  header: string | null,
): ReadableStream<Uint8Array> | null {
  let stream = body;
  for (const coding of codings(header).reverse()) {
    const format = STREAM_FORMATS[coding];
    if (!format) return null;
    const decoder = new DecompressionStream(format) as unknown as TransformStream<
      Uint8Array,
      Uint8Array
    >;
    stream = stream.pipeThrough(decoder);
  }
  return stream;
}
