/**
 * Test fixtures for restore: fake secrets generated per test, and Codex Responses-API SSE
 * streams (the events Codex 0.169 reads) built from them.
 */
import { expect } from "bun:test";
import { createRestorer } from "./whole.ts";
import type { RestoreStats } from "../../../src/core/types.ts";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function randomBase62(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => BASE62[b % 62]).join("");
}

export function fakeSurrogate(): string {
  return "ficta_" + randomBase62(22);
}

function pemBlock(): string {
  const body = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(120))));
  const lines = body.match(/.{1,64}/g) ?? [];
  return ["-----BEGIN PRIVATE KEY-----", ...lines, "-----END PRIVATE KEY-----", ""].join("\n");
}

/** Fake secret values that are hard to spell right: quotes, backslashes, newlines, PEM, Unicode. */
export function trickyValues(): Record<string, string> {
  const id = () => crypto.randomUUID();
  return {
    plain: `tok-${id()}`,
    quotes: `pa"ss'wo\`rd-${id()}`,
    backslashes: `C:\\keys\\${id()}\\\\end\\`,
    newlines: `line1-${id()}\nline2\r\nline3\t${id()}`,
    pem: pemBlock(),
    unicode: `clé-секрет-🔑-${id()}-\u2028-\u0001`,
    template: `\${HOME}-$x-\`${id()}\``,
    jsonish: `{"k":"${id()}","n":[1,2]}`,
  };
}

/** A session table: a surrogate per value, and the lookup the engine would hand to restore. */
export function sessionFor(values: string[]) {
  const bySurrogate = new Map<string, string>();
  const surrogates = values.map((value) => {
    const surrogate = fakeSurrogate();
    bySurrogate.set(surrogate, value);
    return surrogate;
  });
  return { surrogates, lookup: (s: string) => bySurrogate.get(s) };
}

export type Event = Record<string, unknown>;

/** The SSE text of events, as the Responses API frames them. */
export function sse(events: Event[], eol = "\n"): string {
  return events.map((e) => `event: ${e.type}${eol}data: ${JSON.stringify(e)}${eol}${eol}`).join(
    "",
  );
}

/** The texts of one Codex turn; each is streamed as deltas and repeated in the done events. */
export interface Turn {
  reasoning: string;
  message: string;
  /** The function call's arguments (a JSON text), and its tool (default `exec_command`). */
  arguments: string;
  functionName?: string;
  /** A freeform custom tool call: its name and input. */
  customName: string;
  customInput: string;
}

/** Where a value lands in a turn, for spelling it as the real stream would carry it. */
export type Where = "text" | "shell" | "patch";

/**
 * A realistic turn mentioning a value everywhere it can land; `spell` gives what stands there
 * (the surrogate, or the real value as Codex must receive it).
 */
export function codexTurn(spell: (where: Where) => string): Turn {
  return {
    reasoning: `**Reading the config**\n\nThe deploy key is ${spell("text")}; I should use it.`,
    message: `Done. I set \`API_TOKEN\` to ${spell("text")} in \`.env\`.`,
    arguments: JSON.stringify({
      cmd: `printf '%s' ${spell("shell")} > out.txt`,
      yield_time_ms: 10000,
    }),
    customName: "apply_patch",
    customInput: `*** Begin Patch\n*** Add File: notes.txt\n+token: ${
      spell("patch")
    }\n+done\n*** End Patch\n`,
  };
}

