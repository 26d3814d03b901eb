/**
 * Restore of whole answers and streams: byte-identical passthrough, unknown tokens, JSON and
 * text bodies, content-type sniffing, `[DONE]`.
 */
import { describe, expect, test } from "bun:test";
import { createRestorer, restoreText } from "./whole.ts";
import {
  codexTurn,
  cut,
  type Event,
  fakeSurrogate,
  parseSse,
  pipe,
  sessionFor,
  shellQuoted,
  sse,
  tokens,
  trickyValues,
  turnEvents,
} from "./fixtures.ts";

const encoder = new TextEncoder();

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function randomCuts(length: number, count: number): number[] {
  const at = Array.from({ length: count }, () => Math.floor(Math.random() * length));
  return at.sort((a, b) => a - b);
}

describe("passthrough", () => {
  test("a stream without surrogates comes out byte for byte, whatever the chunks", async () => {
    const session = sessionFor([`tok-${crypto.randomUUID()}`]);
    // Prose full of near misses: "f", "fi", "ficta", "ficta_" at delta ends, short tokens.
    const text = "if a file of ficta_ or ficta_short fits, refi fic ficta";
    const turn = { ...codexTurn(() => "ficta_x"), message: text, reasoning: text };
    const input = sse(turnEvents(turn, tokens(3))) + "data: [DONE]\n\n";
    const bytes = encoder.encode(input.replaceAll("GPT", "GPT ✓ é 🔑"));
    for (const contentType of ["text/event-stream", null]) {
      for (let round = 0; round < 20; round++) {
        const chunks = cut(bytes, ...randomCuts(bytes.length, round));
        const { bytes: out, stats } = await pipe(chunks, {
          lookup: session.lookup,
          restoreIntoTools: "all",
          contentType,
        });
        expect(out).toEqual(bytes);
        expect(stats).toEqual({ restored: 0, unknown: 0, keptInTools: 0 });
      }
    }
  });

  test("events without surrogates keep their bytes next to events that change", () => {
    const [value] = Object.values(trickyValues());
    const { surrogates, lookup } = sessionFor([value]);
    const odd = `event: response.created\ndata: {"type":"response.created" , "n": 1.50e+3}\n\n`;
    const withNumbers =
      `event: response.output_item.done\ndata: {"type":"response.output_item.done",` +
      `"output_index":1,"sequence_number":123456789012345678901234567890,"item":{"id":"msg_1",` +
      `"type":"message","content":[{"type":"output_text","text":"${surrogates[0]}",` +
      `"logprobs":[{"logprob":-0.000012300,"bytes":[102, 105]}]}]}}\n\n`;
    const { output } = restoreText(odd + withNumbers, { lookup, restoreIntoTools: "all" });
    expect(output.startsWith(odd)).toBe(true);
    expect(output).toContain('"sequence_number":123456789012345678901234567890,');
    expect(output).toContain('"logprob":-0.000012300,"bytes":[102, 105]');
    const item = (parseSse(output)[1] as { item: { content: { text: string }[] } }).item;
    expect(item.content[0].text).toBe(value);
  });

  test("a false start of a surrogate rewrites nothing, not even invalid UTF-8 beside it", async () => {
    const { surrogates, lookup } = sessionFor(["value-" + crypto.randomUUID()]);
    const delta = (text: string) =>
      `event: response.output_text.delta\ndata: {"type":"response.output_text.delta",` +
      `"item_id":"msg_1","output_index":0,"content_index":0,"delta":"${text}"}\n\n`;
    const bytes = (text: string) => encoder.encode(text);
    // A lone continuation byte (never sent by OpenAI) would become U+FFFD if the chunk were
    // decoded and encoded again.
    const invalid = new Uint8Array([
      ...bytes(delta("a ")).subarray(0, -4),
      0x80,
      ...bytes('"}\n\n'),
    ]);
    const falseStart = [bytes(delta("the fic")), invalid, bytes(delta("tion ends"))];
    const chunks = [concatBytes(falseStart), bytes(delta(` ${surrogates[0]} `))];
    const { bytes: out, stats } = await pipe(chunks, {
      lookup,
      restoreIntoTools: "all",
      contentType: "text/event-stream",
    });
    expect(out.subarray(0, chunks[0].length)).toEqual(chunks[0]);
    expect(new TextDecoder().decode(out.subarray(chunks[0].length))).toContain(" value-");
    expect(stats.restored).toBe(1);
  });

  test("binary content types are not touched", async () => {
    const { surrogates, lookup } = sessionFor(["value-" + crypto.randomUUID()]);
    const bytes = encoder.encode(`PNG ${surrogates[0]}`);
    for (const contentType of ["application/octet-stream", "image/png"]) {
      const { bytes: out, stats } = await pipe([bytes], {
        lookup,
        restoreIntoTools: "all",
        contentType,
      });
      expect(out).toEqual(bytes);
      expect(stats.restored).toBe(0);
    }
  });
});

