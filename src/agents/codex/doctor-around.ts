/**
 * Doctor check: what on this machine could send session data around ficta. System proxy
 * variables (ficta keeps loopback off them, Codex's other traffic still uses them), a remote
 * exec-server, and Codex settings that export or hand session data to something ficta does not
 * see. Names only: proxy URLs and MCP URLs can carry credentials, so no value is printed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import type { Env } from "../../config/paths.ts";
import type { Check } from "../../report/check.ts";
import { codexHome } from "./auth.ts";
import { managedConfigRefusal } from "./refusals.ts";

const PROXY_VARIABLES = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"];
const OTEL_EXPORTERS = ["exporter", "trace_exporter", "metrics_exporter"];

type Table = Record<string, unknown>;

const isTable = (value: unknown): value is Table =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The proxy variables set in `env`, both spellings, by name. */
function proxyVariables(env: Env): string[] {
  return PROXY_VARIABLES.flatMap((name) => [name, name.toLowerCase()]).filter((name) => env[name]);
}

/** What one Codex config file sets that would send session data around ficta, by key. */
function settingsAroundFicta(config: Table): string[] {
  const found: string[] = [];
  const otel = isTable(config.otel) ? config.otel : {};
  const exporting = OTEL_EXPORTERS.filter((key) => key in otel && otel[key] !== "none");
  if (exporting.length) {
    found.push(
      `otel.${exporting.join(", otel.")}: switched off for every ficta launch ` +
        "(OpenTelemetry would export prompts and tool output to the collector)",
    );
  }
  const servers = isTable(config.mcp_servers) ? config.mcp_servers : {};
  for (const [name, server] of Object.entries(servers)) {
    if (!isTable(server) || server.enabled === false) continue;
    found.push(
      typeof server.url === "string"
        ? `mcp_servers.${name} (HTTP): tool calls and their real values go to it directly, ` +
          "not through ficta"
        : `mcp_servers.${name} (local command): gets tool calls with real values; what it ` +
          "sends on is not seen by ficta",
    );
  }
  if (config.notify !== undefined) {
    found.push(
      "notify: the command gets each turn's last message with real values restored, and " +
        "Codex's environment with the launch token",
    );
  }
  if (config.hooks !== undefined) {
    found.push(
      "hooks: hook commands get prompts and tool calls with real values restored, and " +
        "Codex's environment with the launch token",
    );
  }
  return found;
}

/** Settings from `file`, or a line saying why they could not be read; undefined when absent. */
function readSettings(file: string): { found: string[] } | { problem: string } | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? undefined : { problem: `${file}: cannot read (${code})` };
  }
  try {
    return { found: settingsAroundFicta(parse(text) as Table) };
  } catch {
    return { problem: `${file}: not valid TOML, Codex will refuse it too` };
  }
}

export async function aroundFictaCheck(env: Env, cwd: string): Promise<Check> {
  const managed = await managedConfigRefusal();
  if (managed) {
    return {
      id: "around",
      status: "fail",
      summary: "Codex's managed configuration outranks ficta's routing",
      details: [managed, "`ficta codex` refuses to start until the administrator changes it"],
    };
  }
  const details: string[] = [];
  const proxies = proxyVariables(env);
  if (proxies.length) {
    details.push(
      `${proxies.join(", ")} set: ficta adds loopback to Codex's NO_PROXY, so model requests ` +
        "skip the proxy; Codex's own other traffic (login refresh, plugin downloads) uses it",
    );
  }
  if (env.CODEX_EXEC_SERVER_URL) {
    details.push(
      "CODEX_EXEC_SERVER_URL set: Codex would run commands on a remote exec-server; " +
        "`ficta codex` refuses to start",
    );
  }
  // The user's config and the project's (Codex reads the latter in trusted projects).
  const files = new Set([join(codexHome(env), "config.toml"), join(cwd, ".codex", "config.toml")]);
  for (const file of files) {
    const settings = readSettings(file);
    if (settings === undefined) continue;
    if ("problem" in settings) details.push(settings.problem);
    else details.push(...settings.found.map((line) => `${file}: ${line}`));
  }
  return details.length
    ? {
      id: "around",
      status: "warn",
      summary: `${details.length} thing(s) could send data around ficta`,
      details,
    }
    : {
      id: "around",
      status: "ok",
      summary: "no proxy variable, no Codex setting that sends data around ficta",
      details: [],
    };
}
