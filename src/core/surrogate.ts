/**
 * Surrogates: `ficta_` + 22 base62 characters (131 bits) of HMAC-SHA256(key, value).
 * Deterministic per install key, so a value keeps its surrogate across turns and sessions and
 * prompt caching survives; `[A-Za-z0-9_]` only, so it is safe in JSON, URLs and shells.
 */

export const SURROGATE_PREFIX = "ficta_";
export const SURROGATE_BODY_LENGTH = 22;
export const SURROGATE_LENGTH = SURROGATE_PREFIX.length + SURROGATE_BODY_LENGTH;
/** Anything of the surrogate's shape, known to this engine or not. */
export const SURROGATE_PATTERN = /ficta_[A-Za-z0-9]{22}/g;

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const encoder = new TextEncoder();

export async function importSurrogateKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length < 32) throw new Error("surrogate key must be at least 256 bits");
  return await crypto.subtle.importKey(
    "raw",
    raw as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
}

export async function surrogateFor(key: CryptoKey, value: string): Promise<string> {
  return (await surrogatesFor(key, [value]))[0];
}

/**
 * The surrogates of `values`, in order. The MACs are computed concurrently, then encoded in one
 * loop (a loop run 1000 times is optimized sooner than 1000 calls of an async function).
 */
export async function surrogatesFor(key: CryptoKey, values: readonly string[]): Promise<string[]> {
  const macs = await Promise.all(
    values.map((value) => crypto.subtle.sign("HMAC", key, encoder.encode(value))),
  );
  return macs.map(base62);
}

/**
 * Base62 of the first 136 bits of the MAC, most significant digit first: long division by 62 of
 * the number held as six limbs of 24 bits (below 2^31 with a remainder on top; a BigInt
 * conversion cost about 2 ms per 1000 values).
 */
function base62(mac: ArrayBuffer): string {
  const b = new Uint8Array(mac, 0, 17);
  const limbs = [
    (b[0] << 8) | b[1],
    (b[2] << 16) | (b[3] << 8) | b[4],
    (b[5] << 16) | (b[6] << 8) | b[7],
    (b[8] << 16) | (b[9] << 8) | b[10],
    (b[11] << 16) | (b[12] << 8) | b[13],
    (b[14] << 16) | (b[15] << 8) | b[16],
  ];
  let body = "";
  for (let d = 0; d < SURROGATE_BODY_LENGTH; d++) {
    let remainder = 0;
    for (let i = 0; i < limbs.length; i++) {
      const acc = remainder * 0x1000000 + limbs[i];
      limbs[i] = (acc / 62) | 0;
      remainder = acc - limbs[i] * 62;
    }
    body = BASE62[remainder] + body;
  }
  return SURROGATE_PREFIX + body;
}
