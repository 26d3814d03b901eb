/**
 * The engine's options as the settings decide them: one place, so the launch and doctor's
 * self-test compile the same engine.
 *
 * ```ts
 * compileEngine(secrets, key, engineOptions(settings));
 * ```
 */
import type { EngineOptions } from "../core/mod.ts";
import type { Settings } from "./schema.ts";

export function engineOptions(
  settings: Settings,
  overrides: Partial<EngineOptions> = {},
): EngineOptions {
  return {
    encoded: settings.detect.encoded,
    shapes: settings.detect.shapes,
    disabledFormats: settings.detect.disabled_formats,
    restoreIntoTools: settings.proxy.restore_into_tools,
    ...overrides,
  };
}
