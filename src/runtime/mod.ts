/**
 * The runtime ficta runs on, picked once. On Bun (the compiled binary) this is a property read:
 * the Deno adapter is never loaded, and it sits in its own lazily imported chunk of the bundle.
 *
 * @example
 * ```ts
 * import { runtime } from "../runtime/mod.ts";
 * const server = runtime.serve({ hostname: "127.0.0.1", port: 0, handler, error });
 * ```
 */
import { bun } from "./bun.ts";
import type { Runtime } from "./types.ts";

export type * from "./types.ts";

export const runtime: Runtime = "Bun" in globalThis ? bun : (await import("./deno.ts")).deno;
