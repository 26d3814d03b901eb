/**
 * Restore of surrogates that arrive in pieces: split across delta events of one item (the
 * model's tokens) and across network chunks, at every position.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { restoreText } from "./whole.ts";
import {
  codexTurn,
  cut,
  type Event,
  expectSameMeaning,
  onPatchLine,
  parseSse,
  pipe,
  sessionFor,
  shellQuoted,
  sse,
  tokens,
  trickyValues,
  turnEvents,
  type Where,
} from "./fixtures.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

const encoder = new TextEncoder();
const values = trickyValues();
const names = Object.keys(values);
const session = sessionFor(Object.values(values));
const all = { lookup: session.lookup, restoreIntoTools: "all" as const };

function realSpelling(value: string) {
  return (where: Where) =>
    where === "patch" ? onPatchLine(value) : where === "shell" ? shellQuoted(value) : value;
}

/** The turn twice: with the surrogate of value `i`, and as it must reach Codex. */
function pair(i: number, pieces = tokens(4)) {
  const surrogate = session.surrogates[i];
  const withSurrogate = sse(turnEvents(codexTurn(() => surrogate), pieces));
  const real = sse(turnEvents(codexTurn(realSpelling(Object.values(values)[i])), pieces));
  return { withSurrogate, real, surrogate };
}

/** Deltas that cut `text` at `at` (and nowhere else). */
const cutAt = (at: number) => (text: string) => {
  const i = text.indexOf("ficta_");
  return i < 0 ? [text] : [text.slice(0, i + at), text.slice(i + at)];
};

describe("a surrogate split across delta events", () => {
  for (const [i, name] of names.entries()) {
    test(`is restored whole at every cut position (${name})`, () => {
      for (let at = 0; at <= 28; at++) {
        const surrogate = session.surrogates[i];
        const withSurrogate = sse(turnEvents(codexTurn(() => surrogate), cutAt(at)));
        const realTurn = codexTurn(realSpelling(values[name]));
        // The real stream's deltas are cut anywhere: only their concatenation matters.
        const real = sse(turnEvents(realTurn, tokens(1_000_000)));
        const { output, stats } = restoreText(withSurrogate, { ...all, kind: "sse" });
        expectSameMeaning(output, real);
        // Message, reasoning, arguments and patch: each in deltas, .done, item.done, completed.
        expect(stats).toEqual({ restored: 18, unknown: 0, keptInTools: 0 });
        expect(output).not.toContain(surrogate.slice(0, 10));
      }
    });
  }

  test("is restored whole when every delta is one character", () => {
    for (let i = 0; i < names.length; i++) {
      const { withSurrogate, real } = pair(i, tokens(1));
      const { output } = restoreText(withSurrogate, { ...all, kind: "sse" });
      expectSameMeaning(output, real);
    }
  });

  test("holds back only what could still start a surrogate", () => {
    const surrogate = session.surrogates[0];
    const pieces = () => ["Here: fic", "ta_", surrogate.slice(6, 20), surrogate.slice(20) + " ok"];
    const events = turnEvents(codexTurn(() => surrogate), pieces);
    const { output } = restoreText(sse(events), { ...all, kind: "sse" });
    const deltas = parseSse(output).filter((e) =>
      (e as Event).type === "response.output_text.delta"
    ).map((e) => (e as Event).delta);
    expect(deltas).toEqual(["Here: ", values.plain + " ok"]);
  });

  test("text that only looked like a start is flushed before the item's done event", () => {
    for (const ending of ["f", "fi", "ficta", "ficta_", "ficta_AbC123"]) {
      const text = `Look at the file ${ending}`;
      const events = turnEvents(
        { ...codexTurn(() => ""), message: text, reasoning: text },
        tokens(3),
      );
      const input = sse(events);
      const { output, stats } = restoreText(input, { ...all, kind: "sse" });
      expectSameMeaning(output, input);
      expect(stats.restored + stats.unknown).toBe(0);
      const kinds = parseSse(output).map((e) => (e as Event).type);
      // Every delta of the message comes before its done event.
      expect(kinds.lastIndexOf("response.output_text.delta")).toBeLessThan(
        kinds.indexOf("response.output_text.done"),
      );
    }
  });

  test("held text is flushed on response.completed, [DONE] and at the end of the stream", () => {
    const delta = (d: string) => ({
      type: "response.output_text.delta",
      item_id: "msg_1",
      output_index: 0,
      content_index: 0,
      delta: d,
    });
    const held = [delta("the end of "), delta("fict")];
    for (
      const tail of [
        sse([{ type: "response.completed", response: { id: "r", output: [] } }]),
        "data: [DONE]\n\n",
        "",
      ]
    ) {
      const input = sse(held) + tail;
      const { output } = restoreText(input, { ...all, kind: "sse" });
      expectSameMeaning(output, input);
      if (tail !== "") expect(output.endsWith(tail)).toBe(true);
    }
  });
});

