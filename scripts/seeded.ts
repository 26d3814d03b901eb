/**
 * The benchmarks' seeded random numbers: mulberry32, the same generator as the tests' fakes
 * (test/core/fakes.ts), kept here so scripts/ never imports test/ (a bench run stays
 * reproducible from its seed).
 */
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
