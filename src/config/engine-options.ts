/**
 * The engine's options as the settings decide them: one place, so the launch and doctor's
 * self-test compile the same engine. The agent's wire dialect comes from the caller (config sits
 * below the agents).
 *
 * ```ts
 * compileEngine(secrets, key, engineOptions(settings, { dialect: agent.dialect }));
 * ```
 */
import type { EngineOptions } from "../core/mod.ts";
import type { Settings } from "./schema.ts";

export function engineOptions(
  settings: Settings,
  overrides: Pick<EngineOptions, "dialect"> & Partial<EngineOptions>,
): EngineOptions {
  return {
    encoded: settings.detect.encoded,
    shapes: settings.detect.shapes,
    disabledFormats: settings.detect.disabled_formats,
    restoreIntoTools: settings.proxy.restore_into_tools,
    ...overrides,
  };
}
