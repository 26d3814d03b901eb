/** The global bypass: `FICTA_DISABLE=1` for one run, or the flag file `ficta disable` leaves. */
import { existsSync } from "node:fs";
import { type Env, paths } from "./paths.ts";
import { parseSwitch } from "./switch.ts";

/** Why ficta is bypassed (for the one line it prints), or undefined when it is not. */
export function disabledBy(env: Env): string | undefined {
  // Anything but an "on" spelling (a typo included) keeps the airlock: failing open would leak.
  const value = env.FICTA_DISABLE;
  if (value && parseSwitch(value)) return `FICTA_DISABLE=${value}`;
  const flag = paths(env).disabledFlag;
  if (existsSync(flag)) return `${flag} exists; \`ficta enable\` turns ficta back on`;
  return undefined;
}
