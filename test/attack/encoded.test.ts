/**
 * Attacks on encoded spellings in a Messages body (a tool_result with `base64 .env` output, a
 * base64 `document` block), checked with the independent leak check.
 *
 * Held: base64 of the value at any alignment, unwrapped, and wrapped where the value's encoding
 * stays inside one 76-column line; hex.
 *
 * BROKEN (todo): coreutils `base64` wraps at 76 columns by default, so `base64 .env` (or a file
 * holding a value past its first ~50 bytes) puts a line break inside the value's encoding; the
 * encoded run is then two runs and no aligned base64 form matches: the value leaves in the
 * request (the leak check finds it via `raw > json > base64` after joining the lines). The
 * threat model lists "a value split across lines by a tool" as not protected, but self-attack.md
 * names base64 wrapped at 76 columns as a spelling to catch; a fix needs the matcher to allow a
 * `\n` (raw or JSON-escaped) between base64 quads, not a small change.
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

async function leaksOf(prefix: string, wrap: boolean): Promise<unknown[]> {
  let b64 = Buffer.from(prefix + value + "\nTAIL=1\n").toString("base64");
  if (wrap) b64 = b64.replace(/.{76}/g, "$&\n");
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
  return findLeaks(out.output, [{ name: "B64_SECRET", value }]);
}

describe("attack: encoded spellings", () => {
  test("base64 at any alignment, unwrapped or within one wrapped line; hex", async () => {
    for (const prefix of ["", "x", "xy", "xyz", "A=1\nBB=22\nSECRET="]) {
      expect(await leaksOf(prefix, false)).toEqual([]);
    }
    expect(await leaksOf("", true)).toEqual([]);
  });

  test.todo("base64 wrapped at 76 columns with the break inside the value's encoding", async () => {
    for (const prefix of ["A=1\nBB=22\nSECRET=", "some longer text\n", `${"#".repeat(60)}\nK=`]) {
      expect(await leaksOf(prefix, true)).toEqual([]);
    }
  });
});
