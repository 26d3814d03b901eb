/** The global bypass: `FICTA_DISABLE=1` for one run, or the flag file `ficta disable` leaves. */
import { existsSync } from "node:fs";
import { type Env, paths } from "./paths.ts";

/** Why ficta is bypassed (for the one line it prints), or undefined when it is not. */
export function disabledBy(env: Env): string | undefined {
  if (env.FICTA_DISABLE === "1") return "FICTA_DISABLE=1";
  const flag = paths(env).disabledFlag;
  if (existsSync(flag)) return `${flag} exists; \`ficta enable\` turns ficta back on`;
  return undefined;
}