/** The real value as it stands in a bare shell word: single-quoted unless it needs no quotes. */
export function shellQuoted(value: string): string {
  return /^[\w@%+=:,./-]*$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The real value as it stands in a patch line: continuation lines carry the `+` marker too. */
export function onPatchLine(value: string): string {
  return value.replace(/\r?\n/g, (eol) => eol + "+");
}

/** Splits a text into delta pieces. */
export type Pieces = (text: string) => string[];

export const tokens = (size: number): Pieces => (text) =>
  text.match(new RegExp(`[^]{1,${size}}`, "g")) ?? [""];

/**
 * The events of a turn in the order the Responses API sends them: a reasoning item, an
 * assistant message, an `exec_command` function call and a custom tool call, then
 * `response.completed` with every item and usage.
 */
export function turnEvents(turn: Turn, pieces: Pieces = tokens(4)): Event[] {
  let seq = 0;
  const events: Event[] = [];
  const push = (e: Event) => events.push({ ...e, sequence_number: seq++ });
  // Deterministic ids: the stream with surrogates and the one with real values must match.
  let next = 0;
  const id = () => String(next++).padStart(24, "0");
  const response = {
    id: "resp_" + id(),
    object: "response",
    created_at: 1764000000,
    model: "gpt-5.1",
  };
  push({ type: "response.created", response: { ...response, status: "in_progress", output: [] } });
  push({
    type: "response.in_progress",
    response: { ...response, status: "in_progress", output: [] },
  });

  const rs = { id: "rs_" + id(), type: "reasoning", summary: [] as Event[] };
  push({ type: "response.output_item.added", output_index: 0, item: { ...rs, summary: [] } });
  push({
    type: "response.reasoning_summary_part.added",
    item_id: rs.id,
    output_index: 0,
    summary_index: 0,
    part: { type: "summary_text", text: "" },
  });
  for (const delta of pieces(turn.reasoning)) {
    push({
      type: "response.reasoning_summary_text.delta",
      item_id: rs.id,
      output_index: 0,
      summary_index: 0,
      delta,
      obfuscation: randomBase62(12),
    });
  }
  push({
    type: "response.reasoning_summary_text.done",
    item_id: rs.id,
    output_index: 0,
    summary_index: 0,
    text: turn.reasoning,
  });
  push({
    type: "response.reasoning_summary_part.done",
    item_id: rs.id,
    output_index: 0,
    summary_index: 0,
    part: { type: "summary_text", text: turn.reasoning },
  });
  const reasoning = {
    ...rs,
    summary: [{ type: "summary_text", text: turn.reasoning }],
    encrypted_content: btoa(id().repeat(8)),
  };
  push({ type: "response.output_item.done", output_index: 0, item: reasoning });

  const msgId = "msg_" + id();
  push({
    type: "response.output_item.added",
    output_index: 1,
    item: { id: msgId, type: "message", status: "in_progress", content: [], role: "assistant" },
  });
  push({
    type: "response.content_part.added",
    item_id: msgId,
    output_index: 1,
    content_index: 0,
    part: { type: "output_text", annotations: [], text: "" },
  });
  for (const delta of pieces(turn.message)) {
    push({
      type: "response.output_text.delta",
      content_index: 0,
      delta,
      item_id: msgId,
      logprobs: [],
      obfuscation: randomBase62(12),
      output_index: 1,
    });
  }
  push({
    type: "response.output_text.done",
    content_index: 0,
    item_id: msgId,
    logprobs: [],
    output_index: 1,
    text: turn.message,
  });
  const part = { type: "output_text", annotations: [], logprobs: [], text: turn.message };
  push({
    type: "response.content_part.done",
    content_index: 0,
    item_id: msgId,
    output_index: 1,
    part,
  });
  const message = {
    id: msgId,
    type: "message",
    status: "completed",
    content: [part],
    role: "assistant",
  };
  push({ type: "response.output_item.done", output_index: 1, item: message });

  const fc = {
    id: "fc_" + id(),
    type: "function_call",
    status: "in_progress",
    arguments: "",
    call_id: "call_" + id(),
    name: turn.functionName ?? "exec_command",
  };
  push({ type: "response.output_item.added", output_index: 2, item: fc });
  for (const delta of pieces(turn.arguments)) {
    push({
      type: "response.function_call_arguments.delta",
      delta,
      item_id: fc.id,
      obfuscation: randomBase62(12),
      output_index: 2,
    });
  }
  push({
    type: "response.function_call_arguments.done",
    arguments: turn.arguments,
    item_id: fc.id,
    output_index: 2,
  });
  const call = { ...fc, status: "completed", arguments: turn.arguments };
  push({ type: "response.output_item.done", output_index: 2, item: call });

  const ct = {
    id: "ctc_" + id(),
    type: "custom_tool_call",
    status: "in_progress",
    call_id: "call_" + id(),
    input: "",
    name: turn.customName,
  };
  push({ type: "response.output_item.added", output_index: 3, item: ct });
  for (const delta of pieces(turn.customInput)) {
    push({
      type: "response.custom_tool_call_input.delta",
      delta,
      item_id: ct.id,
      obfuscation: randomBase62(12),
      output_index: 3,
    });
  }
  push({
    type: "response.custom_tool_call_input.done",
    input: turn.customInput,
    item_id: ct.id,
    output_index: 3,
  });
  const custom = { ...ct, status: "completed", input: turn.customInput };
  push({ type: "response.output_item.done", output_index: 3, item: custom });

  const usage = {
    input_tokens: 51234,
    input_tokens_details: { cached_tokens: 48000 },
    output_tokens: 321,
    output_tokens_details: { reasoning_tokens: 64 },
    total_tokens: 51555,
  };
  push({
    type: "response.completed",
    response: {
      ...response,
      status: "completed",
      output: [reasoning, message, call, custom],
      usage,
    },
  });
  return events;
}

/** Runs bytes through a restorer in the given chunks; returns the output text and the stats. */
export async function pipe(
  chunks: Uint8Array[],
  options: Parameters<typeof createRestorer>[0],
): Promise<{ text: string; bytes: Uint8Array; stats: RestoreStats }> {
  const restorer = createRestorer(options);
  const input = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const bytes = await new Response(input.pipeThrough(restorer.stream)).bytes();
  return { text: new TextDecoder().decode(bytes), bytes, stats: restorer.stats };
}

/** `bytes` cut at the given offsets. */
export function cut(bytes: Uint8Array, ...at: number[]): Uint8Array[] {
  const bounds = [0, ...at, bytes.length];
  return bounds.slice(1).map((end, i) => bytes.slice(bounds[i], end));
}

/** Parsed `data` of each event of an SSE text (CRLF or LF), `[DONE]` as a string. */
export function parseSse(text: string): unknown[] {
  const blocks = text.split(/\r?\n\r?\n/).filter((block) => /^data:/m.test(block));
  return blocks.map((block) => {
    const data = block.split(/\r?\n/).filter((l) => l.startsWith("data:")).map((l) =>
      l.slice(l.startsWith("data: ") ? 6 : 5)
    ).join("\n");
    return data === "[DONE]" ? data : JSON.parse(data);
  });
}

const DELTA = /\.delta$/;

/**
 * What Codex can see of a stream: each part's deltas concatenated, and every other event.
 * Sequence numbers are left out (restore may merge or split delta events).
 */
export function meaning(text: string) {
  const deltas: Record<string, string> = {};
  const others: unknown[] = [];
  for (const data of parseSse(text)) {
    if (typeof data === "string") {
      others.push(data);
      continue;
    }
    const { sequence_number: _, obfuscation: __, ...event } = data as Event;
    if (DELTA.test(String(event.type))) {
      const key = [event.type, event.item_id, event.content_index, event.summary_index].join("|");
      deltas[key] = (deltas[key] ?? "") + String(event.delta);
    } else others.push(event);
  }
  return { deltas, others };
}

/** Asserts that the restored stream means exactly what the stream with real values means. */
export function expectSameMeaning(restored: string, real: string): void {
  expect(meaning(restored)).toEqual(meaning(real));
}
