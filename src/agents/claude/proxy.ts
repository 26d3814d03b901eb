/**
 * What the proxy needs to know about Claude Code: the Messages API and its token counter go to
 * `upstream.anthropic`; its login travels in `x-api-key` or `authorization` (forwarded
 * untouched); it makes no tokenless call through the base URL (its OAuth profile and refresh
 * calls go straight to Anthropic, measured); and a refusal is a 451 in Anthropic's error shape,
 * which Claude Code shows once, verbatim, without retrying (docs/claude-refusals.md).
 */
import type { ProxyAgent } from "../../proxy/mod.ts";
import { resolveClaudeRoute } from "./routes.ts";
import { claudeRefusal } from "./refusal.ts";
import { signedBlocks } from "./signed.ts";

export interface ClaudeUpstreams {
  anthropic: string;
  [name: string]: string;
}

export const claudeProxy: ProxyAgent<ClaudeUpstreams> = {
  client: "Claude Code",
  upstreams: (settings) => ({ anthropic: settings.upstream.anthropic }),
  route: ({ method, pathname }, upstreams) =>
    resolveClaudeRoute(method, pathname, upstreams.anthropic),
  tokenless: () => false,
  identityHeaders: new Set(["x-api-key", "authorization"]),
  upstreamSettings: ["upstream.anthropic"],
  render: (refusal) => claudeRefusal(refusal.message, refusal.status),
  signed: (body) => signedBlocks(new TextDecoder().decode(body)),
};