describe("unknown surrogate-shaped tokens", () => {
  test("pass unchanged and are counted, in streams and whole bodies", async () => {
    const { surrogates, lookup } = sessionFor(["v-" + crypto.randomUUID()]);
    const unknown = fakeSurrogate();
    const turn = codexTurn(() => unknown);
    const input = sse(turnEvents(turn, tokens(5)));
    const { output, stats } = restoreText(input, { lookup, restoreIntoTools: "all", kind: "sse" });
    expect(output).toBe(input);
    expect(stats).toEqual({ restored: 0, unknown: 18, keptInTools: 0 });

    const body = encoder.encode(`known ${surrogates[0]} unknown ${unknown}.`);
    const streamed = await pipe(cut(body, 10, 40), {
      lookup,
      restoreIntoTools: "all",
      contentType: "text/plain",
    });
    expect(streamed.text).toBe(`known ${lookup(surrogates[0])} unknown ${unknown}.`);
    expect(streamed.stats).toEqual({ restored: 1, unknown: 1, keptInTools: 0 });
  });

  test("an escaped f is not the start of a surrogate", () => {
    const { surrogates, lookup } = sessionFor(["v-" + crypto.randomUUID()]);
    // JSON `\f` is a form feed: the text is "<FF>icta_..." and holds no surrogate.
    const body = `{"a":"\\${surrogates[0]}","b":"\\\\${surrogates[0]}"}`;
    const { output, stats } = restoreText(body, { lookup, restoreIntoTools: "all", kind: "json" });
    expect(JSON.parse(output)).toEqual({
      a: JSON.parse(`"\\${surrogates[0]}"`),
      b: "\\" + lookup(surrogates[0]),
    });
    expect(stats.restored).toBe(1);
  });
});

describe("JSON answers", () => {
  test("strings are restored once, function-call arguments twice", async () => {
    const values = Object.values(trickyValues());
    const { surrogates, lookup } = sessionFor(values);
    // A compaction answer: output items, as the Responses API returns them without streaming.
    const answer = (spell: (i: number) => string, shell = spell) =>
      JSON.stringify(
        {
          id: "resp_1",
          output: values.map((_, i) => [
            {
              type: "message",
              role: "assistant",
              content: [{ type: "output_text", text: `key ${spell(i)}` }],
            },
            {
              type: "function_call",
              name: "exec_command",
              call_id: "c" + i,
              arguments: JSON.stringify({ cmd: `echo ${shell(i)}` }),
            },
          ]).flat(),
          usage: { input_tokens: 12, total_tokens: 40 },
        },
        null,
        1,
      );
    const input = answer((i) => surrogates[i]);
    const expected = answer((i) => values[i], (i) => shellQuoted(values[i]));
    const bytes = encoder.encode(input);
    for (const contentType of ["application/json", "application/json; charset=utf-8", null]) {
      const { text, stats } = await pipe(cut(bytes, 1, 100, 200), {
        lookup,
        restoreIntoTools: "all",
        contentType,
      });
      expect(text).toBe(expected);
      expect(stats).toEqual({ restored: 2 * values.length, unknown: 0, keptInTools: 0 });
    }
    expect(restoreText(input, { lookup, restoreIntoTools: "all" }).output).toBe(expected);
  });
});

describe("text answers", () => {
  test("get the raw value, whichever chunk boundary cuts the surrogate", async () => {
    const value = trickyValues().unicode;
    const { surrogates, lookup } = sessionFor([value]);
    const input = `Error: token ${surrogates[0]} rejected; retry with ${surrogates[0]}`;
    const bytes = encoder.encode(input);
    const expected = input.replaceAll(surrogates[0], value);
    for (let at = 0; at <= bytes.length; at++) {
      const { text } = await pipe(cut(bytes, at), {
        lookup,
        restoreIntoTools: "all",
        contentType: "text/plain; charset=utf-8",
      });
      expect(text).toBe(expected);
    }
    expect(restoreText(input, { lookup, restoreIntoTools: "all", kind: "text" }).output).toBe(
      expected,
    );
  });
});

