/**
 * Attacks on encoded spellings in a Messages body (a tool_result with `base64 .env` output, a
 * base64 `document` block), checked with the independent leak check.
 *
 * Held: base64 of the value at any alignment, unwrapped, and wrapped where the value's encoding
 * stays inside one 76-column line; hex.
 *
 * Wrapped: coreutils `base64` wraps at 76 columns by default, so `base64 .env` (or a file
 * holding a value past its first ~50 bytes) puts a line break inside the value's encoding; the
 * encoded run is then two runs and no aligned base64 form matches, so redaction leaves it (the
 * leak check finds it via `raw > json > base64` after joining the lines). The gate joins wrapped
 * runs and refuses the request instead (core/redact/wrapped-base64.ts).
 */
import { describe, expect, test } from "bun:test";
import { messagesDialect } from "../../src/agents/claude/wire.ts";
import { compileEngine, importSurrogateKey } from "../../src/core/mod.ts";
import { findLeaks } from "../leak-check.ts";

const value = `b64 "v" ${crypto.randomUUID()} é`;
const key = await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
const engine = await compileEngine([{ name: "B64_SECRET", source: "test", value }], key, {
  encoded: true,
  shapes: false,
  disabledFormats: [],
  restoreIntoTools: "all",
  dialect: messagesDialect,
});

async function sent(
  prefix: string,
  wrap: boolean,
  width = 76,
): Promise<{ leaks: unknown[]; refused: string[] }> {
  let b64 = Buffer.from(prefix + value + "\nTAIL=1\n").toString("base64");
  if (wrap) b64 = b64.replace(new RegExp(`.{${width}}`, "g"), "$&\n");
  const body = JSON.stringify({
    model: "m",
    messages: [{
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "t", content: [{ type: "text", text: b64 }] },
        { type: "document", source: { type: "base64", media_type: "text/plain", data: b64 } },
        { type: "text", text: Buffer.from(prefix + value).toString("hex") },
      ],
    }],
  });
  const out = await engine.redactText(body);
  return {
    leaks: findLeaks(out.output, [{ name: "B64_SECRET", value }]),
    refused: engine.gateText(out.output),
  };
}

async function leaksOf(prefix: string, wrap: boolean): Promise<unknown[]> {
  return (await sent(prefix, wrap)).leaks;
}

describe("attack: encoded spellings", () => {
  test("base64 at any alignment, unwrapped or within one wrapped line; hex", async () => {
    for (const prefix of ["", "x", "xy", "xyz", "A=1\nBB=22\nSECRET="]) {
      expect(await leaksOf(prefix, false)).toEqual([]);
    }
    expect(await leaksOf("", true)).toEqual([]);
  });

  test("base64 wrapped at 76 or 64 columns with the break inside the value's encoding: refused by the gate", async () => {
    let cut = 0;
    for (
      const prefix of [
        "A=1\nBB=22\nSECRET=",
        "some longer text\n",
        `${"#".repeat(60)}\nK=`,
        "x",
        "xy",
      ]
    ) {
      for (const width of [76, 64]) {
        const { leaks, refused } = await sent(prefix, true, width);
        // Where the independent check sees the value in what redaction produced (the wrap cut
        // its encoding), the gate must refuse the request.
        if (leaks.length) {
          cut++;
          expect(refused).toEqual(["B64_SECRET"]);
        }
      }
    }
    expect(cut).toBeGreaterThan(3);
  });
});
