/**
 * Seeded fakes for the engine tests: values, bodies and engines. Nothing here is a real
 * credential; values are random strings generated per run from a seed printed on failure.
 */
import { buildEngine, type ShapeFinder } from "../../src/core/engine.ts";
import { importSurrogateKey } from "../../src/core/surrogate.ts";
import type { Counts, Engine, EngineOptions, RestoreStats, Secret } from "../../src/core/types.ts";
import { restoreText } from "./restore/whole.ts";
import { findShapes } from "../../src/core/redact/shapes.ts";
import { responsesDialect } from "../../src/agents/codex/wire.ts";

/** mulberry32: small, fast, good enough to shuffle test inputs reproducibly. */
export function seeded(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `length` characters (code points, so never half of an astral character) from `alphabet`. */
export function randomString(rand: () => number, alphabet: string, length: number): string {
  const chars = Array.from(alphabet);
  let out = "";
  for (let i = 0; i < length; i++) out += chars[Math.floor(rand() * chars.length)];
  return out;
}

/** A fresh random alphanumeric value, distinct from anything else in a test. */
export function fakeValue(length = 32): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => ALNUM[b % ALNUM.length]).join("");
}

export function fakePem(lines = 8): string {
  const body = Array.from({ length: lines }, () => fakeValue(64).replace(/[xyz]/g, "+"));
  return ["-----BEGIN PRIVATE KEY-----", ...body, "-----END PRIVATE KEY-----"].join("\n");
}

export const OPTIONS: EngineOptions = {
  encoded: true,
  shapes: false,
  disabledFormats: [],
  restoreIntoTools: "all",
  dialect: responsesDialect,
};

let key: CryptoKey | undefined;
export async function testKey(): Promise<CryptoKey> {
  key ??= await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
  return key;
}

/** An engine with what tests look into: whole-body restore (Codex's dialect) and counts. */
export interface TestEngine extends Engine {
  /** Restore a whole text answer (SSE, JSON or plain, sniffed) at once. */
  restoreText(input: string): { output: string; stats: RestoreStats };
  /** Distinct protected values (registered plus learned), and shape detections by format. */
  stats(): { values: number; detections: Counts };
}

export async function engineFor(
  secrets: Secret[],
  options: Partial<EngineOptions> = {},
  finder?: ShapeFinder,
): Promise<TestEngine> {
  return testEngine(
    await buildEngine(secrets, await testKey(), { ...OPTIONS, ...options }, finder),
  );
}

/** What `compileEngine` builds (the real shape finder), as a TestEngine. */
export async function compiledEngine(
  secrets: Secret[],
  key: CryptoKey,
  options: EngineOptions,
): Promise<TestEngine> {
  return testEngine(await buildEngine(secrets, key, options, findShapes));
}

function testEngine(engine: Awaited<ReturnType<typeof buildEngine>>): TestEngine {
  return {
    ...engine,
    restoreText: (input) => restoreText(input, { ...engine.insight().restore, contentType: null }),
    stats: () => {
      const { values, detections } = engine.insight();
      return { values, detections };
    },
  };
}

export const secret = (name: string, value: string, spellings?: string[]): Secret => ({
  name,
  source: "test",
  value,
  ...(spellings ? { spellings } : {}),
});

export const bytes = (text: string) => new TextEncoder().encode(text);
export const text = (data: Uint8Array) => new TextDecoder().decode(data);
