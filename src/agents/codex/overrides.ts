/**
 * The `-c` overrides that route one launch of Codex through the proxy, the features switched off
 * for it, and the user's options that would take traffic around ficta.
 *
 * ```ts
 * const argv = [codexPath, ...overrides(origin, detectAuthMode(env), tokenHeader), ...args];
 * ```
 */
import type { AuthMode } from "./auth.ts";

/** The variable, set in Codex's environment only, that Codex reads the per-launch token from. */
export const PROXY_TOKEN_ENV = "FICTA_PROXY_TOKEN";
/** The model provider id ficta injects; Codex's banner shows `provider: ficta`. */
export const PROVIDER_ID = "ficta";

/**
 * The `-c` overrides for one launch, placed before the user's arguments. The token travels in
 * Codex's environment only (`env_http_headers` names the variable): argv is readable by every
 * local user, the environment only by the same user.
 */
export function overrides(origin: string, mode: AuthMode, tokenHeader: string): string[] {
  const auth = mode === "openai-api-key"
    ? `model_providers.${PROVIDER_ID}.env_key=OPENAI_API_KEY`
    : `model_providers.${PROVIDER_ID}.requires_openai_auth=true`;
  return [
    `model_provider=${PROVIDER_ID}`,
    `model_providers.${PROVIDER_ID}.name=${PROVIDER_ID}`,
    `model_providers.${PROVIDER_ID}.base_url=${origin}/v1`,
    `model_providers.${PROVIDER_ID}.wire_api=responses`,
    auth,
    `model_providers.${PROVIDER_ID}.env_http_headers={"${tokenHeader}"="${PROXY_TOKEN_ENV}"}`,
    // Codex passes its environment to the commands it runs: they get the token emptied. Only this
    // key of the user's `set` table is written; the rest of their policy stays as it is.
    `shell_environment_policy.set.${PROXY_TOKEN_ENV}=""`,
    `chatgpt_base_url=${origin}/backend-api/`,
    ...SWITCHED_OFF,
  ].flatMap((o) => ["-c", o]).concat(NO_DAEMON);
}

/**
 * Codex features that send session data somewhere other than the model provider or
 * chatgpt_base_url, switched off for the launch (measured with codex-cli 0.169.0 and 0.171.0;
 * docs/threat-model.md has the whole table).
 */
export const SWITCHED_OFF = [
  // OpenTelemetry metrics, by default to https://ab.chatgpt.com/otlp/v1/metrics.
  "otel.metrics_exporter=none",
  // OpenTelemetry log events and traces to a configured collector: prompts, tool calls, output.
  "otel.exporter=none",
  "otel.trace_exporter=none",
  // With no proxy variable set, Codex falls back to the operating system's proxy settings
  // (macOS, Windows), which ficta's NO_PROXY does not reach: a request for the loopback proxy
  // could go to that proxy in clear text. ficta's own upstream calls read the variables only,
  // so a machine that needs the system proxy cannot reach the upstream through ficta anyway.
  "features.system_proxy_fallback=false",
  // /feedback uploads Codex's logs and the session transcript to Sentry.
  "feedback.enabled=false",
];
const SWITCHED_OFF_KEYS = new Set(SWITCHED_OFF.map((o) => o.split("=")[0]));

/**
 * The interactive Codex hands its session to a shared background app server when one runs (one
 * started without ficta would send the model requests straight to OpenAI), and such a server
 * outlives the launch. `--no-daemon` keeps the session in this process, on ficta's routing.
 * It is a top-level option: valid before every subcommand.
 */
const NO_DAEMON = ["--no-daemon"];

/**
 * Options a user can pass that take Codex's model traffic away from ficta's provider. ficta
 * still launches (the user asked for it) but says so.
 */
export function bypassingOptions(args: string[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") break;
    if (arg === "--oss") found.push(arg);
    if (arg === "--enable" && SWITCHED_OFF_KEYS.has(`features.${args[i + 1]}`)) {
      found.push(`--enable ${args[i + 1]}`);
    }
    const value = arg === "-c" || arg === "--config"
      ? args[i + 1]
      : arg.startsWith("--config=")
      ? arg.slice("--config=".length)
      : undefined;
    if (value === undefined) continue;
    const name = value.split("=")[0].trim();
    if (
      name === "model_provider" || name === "openai_base_url" || name === "chatgpt_base_url" ||
      name.startsWith(`model_providers.${PROVIDER_ID}.`) ||
      // Given after ficta's own overrides, these switch back on what ficta switched off.
      SWITCHED_OFF_KEYS.has(name) || name === "otel" || name === "feedback"
    ) found.push(`-c ${name}=...`);
  }
  return found;
}
