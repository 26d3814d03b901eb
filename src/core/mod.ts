/**
 * The core's one door: compile once per launch, then redact, gate and restore. Pure and
 * agent-neutral: web-standard TypeScript only, and no agent's wire API is known here (each
 * agent brings its `Dialect`). Nothing outside src/core imports a file under it but this one.
 *
 * ```ts
 * import { compileEngine, importSurrogateKey } from "../core/mod.ts";
 * const engine = await compileEngine(secrets, await importSurrogateKey(raw), options);
 * const { output, counts } = await engine.redactBytes(body);       // surrogates in, values out
 * if (engine.gateBytes(output).length > 0) refuse();               // anything left: never sent
 * const { stream, stats } = engine.restorer({ contentType, dialect: agent.dialect });
 * ```
 */

/**
 * The engine for a launch: every form of every registered value in one matcher, a surrogate per
 * spelling, and restorers for the answers.
 *
 * ```ts
 * const engine = await compileEngine(registry.secrets, key, { encoded: true, shapes: true,
 *   disabledFormats: [], restoreIntoTools: "all", dialect: agent.dialect });
 * ```
 */
export { compileEngine } from "./engine.ts";

/**
 * Surrogates: `importSurrogateKey(raw)` once per install key, `surrogateFor(key, value)` for one
 * value, `SURROGATE_PATTERN` to find them in text.
 *
 * ```ts
 * const key = await importSurrogateKey(rawKeyBytes);
 * const token = await surrogateFor(key, "a value"); // "ficta_…", the same every time
 * ```
 */
export {
  importSurrogateKey,
  SURROGATE_LENGTH,
  SURROGATE_PATTERN,
  surrogateFor,
} from "./surrogate.ts";

/**
 * Which answers are restored, decided once: `isRestorable(contentType)` is what a proxy asks
 * before decoding a body for the restorer (SSE, JSON, text, XML, JavaScript, form data, or no
 * type at all); `bodyKind` says which.
 *
 * ```ts
 * if (isRestorable(upstream.headers.get("content-type"))) body = piped(decoded, restorer.stream);
 * ```
 */
export { bodyKind, isRestorable } from "./restore/restorer.ts";
export type { BodyKind } from "./restore/restorer.ts";

/**
 * A wire dialect: what core must know about one agent's model API, as data: restore's events
 * and tools, redaction's JSON-text calls and truncation markers (see restore/dialect.ts for the
 * fields and a sketch of the Anthropic Messages dialect).
 *
 * ```ts
 * const engine = ...; engine.restorer({ contentType: "text/event-stream", dialect: agent.dialect });
 * ```
 */
export { plainDialect } from "./restore/dialect.ts";
export type { CutMarker, Truncation } from "./redact/truncation.ts";
export type {
  Announcement,
  CallShape,
  DeltaEvent,
  Dialect,
  InputForm,
  Syntax,
  ToolSyntax,
} from "./restore/dialect.ts";

/**
 * For the registry and settings: every form a value takes on the wire (`formsOf`, what
 * `ficta registry` shows), and whether a text looks like a well-known credential.
 *
 * ```ts
 * if (looksLikeCredential(value)) warn();
 * ```
 */
export { formsOf } from "./redact/forms.ts";
export { findShapes, looksLikeCredential } from "./redact/shapes.ts";

export type {
  Counts,
  Engine,
  EngineOptions,
  ResponseOptions,
  Restorer,
  RestoreStats,
  Secret,
} from "./types.ts";
