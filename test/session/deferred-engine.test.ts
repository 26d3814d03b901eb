import { expect, test } from "bun:test";
import { type Engine, plainDialect } from "../../src/core/mod.ts";
import { deferredEngine } from "../../src/session/deferred-engine.ts";

/** An engine that redacts one word, enough to tell whether a call reached it. */
const fake: Engine = {
  redactBytes: (input) => Promise.resolve({ output: input, counts: {} }),
  redactText: (input) =>
    Promise.resolve({ output: input.replaceAll("secret", "ficta_x"), counts: { S: 1 } }),
  gateBytes: () => [],
  gateText: (input) => (input.includes("secret") ? ["S"] : []),
  restorer: () => ({
    stream: new TransformStream(),
    stats: { restored: 0, unknown: 0, keptInTools: 0 },
  }),
};

test("redaction waits for the compiled engine; the synchronous methods work after it", async () => {
  const { promise, resolve } = Promise.withResolvers<Engine>();
  const engine = deferredEngine(promise);
  const pending = engine.redactText("a secret");
  let settled = false;
  pending.then(() => (settled = true));
  await Bun.sleep(5);
  expect(settled).toBe(false);
  resolve(fake);
  expect((await pending).output).toBe("a ficta_x");
  expect(engine.gateText("secret")).toEqual(["S"]);
  expect(engine.restorer({ contentType: null, dialect: plainDialect }).stats.restored).toBe(0);
});

test("before compiling ends, the synchronous methods refuse instead of passing anything", () => {
  const engine = deferredEngine(new Promise<Engine>(() => {}));
  expect(() => engine.gateText("secret")).toThrow("still compiling");
  expect(() => engine.gateBytes(new Uint8Array())).toThrow("still compiling");
  expect(() => engine.restorer({ contentType: "text/event-stream", dialect: plainDialect }))
    .toThrow("still compiling");
});

test("a failed compile fails every request", async () => {
  const engine = deferredEngine(Promise.reject(new TypeError("boom")));
  await expect(engine.redactText("x")).rejects.toThrow("boom");
  await expect(engine.redactBytes(new Uint8Array())).rejects.toThrow("boom");
  expect(() => engine.gateText("x")).toThrow("still compiling");
});

/** An engine that replaces `word`, to tell which engine served a call. */
function replacing(word: string): Engine {
  return {
    ...fake,
    redactText: (input) =>
      Promise.resolve({ output: input.replaceAll(word, "ficta_y"), counts: {} }),
    gateText: (input) => (input.includes(word) ? [word] : []),
  };
}

test("a replacement serves from the next request on; the request waits for it", async () => {
  const engine = deferredEngine(Promise.resolve(replacing("old")));
  expect((await engine.redactText("old new")).output).toBe("ficta_y new");
  const next = Promise.withResolvers<Engine>();
  engine.replace(next.promise);
  const pending = engine.redactText("old new");
  let settled = false;
  pending.then(() => (settled = true));
  await Bun.sleep(5);
  expect(settled).toBe(false);
  next.resolve(replacing("new"));
  expect((await pending).output).toBe("old ficta_y");
  expect(engine.gateText("new")).toEqual(["new"]);
});

test("a replacement that fails to compile leaves the current engine protecting", async () => {
  const engine = deferredEngine(Promise.resolve(replacing("old")));
  await engine.redactText("");
  engine.replace(Promise.reject(new Error("watcher trouble")));
  expect((await engine.redactText("old")).output).toBe("ficta_y");
  expect(engine.gateText("old")).toEqual(["old"]);
});
