import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeKey, loadSurrogateKey, SurrogateKeyError } from "../../src/config/key.ts";
import { surrogateFor } from "../../src/core/surrogate.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

const home = () => join(mkdtempSync(join(tmpdir(), "ficta-key-")), "ficta");
const randomHex = () => crypto.getRandomValues(new Uint8Array(32)).toHex();

describe("surrogate key", () => {
  test("created on first use: 64 hex characters, 0600 in a 0700 directory, then reused", async () => {
    const env = { FICTA_HOME: home() };
    const first = await loadSurrogateKey(env);
    const file = join(env.FICTA_HOME, "key");
    expect(readFileSync(file, "utf8")).toMatch(/^[0-9a-f]{64}\n$/);
    if (process.platform !== "win32") {
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(env.FICTA_HOME).mode & 0o777).toBe(0o700);
    }
    const again = await loadSurrogateKey(env);
    expect(await surrogateFor(again, "some value")).toBe(await surrogateFor(first, "some value"));
  });

  test("concurrent first launches agree on one key", async () => {
    const env = { FICTA_HOME: home() };
    const keys = await Promise.all(
      Array.from({ length: 8 }, () =>
        Bun.spawn([
          process.execPath,
          "-e",
          `const { loadSurrogateKey } = await import(${
            JSON.stringify(join(import.meta.dir, "../../src/config/key.ts"))
          });
           const { surrogateFor } = await import(${
            JSON.stringify(join(import.meta.dir, "../../src/core/surrogate.ts"))
          });
           console.log(await surrogateFor(await loadSurrogateKey(process.env), "v"));`,
        ], { env: { ...process.env, ...env }, stdout: "pipe" }).stdout.text()),
    );
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^ficta_/);
  });

  test("FICTA_SURROGATE_KEY overrides the file: hex or base64", async () => {
    const hex = randomHex();
    const dir = home();
    const fromHex = await loadSurrogateKey({ FICTA_SURROGATE_KEY: hex, FICTA_HOME: dir });
    const base64 = Uint8Array.fromHex(hex).toBase64();
    const fromBase64 = await loadSurrogateKey({ FICTA_SURROGATE_KEY: base64 });
    expect(await surrogateFor(fromHex, "x")).toBe(await surrogateFor(fromBase64, "x"));
    expect(statSync(dir, { throwIfNoEntry: false })).toBeUndefined(); // no file created
  });

  test("a malformed variable or file is a clear error that never quotes the key", async () => {
    const bad = randomHex().slice(0, 40);
    const error = await loadSurrogateKey({ FICTA_SURROGATE_KEY: bad }).catch((e) => e);
    expect(error).toBeInstanceOf(SurrogateKeyError);
    expect(error.message).toContain("FICTA_SURROGATE_KEY");
    expect(error.message).not.toContain(bad);

    const dir = home();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "key"), bad);
    const fileError = await loadSurrogateKey({ FICTA_HOME: dir }).catch((e) => e);
    expect(fileError.message).toContain(join(dir, "key"));
    expect(fileError.message).not.toContain(bad);
  });

  test.skipIf(process.platform === "win32")(
    "a key file readable by others is tightened to 0600",
    async () => {
      const dir = home();
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "key"), randomHex());
      chmodSync(join(dir, "key"), 0o644);
      await loadSurrogateKey({ FICTA_HOME: dir });
      expect(statSync(join(dir, "key")).mode & 0o777).toBe(0o600);
    },
  );

  test("decodeKey: at least 32 bytes, nothing else", () => {
    expect(decodeKey(randomHex())?.length).toBe(32);
    expect(decodeKey(` ${randomHex()}\n`)?.length).toBe(32);
    expect(
      decodeKey(crypto.getRandomValues(new Uint8Array(48)).toBase64({ alphabet: "base64url" })),
    )
      .toHaveLength(48);
    expect(decodeKey(crypto.getRandomValues(new Uint8Array(16)).toBase64())).toBeNull();
    expect(decodeKey("not a key at all!")).toBeNull();
    expect(decodeKey("")).toBeNull();
  });
});
