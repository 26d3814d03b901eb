/**
 * ficta's proxy for Claude Code in front of a mock Anthropic server, as a launch would start it:
 * the Messages dialect, a session log in a temporary home, a per-launch token, on a Unix socket
 * (the launch's default) or a loopback port. `send` posts as Claude Code does (token and API key).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claudeProxy } from "../../src/agents/claude/proxy.ts";
import { messagesDialect } from "../../src/agents/claude/wire.ts";
import { schema } from "../../src/config/schema.ts";
import { compileEngine, importSurrogateKey, type Secret } from "../../src/core/mod.ts";
import { PROXY_TOKEN_HEADER, type RunningProxy, serve } from "../../src/proxy/mod.ts";
import { createSession } from "../../src/report/index.ts";

export interface ClaudeProxyOptions {
  /** The mock Anthropic server's origin (`startMockAnthropic(...).origin`). */
  upstream: string;
  secrets: Secret[];
  /** Shape detection (default off: the tests name their values). */
  shapes?: boolean;
  /** Serve on a Unix socket (default) or a loopback port. */
  unix?: boolean;
}

export interface ClaudeProxy {
  proxy: RunningProxy;
  /** The socket's path, when served on one. */
  socket?: string;
  token: string;
  send(path: string, body: BodyInit, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

export async function startClaudeProxy(options: ClaudeProxyOptions): Promise<ClaudeProxy> {
  const dir = mkdtempSync(join(tmpdir(), "ficta-claude-proxy-"));
  const socket = options.unix === false ? undefined : join(dir, "proxy.sock");
  const settings = schema.parse({ upstream: { anthropic: options.upstream } });
  const session = createSession(settings, { FICTA_HOME: join(dir, "home") });
  const token = crypto.randomUUID();
  const key = await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
  const engine = await compileEngine(options.secrets, key, {
    encoded: true,
    shapes: options.shapes ?? false,
    disabledFormats: [],
    restoreIntoTools: "all",
    dialect: messagesDialect,
  });
  const proxy = serve({
    agent: claudeProxy,
    engine,
    dialect: messagesDialect,
    settings,
    token,
    session,
    ...(socket ? { unix: socket } : {}),
  });
  return {
    proxy,
    ...(socket ? { socket } : {}),
    token,
    send: (path, body, headers = {}) =>
      fetch(`${proxy.origin}${path}`, {
        method: "POST",
        ...(socket ? { unix: socket } : {}),
        headers: { [PROXY_TOKEN_HEADER]: token, "x-api-key": "sk-ant-api03-fake", ...headers },
        body,
      } as RequestInit),
    async stop() {
      await proxy.stop();
      session.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
