/**
 * Whole-body restore for tests: one answer restored at once (no production caller needs it; the
 * proxy streams). Defaults to Codex's dialect.
 */
import {
  bodyKind,
  createRestorer as createCoreRestorer,
  noToolNames,
  type RestorerOptions,
  restoreSseText,
} from "../../../src/core/restore/restorer.ts";
import { restoreJson } from "../../../src/core/restore/json.ts";
import { SseRestore } from "../../../src/core/restore/sse-events.ts";
import { type Dialect, indexDialect } from "../../../src/core/restore/dialect.ts";
import {
  Landing,
  type RestoreOptions,
  restoreSpan,
  Values,
} from "../../../src/core/restore/spans.ts";
import { looksLikeSse } from "../../../src/core/restore/sse.ts";
import type { Restorer, RestoreStats } from "../../../src/core/types.ts";
import { responsesDialect } from "../../../src/agents/codex/wire.ts";

export interface RestoreTextOptions extends RestoreOptions {
  /** What the body is; when absent, taken from `contentType`, else sniffed from the text. */
  kind?: "json" | "text" | "sse";
  contentType?: string | null;
  dialect?: Dialect;
}

const encoder = new TextEncoder();

/** Restore a whole body at once. */
export function restoreText(
  text: string,
  options: RestoreTextOptions,
): { output: string; stats: RestoreStats } {
  const values = new Values(options);
  const dialect = indexDialect(options.dialect ?? responsesDialect);
  const given = options.kind ?? bodyKind(options.contentType ?? null);
  const kind = given === "sniff" ? sniffText(text) : given;
  let output = text;
  if (kind === "sse") output = restoreSseText(text, new SseRestore({ values, dialect }));
  else if (kind === "json") {
    output = restoreJson({
      text,
      from: 0,
      to: text.length,
      eventType: "",
      values,
      dialect,
      toolName: noToolNames,
    }) ?? text;
  } else if (kind === "text") {
    output = restoreSpan(text, 0, text.length, { landing: Landing.Raw, tool: false }, values);
  }
  return { output, stats: values.stats };
}

function sniffText(text: string): "sse" | "json" | "text" {
  const head = encoder.encode(text.slice(0, 16));
  if (looksLikeSse(head, true)) return "sse";
  const first = text.trimStart()[0];
  return first === "{" || first === "[" ? "json" : "text";
}

/** The core's streaming restorer, in Codex's dialect unless told otherwise. */
export function createRestorer(
  options: Omit<RestorerOptions, "dialect"> & { dialect?: Dialect },
): Restorer {
  return createCoreRestorer({ ...options, dialect: options.dialect ?? responsesDialect });
}
