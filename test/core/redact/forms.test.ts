import { describe, expect, test } from "bun:test";
import { ENCODED_MIN_LENGTH, formsOf, jsonEscape } from "../../../src/core/redact/forms.ts";
import { fakeValue, randomString, seeded } from "../fakes.ts";

const ON = { encoded: true };
const OFF = { encoded: false };
const inner = (s: string) => JSON.stringify(s).slice(1, -1);
/** Python's json.dumps default: non-ASCII as \uXXXX (UTF-16 units, lower-case hex). */
const pythonAscii = (s: string) =>
  inner(s).replace(
    /[\u0080-\uffff]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );

type Style = NonNullable<Parameters<typeof jsonEscape>[1]>;
const STYLES: Style[] = [
  { slash: true },
  { asciiOnly: true },
  { asciiOnly: true, upperHex: true },
  { html: true },
  { html: true, dotnet: true, asciiOnly: true, upperHex: true },
  { allUnicode: true, asciiOnly: true },
  { allUnicode: true, asciiOnly: true, upperHex: true },
];

/** The escaping rules spelled out one UTF-16 unit at a time. */
function referenceEscape(s: string, style: Style): string {
  const u = (c: number) => {
    const hex = c.toString(16).padStart(4, "0");
    return "\\u" + (style.upperHex ? hex.toUpperCase() : hex);
  };
  const short: Record<number, string> = {
    0x08: "\\b",
    0x09: "\\t",
    0x0a: "\\n",
    0x0c: "\\f",
    0x0d: "\\r",
    0x22: '\\"',
    0x5c: "\\\\",
  };
  const lone = (i: number) => {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      return !(s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff);
    }
    if (c >= 0xdc00 && c <= 0xdfff) {
      return !(s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff);
    }
    return false;
  };
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) {
      out += style.allUnicode || !short[c] || (style.dotnet && c === 0x22) ? u(c) : short[c];
    } else if (c === 0x2f) out += style.slash ? "\\/" : "/";
    else if (style.html && [0x3c, 0x3e, 0x26, 0x2028, 0x2029].includes(c)) out += u(c);
    else if (style.dotnet && [0x27, 0x2b, 0x60].includes(c)) out += u(c);
    else if (c >= 0x80 && (style.asciiOnly || lone(i))) out += u(c);
    else out += s[i];
  }
  return out;
}

describe("JSON forms", () => {
  test("the standard escape is JSON.stringify's, for random strings of every kind", () => {
    const rand = seeded(7);
    const alphabet = "ab\"\\/\n\r\t\b\f\u0000\u001f\u007f é€😀<>&'+`\u2028";
    for (let i = 0; i < 500; i++) {
      const s = randomString(rand, alphabet, 1 + Math.floor(rand() * 20));
      expect(jsonEscape(s)).toBe(inner(s));
    }
  });

  test("every style equals a character-by-character reference, for random strings", () => {
    const rand = seeded(8);
    const alphabet = "ab\"\\/\n\r\t\b\f\u0000\u001f\u007f é€😀<>&'+`\u2028\u2029";
    for (let i = 0; i < 300; i++) {
      let s = randomString(rand, alphabet, 1 + Math.floor(rand() * 20));
      if (i % 10 === 0) s += "\ud800"; // a lone surrogate now and then
      for (const style of STYLES) expect(jsonEscape(s, style)).toBe(referenceEscape(s, style));
    }
  });

  test("a lone surrogate is escaped as JSON.stringify does", () => {
    expect(jsonEscape("ab\ud800cd")).toBe(inner("ab\ud800cd"));
    expect(jsonEscape("ab\udc00")).toBe("ab\\udc00");
  });

  test("value with quotes, backslashes and newlines: one and two JSON levels", () => {
    const value = `pa"ss\\wo\nrd-${fakeValue(8)}`;
    const forms = formsOf(value, [], OFF);
    expect(forms[0]).toBe(value);
    expect(forms).toContain(inner(value));
    expect(forms).toContain(inner(inner(value)));
    expect(forms).toContain(inner(inner(inner(value))));
  });

  test("other serializers: \\/, ensure_ascii (lower and upper hex), Go HTML escapes, all-\\u", () => {
    const value = `é/<&>"\n${fakeValue(8)}`;
    const forms = formsOf(value, [], OFF);
    expect(forms).toContain(inner(value).replaceAll("/", "\\/"));
    expect(forms).toContain(pythonAscii(value));
    expect(forms).toContain(
      pythonAscii(value).replace(/\\u([0-9a-f]{4})/g, (_, h) => "\\u" + h.toUpperCase()),
    );
    expect(forms).toContain(
      inner(value).replaceAll("<", "\\u003c").replaceAll(">", "\\u003e").replaceAll("&", "\\u0026"),
    );
    expect(forms).toContain(pythonAscii(value).replace('\\"', "\\u0022").replace("\\n", "\\u000a"));
    // The escaped forms nest too (JSON of Python's output inside a JSON string).
    expect(forms).toContain(inner(pythonAscii(value)));
  });

  test("astral characters as UTF-16 surrogate pairs in \\u form", () => {
    const value = `key😀${fakeValue(8)}`;
    expect(formsOf(value, [], OFF)).toContain(`key\\ud83d\\ude00${value.slice(5)}`);
  });

  test("a plain key has exactly one spelling when encodings are off", () => {
    expect(formsOf(fakeValue(20), [], OFF)).toHaveLength(1);
  });
});

