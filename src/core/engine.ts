/**
 * compileEngine: the registry's values, every form of each, compiled once into one matcher, with
 * a surrogate per spelling (see docs/round-trip.md); plus the session's memory of values learned
 * by shape detection and of what restore wrote into tool inputs.
 */
import { ANY_DEPTH, jsonEscape, NO_LITERALS, type ValueForms, valueForms } from "./redact/forms.ts";
import { isJsonBody, jsonTextKeys, transportDepth } from "./redact/depth.ts";
import { restoreSpellings } from "./restore/literals.ts";
import { leftmostLongest, type Match, Matcher, mergeDisjoint } from "./redact/matcher.ts";
import { replaceMatches } from "./redact/redact.ts";
import { valuesPresent } from "./redact/gate.ts";
import { surrogateFor, surrogatesFor } from "./surrogate.ts";
import { createRestorer, type RestoreOptions } from "./restore/restorer.ts";
import { findShapes, type ShapeMatch } from "./redact/shapes.ts";
import { truncationFinder } from "./redact/truncation.ts";
import type { Counts, Engine, EngineOptions, Secret } from "./types.ts";

/** What tests may look into besides the Engine contract (never exported through mod.ts). */
export interface EngineInsight {
  /** Distinct protected values: registered plus learned by shape this session. */
  values: number;
  /**
   * Values learned by shape detection this session, by format (derived from their names: the
   * request log reports each replacement as `shape:<format>`, names and counts only).
   */
  detections: Counts;
  /** What a restorer of this engine is built with (lookups, memory, policy). */
  restore: RestoreOptions;
}

/** Finds well-known credential formats in a one-character-per-byte view of a request. */
export type ShapeFinder = (text: string, disabled?: ReadonlySet<string>) => ShapeMatch[];

/**
 * The matcher's minimum pattern length (hence its stride) is the shortest form present, capped
 * here: values learned later by shape detection must still fit, and credential formats are longer.
 */
const MAX_MIN_LENGTH = 8;
/** Armor lines of a PEM block: public text, never registered. */
const PEM_ARMOR = /^-----(?:BEGIN|END) [A-Z0-9 ]+-----$/;
/** Report name of a value learned by shape detection (`shape:<format>` in the request log). */
const LEARNED_PREFIX = "shape:";
/** Matcher ranks: registered values win over learned ones where they overlap. */
const REGISTERED = 0;
const LEARNED = 1;

const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF: redacted text must differ from its input only at matches.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const latin1 = new TextDecoder("latin1");

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const NON_ASCII_RUN = /[\u0080-\uffff]+/g;

/** UTF-8 length of a run of non-ASCII UTF-16 units (decoded text has no lone surrogates). */
function utf8Length(run: string): number {
  let bytes = 0;
  for (let i = 0; i < run.length; i++) {
    const c = run.charCodeAt(i);
    bytes += c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3;
  }
  return bytes;
}

/**
 * The request as text for the shape finder, and the way back from its indices to byte offsets.
 * UTF-8 decoding measured about twice as fast as a one-char-per-byte decode; an all-ASCII body
 * maps one to one, other bodies through the lengths of their non-ASCII runs, and bytes that are
 * not UTF-8 fall back to one character per byte.
 */
function textView(bytes: Uint8Array): { text: string; byteOffset: (index: number) => number } {
  // The replacing decoder is several times faster than the fatal one (measured 0.7-8 against
  // 5-20 ms for 5 MB); it only ever adds U+FFFD, so text without one was valid UTF-8.
  let text = decoder.decode(bytes);
  if (text.includes("\uFFFD")) {
    try {
      text = utf8.decode(bytes);
    } catch {
      return { text: latin1.decode(bytes), byteOffset: (index) => index };
    }
  }
  if (text.length === bytes.length) return { text, byteOffset: (index) => index };
  // Run k ends at character ends[k]; from there on, indices are behind bytes by extras[k].
  const ends: number[] = [];
  const extras: number[] = [];
  let extra = 0;
  for (const run of text.matchAll(NON_ASCII_RUN)) {
    extra += utf8Length(run[0]) - run[0].length;
    ends.push(run.index + run[0].length);
    extras.push(extra);
  }
  return {
    text,
    byteOffset(index) {
      // The last run ending at or before `index` (detections are ASCII, never inside a run).
      let low = 0;
      let high = ends.length;
      while (low < high) {
        const mid = (low + high) >> 1;
        if (ends[mid] <= index) low = mid + 1;
        else high = mid;
      }
      return index + (low > 0 ? extras[low - 1] : 0);
    },
  };
}