describe("sniffing a stream without a content type", () => {
  test("SSE starting with an event, a data line or a comment is restored as SSE", async () => {
    const value = `line1\n"quoted"-${crypto.randomUUID()}`;
    const { surrogates, lookup } = sessionFor([value]);
    const event = {
      type: "response.output_text.delta",
      item_id: "msg_1",
      output_index: 0,
      content_index: 0,
      delta: `key ${surrogates[0]}`,
    };
    const data = `data: ${JSON.stringify(event)}\n\n`;
    for (const input of [sse([event]), data, `: keep-alive\n\n${data}`, `\n${data}`]) {
      const bytes = encoder.encode(input);
      const { text } = await pipe(cut(bytes, 2, 3), {
        lookup,
        restoreIntoTools: "all",
        contentType: null,
      });
      const events = parseSse(text) as Event[];
      expect(events.at(-1)?.delta).toBe(`key ${value}`);
    }
  });

  test("a body that is not SSE is restored as JSON or as text", async () => {
    const value = `a"b\\c-${crypto.randomUUID()}`;
    const { surrogates, lookup } = sessionFor([value]);
    const json = await pipe([encoder.encode(`  {"text":"${surrogates[0]}"}`)], {
      lookup,
      restoreIntoTools: "all",
      contentType: null,
    });
    expect(JSON.parse(json.text).text).toBe(value);
    const text = await pipe([encoder.encode(`da`), encoder.encode(`ta ${surrogates[0]}`)], {
      lookup,
      restoreIntoTools: "all",
      contentType: null,
    });
    expect(text.text).toBe(`data ${value}`);
  });
});

describe("unusual framing", () => {
  test("data split over several lines, and a type that is not the first field", () => {
    const value = `multi\nline "${crypto.randomUUID()}"`;
    const { surrogates, lookup } = sessionFor([value]);
    const [s] = surrogates;
    const multi = `event: response.output_item.done\ndata: {"type":"response.output_item.done",\n` +
      `data: "item":{"type":"message","content":[{"type":"output_text","text":"${s}"}]}}\n\n`;
    const delta = (text: string) =>
      `data: {"item_id":"msg_1","content_index":0,"delta":"${text}",` +
      `"type":"response.output_text.delta"}\n\n`;
    const input = multi + delta("use " + s.slice(0, 9)) + delta(s.slice(9)) + "data: [DONE]\n\n";
    const { output, stats } = restoreText(input, { lookup, restoreIntoTools: "all" });
    const events = parseSse(output) as Event[];
    expect((events[0].item as { content: { text: string }[] }).content[0].text).toBe(value);
    expect(events.slice(1, -1).map((e) => e.delta).join("")).toBe("use " + value);
    expect(stats.restored).toBe(2);
    expect(output.split("\n").filter((l) => l.startsWith("data:")).length).toBe(5);
  });
});

describe("[DONE]", () => {
  test("passes as is, after the held delta that turned out not to be a surrogate", async () => {
    const { surrogates, lookup } = sessionFor(["v-" + crypto.randomUUID()]);
    const delta = (text: string) => ({
      type: "response.output_text.delta",
      item_id: "msg_1",
      output_index: 0,
      content_index: 0,
      delta: text,
    });
    const held = sse([delta("see the fic")]);
    const input = held + "data: [DONE]\n\n";
    const restorer = createRestorer({ lookup, restoreIntoTools: "all", contentType: null });
    const stream = new Response(input).body!.pipeThrough(restorer.stream);
    expect(await new Response(stream).text()).toBe(input);

    // Had the stream gone on, the held text would have been a surrogate's start.
    const more = sse([delta(surrogates[0].slice(3) + ".")]) + "data: [DONE]\n\n";
    const { output } = restoreText(held + more, { lookup, restoreIntoTools: "all", kind: "sse" });
    expect(parseSse(output)).toEqual([
      delta("see the "),
      delta(lookup(surrogates[0]) + "."),
      "[DONE]",
    ]);
  });
});
