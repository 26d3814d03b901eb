/** The engine's public surface: compile once per launch, then redact, gate and restore. */
export { compileEngine } from "./engine.ts";
export {
  importSurrogateKey,
  SURROGATE_LENGTH,
  SURROGATE_PATTERN,
  surrogateFor,
} from "./surrogate.ts";
export type {
  Counts,
  Engine,
  EngineOptions,
  EngineStats,
  Restorer,
  RestoreStats,
  Secret,
} from "./types.ts";
