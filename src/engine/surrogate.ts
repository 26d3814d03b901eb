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
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(value)));
  // Base62 of the first 17 bytes (136 bits) of the MAC, most significant digit first.
  let n = 0n;
  for (let i = 0; i < 17; i++) n = (n << 8n) | BigInt(mac[i]);
  let body = "";
  for (let i = 0; i < SURROGATE_BODY_LENGTH; i++) {
    body = BASE62[Number(n % 62n)] + body;
    n /= 62n;
  }
  return SURROGATE_PREFIX + body;
}
