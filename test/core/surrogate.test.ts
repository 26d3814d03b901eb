import { describe, expect, test } from "bun:test";
import {
  importSurrogateKey,
  SURROGATE_PATTERN,
  surrogateFor,
  surrogatesFor,
} from "../../src/core/surrogate.ts";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** The definition: base62 of the MAC's first 17 bytes as one big number, 22 digits. */
async function reference(raw: Uint8Array, value: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    raw as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(value)),
  );
  let n = 0n;
  for (let i = 0; i < 17; i++) n = (n << 8n) | BigInt(mac[i]);
  let body = "";
  for (let i = 0; i < 22; i++) {
    body = BASE62[Number(n % 62n)] + body;
    n /= 62n;
  }
  return "ficta_" + body;
}

describe("surrogates", () => {
  test("stay what earlier versions produced (prompt caches and logs keep matching)", async () => {
    const key = await importSurrogateKey(new Uint8Array(32).map((_, i) => i));
    expect(await surrogateFor(key, "not-a-real-secret")).toBe("ficta_cCKBnwA0kCKZKhaFnw3JuT");
    expect(await surrogateFor(key, 'é\n"ü')).toBe("ficta_2gxIIeAWdjVRFHSLCsLMUC");
  });

  test("match the big-number definition, one at a time and in a batch", async () => {
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const key = await importSurrogateKey(raw);
    const values = Array.from({ length: 300 }, (_, i) => `${crypto.randomUUID()}-${i}`);
    const batch = await surrogatesFor(key, values);
    for (let i = 0; i < values.length; i++) {
      const expected = await reference(raw, values[i]);
      expect(batch[i]).toBe(expected);
      expect(await surrogateFor(key, values[i])).toBe(expected);
      expect(expected).toMatch(new RegExp(`^${SURROGATE_PATTERN.source}$`));
    }
  });
});
