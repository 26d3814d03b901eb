/**
 * The gate's refusal as the real Codex shows it. The proxy runs in this process with an engine
 * whose redaction misses everything (the gate is the real one), so the only thing between the
 * value and the upstream is the gate.
 */
import { responsesDialect } from "../../src/agents/codex/wire.ts";
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { detectAuthMode } from "../../src/agents/codex/auth.ts";
import { overrides, PROXY_TOKEN_ENV } from "../../src/agents/codex/overrides.ts";
import { parseConfig } from "../../src/config/load.ts";
import { withoutRedaction } from "../../src/cli/doctor-self-test.ts";
import { compileEngine, importSurrogateKey } from "../../src/core/mod.ts";
import { codexProxy } from "../../src/agents/codex/proxy.ts";
import { PROXY_TOKEN_HEADER, serve } from "../../src/proxy/mod.ts";
import { createSession } from "../../src/report/index.ts";
import {
  currentCodex,
  forEachCodex,
  OFFLINE_FLAGS,
  removeTempDirs,
  run,
  tempDirs,
  writeLogin,
} from "./harness.ts";
import { startMockUpstream } from "./mock-upstream.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

const upstream = startMockUpstream(() => [{ type: "message", text: "must not be reached" }]);
afterAll(async () => {
  await upstream.stop();
  removeTempDirs();
});

forEachCodex(() => {
  test(
    "a gate hit reaches Codex's output as ficta's 400 text, and nothing is forwarded",
    async () => {
      const dirs = tempDirs("gate");
      writeLogin(dirs.codexHome, "apikey");
      const env = { FICTA_HOME: dirs.fictaHome, FICTA_OPENAI_UPSTREAM: upstream.origin };
      const { settings } = parseConfig(undefined, "(none)", env);
      const secret = `gate-${crypto.randomUUID()}`;
      const key = await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
      const engine = await compileEngine(
        [{ name: "E2E_GATE_SECRET", source: "test", value: secret }],
        key,
        {
          encoded: true,
          shapes: false,
          disabledFormats: [],
          restoreIntoTools: "all",
          dialect: responsesDialect,
        },
      );
      const token = crypto.getRandomValues(new Uint8Array(32)).toHex();
      const session = createSession(settings, env);
      const proxy = serve({
        agent: codexProxy,
        engine: withoutRedaction(engine),
        dialect: responsesDialect,
        settings,
        token,
        session,
      });
      try {
        const codexEnv = {
          PATH: process.env.PATH ?? "",
          HOME: dirs.home,
          CODEX_HOME: dirs.codexHome,
          [PROXY_TOKEN_ENV]: token,
        };
        const mode = detectAuthMode(codexEnv);
        expect(mode).toBe("apikey-login");
        const result = await run(
          [
            currentCodex().path,
            ...overrides(proxy.origin, mode, PROXY_TOKEN_HEADER),
            "exec",
            ...OFFLINE_FLAGS,
            `Deploy with ${secret}`,
          ],
          { cwd: dirs.project, env: codexEnv, timeoutMs: 30_000 },
        );
        // As a user sees it: Codex's banner names ficta's provider, then prints ficta's refusal.
        expect(result.code).toBe(1);
        expect(result.stderr).toContain("provider: ficta");
        expect(result.stderr).toContain(
          "ERROR: ficta blocked this request: 1 protected value(s) (E2E_GATE_SECRET) would have " +
            "reached the model in the request body. Nothing was sent.",
        );
        expect(upstream.received.filter((r) => r.method === "POST")).toEqual([]);
        expect(session.totals().blocked).toBe(1);
      } finally {
        await proxy.stop();
        session.close();
      }
    },
    60_000,
  );
});
