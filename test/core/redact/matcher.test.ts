import { describe, expect, test } from "bun:test";
import { type Match, Matcher } from "../../../src/core/redact/matcher.ts";
import { bytes, randomString, seeded } from "../fakes.ts";

function matcherOf(patterns: string[], minLength = 8): Matcher {
  const m = new Matcher(minLength, patterns.length);
  patterns.forEach((p, id) => m.add(p, id));
  return m;
}

/** Every occurrence of every pattern, by brute force. */
function allOccurrences(text: string, patterns: string[]): Match[] {
  const out: Match[] = [];
  patterns.forEach((p, id) => {
    for (let at = text.indexOf(p); at >= 0; at = text.indexOf(p, at + 1)) {
      out.push({ start: at, end: at + p.length, id });
    }
  });
  return out;
}

/**
 * The specification: leftmost, then longest, then first registered; an occurrence that starts
 * inside the chosen one and ends past it extends it (the union is protected); repeat after its end.
 */
function reference(text: string, patterns: string[]): Match[] {
  const all = allOccurrences(text, patterns);
  all.sort((a, b) => a.start - b.start || b.end - a.end || a.id - b.id);
  const out: Match[] = [];
  let end = 0;
  for (const m of all) {
    if (m.start >= end) {
      out.push(m);
      end = m.end;
    } else if (m.end > end) {
      const last = out.pop()!;
      out.push({
        start: last.start,
        end: m.end,
        id: last.id,
        ids: [...(last.ids ?? [last.id]), m.id],
      });
      end = m.end;
    }
  }
  return out;
}

describe("Matcher", () => {
  test("finds each pattern anywhere, including at both ends of the text", () => {
    const m = matcherOf(["abcdefgh", "12345678xyz"]);
    expect(m.find(bytes("abcdefgh--12345678xyz"))).toEqual([
      { start: 0, end: 8, id: 0 },
      { start: 10, end: 21, id: 1 },
    ]);
    expect(m.find(bytes("12345678xyz"))).toEqual([{ start: 0, end: 11, id: 1 }]);
    expect(m.find(bytes("abcdefg"))).toEqual([]);
    expect(m.find(new Uint8Array(0))).toEqual([]);
  });

  test("a value containing another wins as a whole, wherever the inner one sits", () => {
    const inner = "SECRET42";
    const outer = "prefix-SECRET42-suffix";
    const m = matcherOf([inner, outer, "SECRET42-suffix"]);
    expect(m.find(bytes(`x ${outer} y ${inner}`))).toEqual([
      { start: 2, end: 2 + outer.length, id: 1 },
      { start: 2 + outer.length + 3, end: 2 + outer.length + 3 + inner.length, id: 0 },
    ]);
  });

  test("overlapping values: leftmost first, then longest, merged with what overlaps its end", () => {
    const m = matcherOf(["aaaabbbb", "bbbbcccc", "aaaabbbbcc"]);
    expect(m.find(bytes("aaaabbbbcccc"))).toEqual([{ start: 0, end: 12, id: 2, ids: [2, 1] }]);
    expect(m.find(bytes("aaaabbbb--bbbbcccc")).map((x) => x.id)).toEqual([0, 1]);
    expect(m.present(bytes("aaaabbbbcccc"))).toEqual(new Set([0, 1, 2]));
  });

  test("identical patterns: the first registered wins", () => {
    const m = new Matcher(8);
    m.add("samesame", 5);
    m.add("samesame", 3);
    expect(m.find(bytes("..samesame..")).map((x) => x.id)).toEqual([5]);
  });

  test("a lower rank wins over an overlapping higher rank, even a longer or earlier one", () => {
    const m = new Matcher(8);
    m.add("registered", 0, 0);
    m.add("xx-registered-learned", 1, 1);
    m.add("learned-only", 2, 1);
    const found = m.find(bytes("xx-registered-learned learned-only"));
    expect(found).toEqual([{ start: 3, end: 13, id: 0 }, { start: 22, end: 34, id: 2 }]);
  });

  test("patterns sharing a long prefix are told apart", () => {
    const patterns = Array.from(
      { length: 300 },
      (_, i) => `sk-proj-${String(i).padStart(40, "0")}`,
    );
    const m = matcherOf(patterns);
    const text = patterns.filter((_, i) => i % 7 === 0).join(" and ");
    expect(m.find(bytes(text)).map((x) => x.id)).toEqual(
      patterns.map((_, i) => i).filter((i) => i % 7 === 0),
    );
  });

  test("works on a subarray of a larger buffer", () => {
    const m = matcherOf(["abcdefgh"]);
    const big = bytes("zzabcdefghzz abcdefgh");
    expect(m.find(big.subarray(2, 12))).toEqual([{ start: 0, end: 8, id: 0 }]);
    expect(m.find(big.subarray(3, 12))).toEqual([]);
  });

  test("short minimum lengths (1 to 7 bytes) still find every occurrence", () => {
    for (let min = 1; min <= 7; min++) {
      const patterns = ["xy".repeat(4).slice(0, min), "q".repeat(min + 2)];
      const m = matcherOf(patterns, min);
      const text = `${patterns[0]}--${patterns[1]}-${patterns[0]}`;
      expect(m.find(bytes(text))).toEqual(reference(text, patterns));
    }
  });

  test("grows past its expected size and keeps finding earlier patterns", () => {
    const m = new Matcher(8, 1);
    const patterns = Array.from({ length: 2000 }, (_, i) => `value-${i}-${"z".repeat(i % 5)}-end`);
    patterns.forEach((p, id) => m.add(p, id));
    expect(m.find(bytes(`<${patterns[0]}> <${patterns[1999]}>`)).map((x) => x.id)).toEqual([
      0,
      1999,
    ]);
  });

  test("refuses a pattern shorter than its minimum", () => {
    expect(() => new Matcher(8).add("short", 0)).toThrow(RangeError);
  });

  test("property: equals the brute-force leftmost-longest on random overlapping inputs", () => {
    const rand = seeded(42);
    for (let round = 0; round < 400; round++) {
      const alphabet = "ab" + (round % 3 === 0 ? "c" : "") + (round % 5 === 0 ? "é" : "");
      const min = 1 + Math.floor(rand() * 10);
      const patterns = [
        ...new Set(
          Array.from(
            { length: 1 + Math.floor(rand() * 12) },
            () => randomString(rand, alphabet, min + Math.floor(rand() * 6)),
          ),
        ),
      ].filter((p) => bytes(p).length >= min);
      const text = randomString(rand, alphabet, Math.floor(rand() * 300));
      // Offsets are in bytes: compare on a one-char-per-byte view.
      const latin = (s: string) => new TextDecoder("latin1").decode(bytes(s));
      const m = matcherOf(patterns, min);
      expect(m.find(bytes(text))).toEqual(reference(latin(text), patterns.map(latin)));
      const expectedIds = new Set(
        allOccurrences(latin(text), patterns.map(latin)).map((x) => x.id),
      );
      expect(m.present(bytes(text))).toEqual(expectedIds);
    }
  });
});
