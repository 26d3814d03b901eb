/** Where ficta keeps its files. `FICTA_HOME` moves all of them; `FICTA_CONFIG_FILE` only the config. */
import { homedir } from "node:os";
import { join } from "node:path";

export type Env = Record<string, string | undefined>;

export function userHome(env: Env = process.env): string {
  return env.HOME || env.USERPROFILE || homedir();
}

export function fictaHome(env: Env = process.env): string {
  return env.FICTA_HOME || join(userHome(env), ".ficta");
}

export function paths(env: Env = process.env) {
  const home = fictaHome(env);
  return {
    home,
    config: env.FICTA_CONFIG_FILE || join(home, "config.toml"),
    key: join(home, "key"),
    logs: join(home, "logs"),
    bin: join(home, "bin"),
    disabledFlag: join(home, "disabled"),
  };
}