describe("a surrogate split across network chunks", () => {
  test("is restored whole at every byte position in and around it", async () => {
    const { withSurrogate } = pair(4, tokens(6));
    const bytes = encoder.encode(withSurrogate);
    const whole = restoreText(withSurrogate, { ...all, kind: "sse" }).output;
    // The stream is ASCII (the PEM value): string offsets are byte offsets.
    expect(bytes.length).toBe(withSurrogate.length);
    // Every position in and next to each surrogate and each line end, and a sample between.
    const positions = new Set<number>();
    for (let at = 0; at <= bytes.length; at += 11) positions.add(at);
    for (const m of withSurrogate.matchAll(/ficta_|\n/g)) {
      for (let at = m.index - 1; at <= m.index + 29; at++) positions.add(at);
    }
    expect(positions.size).toBeGreaterThan(2000);
    for (const at of positions) {
      const options = { ...all, contentType: "text/event-stream" };
      const { text } = await pipe(cut(bytes, at), options);
      if (text !== whole) throw new Error(`differs when cut at byte ${at}`);
    }
  });

  test("is restored whole in 1-byte chunks, with and without a content type", async () => {
    for (let i = 0; i < names.length; i++) {
      const { withSurrogate, real } = pair(i, tokens(5));
      const bytes = encoder.encode(withSurrogate);
      const chunks = Array.from(bytes, (b) => Uint8Array.of(b));
      for (const contentType of ["text/event-stream; charset=utf-8", null]) {
        const { text } = await pipe(chunks, { ...all, contentType });
        expectSameMeaning(text, real);
      }
    }
  });

  test("CRLF framing is kept and restored at every byte position", async () => {
    const surrogate = session.surrogates[3];
    const events = turnEvents(codexTurn(() => surrogate), cutAt(13));
    const input = sse(events, "\r\n");
    const real = sse(turnEvents(codexTurn(realSpelling(values.newlines)), tokens(99)), "\r\n");
    const bytes = encoder.encode(input);
    for (let at = 0; at <= bytes.length; at += 7) {
      const { text } = await pipe(cut(bytes, at, Math.min(bytes.length, at + 3)), {
        ...all,
        contentType: "text/event-stream",
      });
      expectSameMeaning(text, real);
      expect(text.replaceAll("\r\n", "")).not.toContain("\n");
    }
  });
});

describe("random turns, deltas and chunks", () => {
  test("always mean what the stream with real values means", async () => {
    const alphabet = [
      "a",
      "Z",
      "9",
      " ",
      '"',
      "'",
      "\\",
      "\n",
      "\r",
      "\t",
      "é",
      "🔑",
      "$",
      "`",
      "f",
    ];
    const randomValue = () =>
      Array.from(
        { length: 8 + Math.floor(Math.random() * 40) },
        () => alphabet[Math.floor(Math.random() * alphabet.length)],
      ).join("");
    for (let round = 0; round < 150; round++) {
      const value = round % 3 === 0 ? Object.values(values)[round % names.length] : randomValue();
      const { surrogates, lookup } = sessionFor([value]);
      const size = 1 + Math.floor(Math.random() * 8);
      const withSurrogate = sse(turnEvents(codexTurn(() => surrogates[0]), tokens(size)));
      const real = sse(turnEvents(codexTurn(realSpelling(value)), tokens(size)));
      const bytes = encoder.encode(withSurrogate);
      const at = Array.from(
        { length: 1 + Math.floor(Math.random() * 12) },
        () => Math.floor(Math.random() * bytes.length),
      ).sort((x, y) => x - y);
      const { text, stats } = await pipe(cut(bytes, ...at), {
        lookup,
        restoreIntoTools: "all",
        contentType: round % 2 ? null : "text/event-stream",
      });
      expectSameMeaning(text, real);
      expect(stats).toEqual({ restored: 18, unknown: 0, keptInTools: 0 });
    }
  });
});

describe("deltas of several items at once", () => {
  test("each item's pieces are joined with its own, even interleaved", () => {
    const [a, b] = [session.surrogates[0], session.surrogates[2]];
    const args = (s: string) => JSON.stringify({ cmd: `echo ${s}` });
    const deltas = (id: string, text: string) =>
      tokens(5)(text).map((delta) => ({
        type: "response.function_call_arguments.delta",
        item_id: id,
        output_index: id === "fc_a" ? 0 : 1,
        delta,
      }));
    const first = deltas("fc_a", args(a));
    const second = deltas("fc_b", args(b));
    const events = first.flatMap((e, i) => [e, ...(second[i] ? [second[i]] : [])]);
    const added = [a, b].map((_, i) => ({
      type: "response.output_item.added",
      output_index: i,
      item: { id: i ? "fc_b" : "fc_a", type: "function_call", name: "exec_command", arguments: "" },
    }));
    const { output } = restoreText(sse([...added, ...events]), { ...all, kind: "sse" });
    const joined: Record<string, string> = {};
    for (const e of parseSse(output) as Event[]) {
      if (e.delta !== undefined) {
        joined[String(e.item_id)] = (joined[String(e.item_id)] ?? "") + e.delta;
      }
    }
    expect(JSON.parse(joined.fc_a).cmd).toBe(`echo ${shellQuoted(values.plain)}`);
    expect(JSON.parse(joined.fc_b).cmd).toBe(`echo ${shellQuoted(values.backslashes)}`);
  });
});
