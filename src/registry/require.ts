/**
 * `registry.require`, CI's fail-closed switch, as the registry reads it: on or off, and the
 * names it lists. What a launch does about it is `session/verdict.ts`.
 */
import type { Settings } from "../config/schema.ts";

export function requireOn(settings: Settings): boolean {
  const require = settings.registry.require;
  return Array.isArray(require) ? require.length > 0 : require;
}

/** The names `registry.require` lists (none for a plain `true`). */
export function requiredNames(settings: Settings): string[] {
  const require = settings.registry.require;
  return Array.isArray(require) ? require : [];
}
