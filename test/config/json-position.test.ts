import { describe, expect, test } from "bun:test";
import { jsonProblem } from "../../src/config/json-position.ts";

/** Deterministic PRNG (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("jsonProblem", () => {
  test("names line, column and position of the first fault", () => {
    expect(jsonProblem('[{"name":"x",\n "argv": [a]}]')).toEqual({
      position: 24,
      line: 2,
      column: 11,
      reason: "unexpected character",
    });
    expect(jsonProblem('[{"name":"x","argv":["a"]}]')).toBeNull();
  });

  test("agrees with JSON.parse on 5,000 one-character mutations of valid JSON (seeded)", () => {
    const next = random(12);
    const base = JSON.stringify([
      { name: "doppler", argv: ["doppler", "secrets", "download"], timeout_ms: 1500, env: [] },
      { a: [true, false, null, -1.5e3, 0, 'é\\"\u0001'], b: {} },
    ]);
    const alphabet = '{}[]:,"\\ truefalsn0123456789-+.eE\n\tx\u0000';
    for (let n = 0; n < 5000; n++) {
      const at = Math.floor(next() * base.length);
      const c = alphabet[Math.floor(next() * alphabet.length)];
      const mode = Math.floor(next() * 3);
      const text = mode === 0
        ? base.slice(0, at) + c + base.slice(at + 1)
        : mode === 1
        ? base.slice(0, at) + c + base.slice(at)
        : base.slice(0, at) + base.slice(at + 1);
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      expect({ text, valid: jsonProblem(text) === null }).toEqual({ text, valid });
    }
  });
});
