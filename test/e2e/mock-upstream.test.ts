/**
 * The mock upstream behaves like the real one where ficta depends on it: compressed answers when
 * accepted, SSE cut at arbitrary bytes, the housekeeping shapes Codex's TUI needs.
 */
import { afterAll, describe, expect, test } from "bun:test";
import {
  chooseEncoding,
  chunked,
  HOUSEKEEPING,
  sseTurn,
  startMockUpstream,
} from "./mock-upstream.ts";

const TEXT = "clé-secrète-ü-日本 and more text to stream";
const upstream = startMockUpstream(() => [{ type: "message", text: TEXT }]);
afterAll(() => upstream.stop());

describe("mock upstream", () => {
  test("picks zstd, then gzip, as a real server would; q=0 refuses a coding", () => {
    expect(chooseEncoding("zstd, gzip")).toBe("zstd");
    expect(chooseEncoding("gzip, deflate, br")).toBe("gzip");
    expect(chooseEncoding("gzip;q=1.0, zstd;q=0")).toBe("gzip");
    expect(chooseEncoding("br")).toBe("identity");
    expect(chooseEncoding(null)).toBe("identity");
  });

  test("chunks cover every byte, cut events and multi-byte characters", () => {
    const sse = new TextEncoder().encode(sseTurn([{ type: "message", text: TEXT }]).join(""));
    const chunks = chunked(sse, 48);
    expect(Buffer.concat(chunks).equals(Buffer.from(sse))).toBe(true);
    expect(chunks.every((c) => c.length >= 1 && c.length <= 48)).toBe(true);
    const decoder = new TextDecoder("utf-8", { fatal: true });
    const text = (c: Uint8Array) => new TextDecoder().decode(c);
    // Some chunk ends inside an event, and some inside a UTF-8 sequence.
    expect(chunks.some((c) => !text(c).endsWith("\n\n"))).toBe(true);
    expect(chunks.some((c) => {
      try {
        decoder.decode(c);
        return false;
      } catch {
        return true;
      }
    })).toBe(true);
  });

  for (const accept of ["zstd, gzip", "gzip", ""]) {
    test(`a turn asked with accept-encoding "${accept}" decodes to the same events`, async () => {
      const response = await fetch(`${upstream.origin}/v1/responses`, {
        method: "POST",
        headers: { "accept-encoding": accept || "identity" },
        body: "{}",
        decompress: false,
      });
      const expected = chooseEncoding(accept);
      expect(response.headers.get("content-encoding") ?? "identity").toBe(expected);
      let bytes = new Uint8Array(await response.arrayBuffer());
      if (expected === "zstd") bytes = new Uint8Array(Bun.zstdDecompressSync(bytes));
      if (expected === "gzip") bytes = new Uint8Array(Bun.gunzipSync(bytes));
      const events = new TextDecoder().decode(bytes).split("\n\n").filter(Boolean);
      const deltas = events.filter((e) => e.startsWith("event: response.output_text.delta"))
        .map((e) => JSON.parse(e.split("\ndata: ")[1]).delta).join("");
      expect(deltas).toBe(TEXT);
      expect(events.at(-1)).toStartWith("event: response.completed");
      expect(upstream.received.at(-1)?.answerEncoding).toBe(expected);
    });
  }

  test("workspace routing discovery lists the account that asked, with an https backend", async () => {
    const response = await fetch(`${upstream.origin}/backend-api/wham/accounts/check`, {
      headers: { "chatgpt-account-id": "acct-mock-test" },
    });
    const { accounts } = await response.json();
    expect(accounts).toHaveLength(1);
    expect(accounts[0].id).toBe("acct-mock-test");
    expect(accounts[0].workspace_backend_origin).toStartWith("https://");
    expect(["NO_CONSTRAINT", "us", "us_cr"]).toContain(accounts[0].account_routing_override);
    expect(Object.keys(HOUSEKEEPING)).toContain("/wham/settings/user");
  });
});
