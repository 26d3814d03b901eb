/** Version and commit: baked in by scripts/build.ts, read from package.json in a source run. */
import pkg from "../package.json" with { type: "json" };

declare const FICTA_BUILD_COMMIT: string | undefined;

export const VERSION: string = pkg.version;
export const COMMIT: string = typeof FICTA_BUILD_COMMIT === "string" ? FICTA_BUILD_COMMIT : "";
/** True in a binary scripts/build.ts compiled; false when run from source. */
export const COMPILED: boolean = typeof FICTA_BUILD_COMMIT === "string";

export function versionLine(): string {
  return `ficta ${VERSION}${COMMIT ? ` (${COMMIT})` : ""}`;
}
