/**
 * The benchmark's baseline: what `ficta codex` does (the same proxy, session log, settings and
 * `-c` overrides, the token in the child's environment) but with an engine that changes nothing.
 * Its rows are the proxy's own cost, the floor any engine adds to. Run by bench-proxy.ts as
 * `bun identity-host.ts STAND_IN ARGS...`; upstream and FICTA_HOME come from the environment.
 */
import { overrides, PROXY_TOKEN_ENV } from "../../src/agents/codex/overrides.ts";
import { schema } from "../../src/config/schema.ts";
import type { Engine } from "../../src/core/mod.ts";
import { codexProxy } from "../../src/agents/codex/proxy.ts";
import { responsesDialect } from "../../src/agents/codex/wire.ts";
import { PROXY_TOKEN_HEADER, serve } from "../../src/proxy/mod.ts";
import { createSession } from "../../src/report/index.ts";

export function identityEngine(): Engine {
  const stats = { restored: 0, unknown: 0, keptInTools: 0 };
  return {
    redactBytes: (input) => Promise.resolve({ output: input, counts: {} }),
    redactText: (input) => Promise.resolve({ output: input, counts: {} }),
    gateBytes: () => [],
    gateText: () => [],
    restorer: () => ({ stream: new TransformStream(), stats }),
  };
}

if (import.meta.main) {
  const [standIn, ...args] = process.argv.slice(2);
  const settings = schema.parse({ upstream: { openai: process.env.FICTA_OPENAI_UPSTREAM } });
  const session = createSession(settings, process.env);
  const token = crypto.getRandomValues(new Uint8Array(32)).toHex();
  const proxy = serve({
    agent: codexProxy,
    dialect: responsesDialect,
    engine: identityEngine(),
    settings,
    token,
    session,
  });
  const child = Bun.spawn([
    standIn,
    ...overrides(proxy.origin, "none", PROXY_TOKEN_HEADER),
    ...args,
  ], {
    env: { ...process.env, [PROXY_TOKEN_ENV]: token },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const code = await child.exited;
  await proxy.stop();
  session.close();
  process.exit(code);
}