/**
 * Per value id: report name. Per spelling id: its text, value and surrogate (the raw value's
 * computed at compile time, the others when first needed). Per form id (the matcher's ids): the
 * (spelling, depth) choices, relative to the value's first spelling.
 */
interface Table {
  names: string[];
  texts: string[];
  valueOf: number[];
  /** Sparse: filled as surrogates are computed. */
  surrogates: (Uint8Array | undefined)[];
  bySurrogate: Map<string, number>;
  choices: number[][];
  formBase: number[];
  formValue: number[];
  /** Raw value -> value id; value id -> the form id of its raw text. */
  ids: Map<string, number>;
  rawForm: number[];
  /** Spellings made at run time (merged overlaps), by text. */
  made: Map<string, number>;
}

/** Restored tool-input texts remembered per session, to map an echo back to what was restored. */
const MEMORY_LIMIT = 4096;

/** Undoes `depth` layers of JSON string escaping; stops where the text is not a JSON body. */
function decodeLayers(text: string, depth: number): string {
  for (let i = 0; i < depth && text.includes("\\"); i++) {
    try {
      text = JSON.parse('"' + text + '"');
    } catch {
      break;
    }
  }
  return text;
}

/**
 * The engine, with the shape finder passed in (tests give a deterministic one; `undefined` means
 * no shape detection whatever the options say).
 */
