/**
 * Launches ficta refuses for Codex: commands that outlive the launch or talk to a host of their
 * own, and a managed configuration that outranks ficta's `-c` overrides.
 *
 * ```ts
 * refusal(["cloud"], env); // "cloud talks to Codex Cloud (chatgpt.com) directly, ..."
 * ```
 */
import { existsSync, readFileSync } from "node:fs";
import type { Env } from "../../config/paths.ts";
import { commandLine } from "./command-line.ts";
import { PROVIDER_ID, SWITCHED_OFF } from "./overrides.ts";

/**
 * Why ficta will not run these arguments through the airlock, or undefined when it will. These
 * start something that outlives the launch or talks to a host of its own, so ficta cannot keep
 * its promise for them; saying so beats a launch line that claims protection.
 */
export function refusal(args: string[], env: Env): string | undefined {
  const { subcommand, next, options } = commandLine(args);
  if (options.some((o) => o === "--remote" || o.startsWith("--remote="))) {
    return "--remote connects to an app server elsewhere, which sends the model requests " +
      "itself: they would not pass through ficta";
  }
  if (env.CODEX_EXEC_SERVER_URL) {
    return "CODEX_EXEC_SERVER_URL is set: Codex would run its commands, with real values " +
      "restored into them, on that exec-server, outside ficta's airlock";
  }
  switch (subcommand) {
    case "remote-control":
      return "remote-control starts a background app server that outlives this launch and takes " +
        "its work from chatgpt.com: its model requests would not pass through ficta";
    case "app-server":
      if (next === "daemon") {
        return "app-server daemon manages a background app server that outlives this launch: " +
          "its model requests would not pass through ficta";
      }
      if (next === "proxy") {
        return "app-server proxy attaches to a running background app server, which was not " +
          "started through ficta";
      }
      return undefined;
    case "queue":
      return "queue hands the message to Codex's shared background app server (it cannot run " +
        "with --no-daemon), which was not started through ficta";
    case "debug":
      if (next === "app-server") {
        return "debug app-server starts an app server without ficta's routing: its model " +
          "requests go straight to OpenAI";
      }
      return undefined;
    case "exec-server":
      return "exec-server is a long-lived service that runs commands for Codex sessions " +
        "elsewhere; ficta sees none of their traffic";
    case "cloud":
    case "apply":
    case "a":
      return `${subcommand} talks to Codex Cloud (chatgpt.com) directly, not through a base URL ` +
        "ficta can take over";
  }
  return undefined;
}

/**
 * Codex's legacy managed configuration file (Unix). Unlike every other layer it outranks `-c`:
 * measured with 0.171.0, `model_provider` set there won over ficta's, and Codex sent its model
 * requests to that provider while ficta reported them routed. (macOS MDM profiles deliver the
 * same layer; ficta cannot read those.)
 */
const MANAGED_CONFIG = "/etc/codex/managed_config.toml";

/**
 * The keys of `config` (a parsed managed configuration) that would override ficta's routing or
 * switch back on what ficta switches off, as dotted names. Tables merge key by key, so only the
 * keys ficta itself sets conflict.
 */
export function managedConflicts(config: Record<string, unknown>): string[] {
  const ours = [
    "model_provider",
    "chatgpt_base_url",
    `model_providers.${PROVIDER_ID}`,
    ...SWITCHED_OFF.map((o) => o.split("=")[0]),
  ];
  const found: string[] = [];
  const visit = (table: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(table)) {
      const name = prefix + key;
      if (ours.includes(name)) {
        // The same value as ficta's override is no conflict (`otel.exporter = "none"`).
        const same = (typeof value === "string" || typeof value === "boolean") &&
          SWITCHED_OFF.includes(`${name}=${value}`);
        if (!same) found.push(name);
      } else if (ours.some((o) => o.startsWith(`${name}.`)) && isTable(value)) {
        visit(value, `${name}.`);
      }
    }
  };
  visit(config, "");
  return found;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Why the managed configuration at `file` stops a protected launch, or undefined. */
export async function managedConfigRefusal(file = MANAGED_CONFIG): Promise<string | undefined> {
  if (process.platform === "win32" || !existsSync(file)) return undefined;
  let config: Record<string, unknown>;
  try {
    config = (await import("smol-toml")).parse(readFileSync(file, "utf8"));
  } catch (error) {
    return `${file} cannot be read (${(error as Error).name}); Codex would apply it over ` +
      "ficta's routing";
  }
  const keys = managedConflicts(config);
  if (!keys.length) return undefined;
  return `${file} sets ${keys.join(", ")}, which outrank ficta's overrides: Codex would not ` +
    "route as ficta says";
}
