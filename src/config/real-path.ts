/** A path with every symlink resolved, or undefined when it does not exist (or cannot be read). */
import { realpathSync } from "node:fs";

export function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}