export async function buildEngine(
  secrets: readonly Secret[],
  key: CryptoKey,
  options: EngineOptions,
  finder: ShapeFinder | undefined,
): Promise<Engine & { insight(): EngineInsight }> {
  // The same value under two names is one value (first name kept) with all its spellings.
  const byValue = new Map<string, { name: string; spellings: Set<string> }>();
  for (const secret of secrets) {
    if (secret.value === "") continue;
    const entry = byValue.get(secret.value);
    if (!entry) {
      byValue.set(secret.value, { name: secret.name, spellings: new Set(secret.spellings) });
    } else for (const spelling of secret.spellings ?? []) entry.spellings.add(spelling);
  }
  const values = [...byValue.keys()];
  // The MACs are computed off the main thread: started first, awaited once the matcher is built.
  const signing = surrogatesFor(key, values);
  // A multi-line value whose lines are protected one by one (as the registry registers them) is
  // caught line by line in any quoting; what restore writes of it is registered as it is written.
  // Lines too short to register carry no protection of their own: a value made only of those
  // keeps its literal spellings.
  const byLines = (value: string) => {
    if (!value.includes("\n")) return false;
    const lines = value.split(/\r?\n/).map((line) => line.trim());
    return lines.some((text) => byValue.has(text)) &&
      lines.every((text) =>
        text.length < MAX_MIN_LENGTH || PEM_ARMOR.test(text) || byValue.has(text)
      );
  };
  const all = values.map((value) =>
    valueForms(
      value,
      [...byValue.get(value)!.spellings],
      options,
      byLines(value) ? NO_LITERALS : restoreSpellings,
    )
  );

  // Forms are measured in UTF-8 bytes; a string is never longer in code units than in bytes.
  let shortest = MAX_MIN_LENGTH;
  let formCount = 0;
  let formLength = 0;
  for (const { forms } of all) {
    formCount += forms.length;
    for (const form of forms) {
      formLength += form.length;
      if (form.length < shortest) shortest = Math.min(shortest, encoder.encode(form).length);
    }
  }
  const matcher = new Matcher(shortest, formCount, formLength);
  const table: Table = {
    names: [],
    texts: [],
    valueOf: [],
    surrogates: [],
    bySurrogate: new Map(),
    choices: [],
    formBase: [],
    formValue: [],
    ids: new Map(),
    rawForm: [],
    made: new Map(),
  };

  /** Tables for one value's spellings and forms; returns the value id and its first form id. */
  function register(value: string, name: string, forms: ValueForms): [number, number] {
    const id = table.names.length;
    table.names.push(name);
    table.ids.set(value, id);
    const base = table.texts.length;
    for (const text of forms.spellings) {
      table.texts.push(text);
      table.valueOf.push(id);
    }
    const first = table.choices.length;
    table.rawForm.push(first);
    for (const choices of forms.choices) {
      table.choices.push(choices);
      table.formBase.push(base);
      table.formValue.push(id);
    }
    return [id, first];
  }

  const firstForms = all.map((forms, i) =>
    register(values[i], byValue.get(values[i])!.name, forms)[1]
  );
  // Raw values first: a value's own spelling stays its own even if it is another value's
  // escaped form (identical patterns go to the first registered).
  all.forEach(({ forms }, id) => matcher.add(forms[0], firstForms[id], REGISTERED));
  all.forEach(({ forms }, id) => {
    for (let i = 1; i < forms.length; i++) matcher.add(forms[i], firstForms[id] + i, REGISTERED);
  });
  const pieces = truncationFinder(all.map((value) => value.forms), options.dialect.truncation);
  const jsonText = jsonTextKeys(
    options.dialect.calls.filter((c) => c.input === "json" || c.input === "opaque").map((c) =>
      c.field
    ),
  );
  const surrogates = await signing;
  values.forEach((_, id) => {
    const spelling = table.formBase[firstForms[id]];
    table.surrogates[spelling] = encoder.encode(surrogates[id]);
    table.bySurrogate.set(surrogates[id], spelling);
  });

  const disabled = new Set(options.disabledFormats);
  const shapeFinder = options.shapes ? finder : undefined;
  /** Decoded tool-input text ficta wrote when restoring -> the spelling it restored. */
  const memory = new Map<string, number>();

  function learn(value: string, format: string, surrogate: string): number {
    const forms = valueForms(value, [], options, restoreSpellings);
    const [id, first] = register(value, LEARNED_PREFIX + format, forms);
    const spelling = table.formBase[first];
    table.surrogates[spelling] = encoder.encode(surrogate);
    table.bySurrogate.set(surrogate, spelling);
    forms.forms.forEach((form, i) => addLearnedForm(form, first + i));
    return id;
  }

  const learnedForms = new Set<string>();
  function addLearnedForm(form: string, formId: number): void {
    // Forms too short for the matcher's stride are still replaced where detected.
    if (learnedForms.has(form) || encoder.encode(form).length < matcher.minLength) return;
    learnedForms.add(form);
    matcher.add(form, formId, LEARNED);
  }

  /** A spelling made at run time (a merged overlap, a detected spelling) for value `id`. */
  function madeSpelling(text: string, id: number): number {
    let spelling = table.made.get(text);
    if (spelling === undefined) {
      spelling = table.texts.length;
      table.texts.push(text);
      table.valueOf.push(id);
      table.made.set(text, spelling);
    }
    return spelling;
  }

  const detectedForms = new Map<string, number>();

  /** Shape detections in `input` as matches, each value learned for the rest of the session. */
  async function detect(input: Uint8Array, finder: ShapeFinder): Promise<Match[]> {
    const { text, byteOffset } = textView(input);
    const found = finder(text, disabled);
    const spans: Match[] = [];
    for (const shape of found) {
      let id = table.ids.get(shape.value);
      if (id === undefined) {
        const surrogate = await surrogateFor(key, shape.value);
        // Another request may have learned the same value while this one awaited.
        id = table.ids.get(shape.value) ?? learn(shape.value, shape.format, surrogate);
      }
      // The detected spelling itself (e.g. a PEM block escaped inside JSON) is caught from now on.
      const spelling = text.slice(shape.start, shape.end);
      let form = spelling === shape.value ? table.rawForm[id] : detectedForms.get(spelling);
      if (form === undefined) {
        form = table.choices.length;
        detectedForms.set(spelling, form);
        table.choices.push([0, ANY_DEPTH]);
        table.formBase.push(madeSpelling(spelling, id));
        table.formValue.push(id);
        addLearnedForm(spelling, form);
      }
      spans.push({ start: byteOffset(shape.start), end: byteOffset(shape.end), id: form });
    }
    return spans;
  }

  /** The spelling a match stands for, from where it sits. */
  function spellingOf(input: Uint8Array, m: Match, depth: number): number {
    if (m.ids) {
      // Overlapping values merged: the union is a spelling of its own, restored as it was.
      const text = decodeLayers(decoder.decode(input.subarray(m.start, m.end)), depth);
      return madeSpelling(text, table.formValue[m.id]);
    }
    const choices = table.choices[m.id];
    const base = table.formBase[m.id];
    if (memory.size > 0) {
      // What ficta itself wrote into a tool input maps back to the spelling it restored there.
      const text = decodeLayers(decoder.decode(input.subarray(m.start, m.end)), depth);
      const restored = memory.get(text);
      if (restored !== undefined && table.valueOf[restored] === table.formValue[m.id]) {
        return restored;
      }
    }
    if (choices.length === 2) return base + choices[0];
    for (let i = 0; i < choices.length; i += 2) {
      if (choices[i + 1] === depth || choices[i + 1] === ANY_DEPTH) return base + choices[i];
    }
    return base + choices[0];
  }

  async function redactBytes(input: Uint8Array): Promise<{ output: Uint8Array; counts: Counts }> {
    const spans = shapeFinder ? await detect(input, shapeFinder) : [];
    // Registered values first, then learned ones, then detections no form covered.
    let matches = matcher.find(input);
    if (spans.length > 0) matches = mergeDisjoint(matches, leftmostLongest(spans));
    // Pieces of values cut by the agent's output truncation, at the cut edges only: each piece
    // is a spelling of its own (restored as the piece).
    const cut = pieces(input);
    if (cut.length > 0) {
      const cuts = cut.map((c) => ({ ...c, id: table.rawForm[c.id], ids: [table.rawForm[c.id]] }));
      matches = mergeDisjoint(matches, cuts);
    }
    if (matches.length === 0) return { output: input, counts: {} };
    // The depth only matters where a form stands for several spellings (or a merged span, or
    // text ficta wrote): most key-shaped values have one form that reads the same at any depth.
    const json = isJsonBody(input);
    const depthAt = (m: Match) =>
      json && (memory.size > 0 || m.ids || table.choices[m.id].length > 2)
        ? transportDepth(input, m.start, jsonText)
        : json
        ? 1
        : 0;
    const spellings = matches.map((m) => spellingOf(input, m, depthAt(m)));
    const missing = [...new Set(spellings.filter((s) => table.surrogates[s] === undefined))];
    if (missing.length > 0) {
      const made = await surrogatesFor(key, missing.map((s) => table.texts[s]));
      missing.forEach((spelling, i) => {
        table.surrogates[spelling] ??= encoder.encode(made[i]);
        table.bySurrogate.set(made[i], spelling);
      });
    }
    const names = matches.map((m) =>
      m.ids
        ? [...new Set(m.ids.map((id) => table.names[table.formValue[id]]))]
        : [table.names[table.formValue[m.id]]]
    );
    return replaceMatches(input, matches, spellings.map((s) => table.surrogates[s]!), names);
  }

  const lookup = (surrogate: string) => {
    const spelling = table.bySurrogate.get(surrogate);
    return spelling === undefined ? undefined : table.texts[spelling];
  };
  /** Texts restore wrote into tool inputs that are now forms of their own. */
  const writtenForms = new Set<string>();
  const remember = (written: string, surrogate: string) => {
    const spelling = table.bySurrogate.get(surrogate);
    if (spelling === undefined) return;
    if (memory.size >= MEMORY_LIMIT) memory.clear();
    memory.set(written, spelling);
    if (written === table.texts[spelling] || writtenForms.has(written)) return;
    // Never capped: an agent echoes every earlier tool call each turn, so a form dropped here
    // would leave the next request in clear. The set is bounded by spellings x quoting contexts.
    // Closed under restore: the call echoed next turn holds this text under one layer of JSON
    // (a freeform tool input) or two (`arguments`); each maps back to the spelling restored.
    writtenForms.add(written);
    let form = written;
    for (let depth = 0; depth <= 3; depth++, form = jsonEscape(form)) {
      if (encoder.encode(form).length < matcher.minLength) continue;
      table.choices.push([0, depth]);
      table.formBase.push(spelling);
      table.formValue.push(table.valueOf[spelling]);
      matcher.add(form, table.choices.length - 1, REGISTERED);
    }
  };
  const nameOf = (form: number) => table.names[table.formValue[form]];
  const gateOptions = { nameOf, wrappedBase64: options.encoded };
  const restoreOptions: RestoreOptions = {
    lookup,
    remember,
    restoreIntoTools: options.restoreIntoTools,
  };

  return {
    redactBytes,
    async redactText(input) {
      const bytes = encoder.encode(input);
      const { output, counts } = await redactBytes(bytes);
      return { output: output === bytes ? input : decoder.decode(output), counts };
    },
    gateBytes: (input) => valuesPresent(matcher, input, gateOptions),
    gateText: (input) => valuesPresent(matcher, encoder.encode(input), gateOptions),
    restorer: (response) => createRestorer({ ...restoreOptions, ...response }),
    insight: () => ({
      values: table.names.length,
      detections: learnedByFormat(table.names.slice(values.length)),
      restore: restoreOptions,
    }),
  };
}

/** Learned values' report names (`shape:<format>`) counted by format. */
function learnedByFormat(names: readonly string[]): Counts {
  const counts: Counts = {};
  for (const name of names) {
    const format = name.slice(LEARNED_PREFIX.length);
    counts[format] = (counts[format] ?? 0) + 1;
  }
  return counts;
}

/** The engine for a launch: `secrets` from the registry, `key` from `importSurrogateKey`. */
export async function compileEngine(
  secrets: readonly Secret[],
  key: CryptoKey,
  options: EngineOptions,
): Promise<Engine> {
  const { insight: _, ...engine } = await buildEngine(secrets, key, options, findShapes);
  return engine;
}
