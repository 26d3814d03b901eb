/**
 * compileEngine: the registry's values, every form of each, compiled once into one matcher, with
 * a surrogate per value; plus the session's memory of values learned by shape detection.
 */
import { formsOf } from "./forms.ts";
import { leftmostLongest, type Match, Matcher, mergeDisjoint } from "./matcher.ts";
import { replaceMatches } from "./redact.ts";
import { valuesPresent } from "./gate.ts";
import { surrogateFor, surrogatesFor } from "./surrogate.ts";
import { createRestorer, restoreText } from "./restore.ts";
import { findShapes, type ShapeMatch } from "./shapes.ts";
import { truncationFinder } from "./truncation.ts";
import type { Counts, Engine, EngineOptions, EngineStats, Secret } from "./types.ts";

/** Finds well-known credential formats in a one-character-per-byte view of a request. */
export type ShapeFinder = (text: string, disabled?: ReadonlySet<string>) => ShapeMatch[];

/**
 * The matcher's minimum pattern length (hence its stride) is the shortest form present, capped
 * here: values learned later by shape detection must still fit, and credential formats are longer.
 */
const MAX_MIN_LENGTH = 8;
/** Report name of a value learned by shape detection. */
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

/** Per value id: report name and surrogate; per surrogate and per value: the other way back. */
interface ValueTable {
  names: string[];
  surrogates: Uint8Array[];
  bySurrogate: Map<string, string>;
  ids: Map<string, number>;
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
): Promise<Engine> {
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
  const forms = values.map((value) => formsOf(value, [...byValue.get(value)!.spellings], options));

  // Forms are measured in UTF-8 bytes; a string is never longer in code units than in bytes.
  let shortest = MAX_MIN_LENGTH;
  let formCount = 0;
  let formLength = 0;
  for (const list of forms) {
    formCount += list.length;
    for (const form of list) {
      formLength += form.length;
      if (form.length < shortest) shortest = Math.min(shortest, encoder.encode(form).length);
    }
  }
  const matcher = new Matcher(shortest, formCount, formLength);
  // Raw values first: a value's own spelling stays its own even if it is another value's
  // escaped form (identical patterns go to the first registered).
  forms.forEach((list, id) => matcher.add(list[0], id, REGISTERED));
  forms.forEach((list, id) => {
    for (let i = 1; i < list.length; i++) matcher.add(list[i], id, REGISTERED);
  });
  const pieces = truncationFinder(forms);
  const surrogates = await signing;
  const table: ValueTable = { names: [], surrogates: [], bySurrogate: new Map(), ids: new Map() };
  values.forEach((value, id) => {
    table.names.push(byValue.get(value)!.name);
    table.surrogates.push(encoder.encode(surrogates[id]));
    table.bySurrogate.set(surrogates[id], value);
    table.ids.set(value, id);
  });

  const detections: Counts = {};
  const disabled = new Set(options.disabledFormats);
  const shapeFinder = options.shapes ? finder : undefined;

  function learn(value: string, format: string, surrogate: string): number {
    const id = table.names.length;
    table.names.push(LEARNED_PREFIX + format);
    table.surrogates.push(encoder.encode(surrogate));
    table.bySurrogate.set(surrogate, value);
    table.ids.set(value, id);
    detections[format] = (detections[format] ?? 0) + 1;
    for (const form of formsOf(value, [], options)) addLearnedForm(form, id);
    return id;
  }

  const learnedForms = new Set<string>();
  function addLearnedForm(form: string, id: number): void {
    // Forms too short for the matcher's stride are still replaced where detected.
    if (learnedForms.has(form) || encoder.encode(form).length < matcher.minLength) return;
    learnedForms.add(form);
    matcher.add(form, id, LEARNED);
  }

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
      if (spelling !== shape.value) addLearnedForm(spelling, id);
      spans.push({ start: byteOffset(shape.start), end: byteOffset(shape.end), id });
    }
    return spans;
  }

  async function redactBytes(input: Uint8Array): Promise<{ output: Uint8Array; counts: Counts }> {
    const spans = shapeFinder ? await detect(input, shapeFinder) : [];
    // Registered values first, then learned ones, then detections no form covered.
    let matches = matcher.find(input);
    if (spans.length > 0) matches = mergeDisjoint(matches, leftmostLongest(spans));
    // Pieces of values cut by Codex's output truncation, at the cut edges only.
    const cut = pieces(input);
    if (cut.length > 0) matches = mergeDisjoint(matches, cut);
    return replaceMatches(input, matches, table);
  }

  const lookup = (surrogate: string) => table.bySurrogate.get(surrogate);

  return {
    redactBytes,
    async redactText(input) {
      const bytes = encoder.encode(input);
      const { output, counts } = await redactBytes(bytes);
      return { output: output === bytes ? input : decoder.decode(output), counts };
    },
    gateBytes: (input) => valuesPresent(matcher, input, table.names),
    gateText: (input) => valuesPresent(matcher, encoder.encode(input), table.names),
    restorer: (contentType) =>
      createRestorer({ lookup, contentType, restoreIntoTools: options.restoreIntoTools }),
    restoreText: (input) =>
      restoreText(input, { lookup, contentType: null, restoreIntoTools: options.restoreIntoTools }),
    stats: (): EngineStats => ({ values: table.names.length, detections: { ...detections } }),
  };
}

/** The engine for a launch: `secrets` from the registry, `key` from `importSurrogateKey`. */
export function compileEngine(
  secrets: readonly Secret[],
  key: CryptoKey,
  options: EngineOptions,
): Promise<Engine> {
  return buildEngine(secrets, key, options, findShapes);
}