describe("percent forms", () => {
  test("encodeURIComponent, lower-case hex, form encoding with +, encodeURI", () => {
    const value = `a b/c?d=e&f+g!h'(é)~${fakeValue(6)}`;
    const forms = formsOf(value, [], OFF);
    const component = encodeURIComponent(value);
    expect(forms).toContain(component);
    expect(forms).toContain(component.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
    expect(forms).toContain(new URLSearchParams({ v: value }).toString().slice(2));
    expect(forms).toContain(encodeURI(value));
  });

  test("a value with a lone surrogate gets no percent form and no error", () => {
    expect(() => formsOf(`ab\ud800${fakeValue(10)}`, [], ON)).not.toThrow();
  });
});

describe("spellings", () => {
  test("each extra spelling gets its own JSON and percent forms", () => {
    const value = `line1\nline2-${fakeValue(8)}`;
    const spelling = `"${value.replace("\n", "\\n")}"`;
    const forms = formsOf(value, [spelling], OFF);
    expect(forms).toContain(spelling);
    expect(forms).toContain(inner(spelling));
    expect(forms).toContain(inner(inner(spelling)));
  });
});

describe("encoded forms", () => {
  test("base64 (standard and URL-safe) at every alignment is found inside a longer blob", () => {
    const rand = seeded(11);
    for (let round = 0; round < 60; round++) {
      const value = randomString(rand, "ab?>~\u00ff" + fakeValue(10), 12 + Math.floor(rand() * 30));
      const forms = new Set(formsOf(value, [], ON));
      const valueBytes = new TextEncoder().encode(value);
      for (let before = 0; before < 6; before++) {
        const blob = new Uint8Array(before + valueBytes.length + (round % 5));
        crypto.getRandomValues(blob);
        blob.set(valueBytes, before);
        for (const encoded of [blob.toBase64(), blob.toBase64({ alphabet: "base64url" })]) {
          expect([...forms].some((f) => f.length >= 15 && encoded.includes(f))).toBe(true);
        }
      }
    }
  });

  test("hex, lower and upper case", () => {
    const value = fakeValue(16);
    const hex = new TextEncoder().encode(value).toHex();
    const forms = formsOf(value, [], ON);
    expect(forms).toContain(hex);
    expect(forms).toContain(hex.toUpperCase());
  });

  test(`only with the option on and for values of at least ${ENCODED_MIN_LENGTH} characters`, () => {
    const long = fakeValue(ENCODED_MIN_LENGTH);
    const short = fakeValue(ENCODED_MIN_LENGTH - 1);
    const hexOf = (s: string) => new TextEncoder().encode(s).toHex();
    expect(formsOf(long, [], ON)).toContain(hexOf(long));
    expect(formsOf(long, [], OFF)).not.toContain(hexOf(long));
    expect(formsOf(short, [], ON)).not.toContain(hexOf(short));
  });
});
