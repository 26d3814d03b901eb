/** `ficta help codex`: what ficta adds to a Codex launch, and every variable that changes it. */
import { keys } from "../../config/schema.ts";
import { SWITCH_SPELLINGS } from "../../config/switch.ts";

/** Variables read outside the config schema. */
const LAUNCH_VARIABLES: Array<[string, string]> = [
  ["FICTA_DISABLE", `Run the real Codex untouched, for one run (${SWITCH_SPELLINGS}).`],
  ["FICTA_HOME", "Where ficta keeps config, key, logs and the shim (default ~/.ficta)."],
  ["FICTA_CONFIG_FILE", "The config file (default $FICTA_HOME/config.toml)."],
  [
    "FICTA_SURROGATE_KEY",
    "The surrogate key (64 hex characters or base64 of 32+ bytes) instead of $FICTA_HOME/key, " +
    "e.g. in CI; never passed to Codex.",
  ],
];

export function codexHelp(): string {
  const rows: Array<[string, string]> = [...LAUNCH_VARIABLES];
  for (const info of keys()) {
    const aliases = info.env.slice(1);
    const also = aliases.length ? ` Also ${aliases.join(", ")}.` : "";
    rows.push([info.env[0], `${info.path}: ${info.description}${also}`]);
  }
  const width = Math.max(...rows.map(([name]) => name.length));
  return [
    "ficta codex has no flags of its own: every argument goes to Codex (so `ficta codex --help`",
    "is Codex's help). ficta adds `-c` overrides that route model requests through its proxy,",
    "and a per-launch token in Codex's environment.",
    "",
    `Environment (switches take ${SWITCH_SPELLINGS}):`,
    ...rows.map(([name, text]) => `  ${name.padEnd(width)}  ${text}`),
  ].join("\n");
}
