/**
 * The launch spawns the agent before the registry is loaded (src/session/launch.ts): the monorepo
 * walk, the dotenv files, the store decrypt and the compile run while the agent starts. These
 * tests hold the registry back, as a slow walk would, and check that the agent's very first
 * request waits for every source and reaches the upstream with the values of the walk and of the
 * store replaced, and that a registry that fails to load forwards nothing.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { responsesDialect } from "../../src/agents/codex/wire.ts";
import { schema } from "../../src/config/schema.ts";
import { compileEngine, importSurrogateKey, SURROGATE_PATTERN } from "../../src/core/mod.ts";
import { loadRegistry, type Registry } from "../../src/registry/index.ts";
import { storeKey, writeStore } from "../../src/registry/store.ts";
import { startProtection } from "../../src/session/protection.ts";
import { apiKeyHeaders, startTestProxy, type TestProxy } from "../proxy/harness.ts";

const fake = (label: string) => `${label}-${crypto.randomUUID().replaceAll("-", "")}`;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** A repository with a value only the walk finds, and a store with a value only it holds. */
async function setUp() {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "ficta-protection-")));
  cleanup.push(() => Promise.resolve(rmSync(root, { recursive: true, force: true })));
  const repo = join(root, "repo");
  mkdirSync(join(repo, ".git"), { recursive: true });
  mkdirSync(join(repo, "apps", "web"), { recursive: true });
  const walked = fake("walked");
  writeFileSync(join(repo, "apps", "web", ".env.local"), `WEB_SECRET=${walked}\n`);
  const env = { HOME: root, FICTA_HOME: join(root, "ficta-home") };
  const key = await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
  const stored = fake("stored");
  await writeStore(env, await storeKey(key), [{
    name: "OLD_PROJECT_TOKEN",
    source: "/elsewhere/.env",
    first: "2026-01-01",
    last: "2026-01-01",
    value: stored,
  }]);
  const settings = schema.parse({});
  const protection = startProtection({
    settings,
    env,
    cwd: repo,
    extra: [],
    key,
    log: () => {},
    compile: (secrets) =>
      compileEngine(secrets, key, {
        encoded: true,
        shapes: true,
        disabledFormats: [],
        restoreIntoTools: "all",
        dialect: responsesDialect,
      }),
  });
  const t: TestProxy = startTestProxy({ engine: protection.engine });
  cleanup.push(async () => {
    await protection.stop();
    await t.close();
  });
  const load = () => loadRegistry(settings, { cwd: repo, env, credentialFiles: [] });
  return { t, protection, load, walked, stored };
}

function firstRequest(t: TestProxy, values: string[]): Promise<Response> {
  return t.send("/v1/responses", {
    method: "POST",
    headers: apiKeyHeaders(),
    body: JSON.stringify({
      model: "m",
      input: [{ type: "function_call_output", output: `cat .env:\n${values.join("\n")}` }],
    }),
  });
}

describe("the registry loads after the spawn", () => {
  test("the first request waits for the walk and the store; their values never reach the upstream", async () => {
    const { t, protection, load, walked, stored } = await setUp();
    const walk = Promise.withResolvers<void>();
    let failed: unknown;
    const lines = protection.begin(walk.promise.then(load), (error) => (failed = error));
    // The agent's first request, sent while the walk has not even started.
    const answer = firstRequest(t, [walked, stored]);
    await Bun.sleep(300);
    expect(t.upstream.received).toHaveLength(0);
    walk.resolve();
    const response = await answer;
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    expect(failed).toBeUndefined();
    expect(t.upstream.received).toHaveLength(1);
    const sent = new TextDecoder().decode(t.upstream.received[0].body);
    expect(sent).not.toContain(walked);
    expect(sent).not.toContain(stored);
    expect(sent.match(SURROGATE_PATTERN)?.length).toBeGreaterThanOrEqual(2);
    expect(await lines).toContain("registry: store (1 values from earlier launches)");
  });

  test("a registry that fails to load forwards nothing and stops the launch", async () => {
    const { t, protection, walked, stored } = await setUp();
    const walk = Promise.withResolvers<Registry>();
    let failed: unknown;
    protection.begin(walk.promise, (error) => (failed = error));
    const answer = firstRequest(t, [walked, stored]);
    await Bun.sleep(100);
    walk.reject(new Error("the walk failed"));
    const response = await answer;
    await response.arrayBuffer();
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(t.upstream.received).toHaveLength(0);
    expect((failed as Error)?.message).toBe("the walk failed");
  });
});
