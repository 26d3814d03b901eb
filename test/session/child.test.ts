import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childEnv, loopbackNoProxy, runChild, SpawnError } from "../../src/session/child.ts";
import { startProxyRecorder } from "../e2e/system-proxy.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

const WRAPPER = join(import.meta.dir, "fixtures", "wrapper.ts");
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), "ficta-child-"));
  made.push(dir);
  return dir;
}

describe("runChild", () => {
  test("resolves to the child's exit code", async () => {
    expect(await runChild(["sh", "-c", "exit 0"], process.env)).toBe(0);
    expect(await runChild(["sh", "-c", "exit 3"], process.env)).toBe(3);
  });

  test("a child killed by signal n gives 128+n", async () => {
    expect(await runChild(["sh", "-c", "kill -TERM $$"], process.env)).toBe(128 + 15);
    expect(await runChild(["sh", "-c", "kill -KILL $$"], process.env)).toBe(128 + 9);
  });

  test("the child gets exactly the environment it is given", async () => {
    const dir = temp();
    const out = join(dir, "env");
    const env = childEnv({ PATH: process.env.PATH, A: "1", FICTA_SURROGATE_KEY: "k" }, { B: "2" });
    expect(await runChild(["sh", "-c", `env > ${out}`], env)).toBe(0);
    const seen = (await Bun.file(out).text()).split("\n");
    expect(seen).toContain("A=1");
    expect(seen).toContain("B=2");
    expect(seen.some((line) => line.startsWith("FICTA_SURROGATE_KEY="))).toBe(false);
  });

  test("a missing command is 127, a non-executable file 126", async () => {
    const dir = temp();
    const plain = join(dir, "not-executable");
    writeFileSync(plain, "#!/bin/sh\n");
    chmodSync(plain, 0o644);
    const missing = runChild([join(dir, "missing")], process.env);
    await expect(missing).rejects.toBeInstanceOf(SpawnError);
    await expect(missing).rejects.toMatchObject({ exitCode: 127 });
    await expect(runChild([plain], process.env)).rejects.toMatchObject({ exitCode: 126 });
  });
});

/**
 * A child that says when it is ready, then exits 42, 43 or 44 on INT, TERM or HUP (and on its
 * own after 10 s, so a failed test leaves nothing running).
 */
const CHILD = [
  "sh",
  "-c",
  "trap 'exit 42' INT; trap 'exit 43' TERM; trap 'exit 44' HUP; echo ready; " +
  "i=0; while [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done",
];

async function startWrapper(options: { detached?: boolean } = {}) {
  const wrapper = Bun.spawn([process.execPath, WRAPPER, ...CHILD], {
    stdout: "pipe",
    stderr: "inherit",
    detached: options.detached,
  });
  const reader = wrapper.stdout.getReader();
  const { value } = await reader.read();
  expect(new TextDecoder().decode(value)).toContain("ready");
  reader.releaseLock();
  return wrapper;
}

describe("signals", () => {
  test("SIGINT to ficta alone is swallowed: ficta keeps waiting for its child", async () => {
    const wrapper = await startWrapper();
    wrapper.kill("SIGINT");
    wrapper.kill("SIGQUIT");
    await Bun.sleep(300);
    expect(wrapper.exitCode).toBeNull();
    wrapper.kill("SIGTERM");
    expect(await wrapper.exited).toBe(43);
  });

  test("Ctrl-C (SIGINT to the process group) ends the child, ficta exits with its code", async () => {
    const wrapper = await startWrapper({ detached: true });
    process.kill(-wrapper.pid, "SIGINT");
    expect(await wrapper.exited).toBe(42);
  });

  test("SIGTERM and SIGHUP are relayed to the child", async () => {
    const term = await startWrapper();
    term.kill("SIGTERM");
    expect(await term.exited).toBe(43);
    const hup = await startWrapper();
    hup.kill("SIGHUP");
    expect(await hup.exited).toBe(44);
  });
});

describe("loopbackNoProxy", () => {
  test("adds loopback to both spellings, keeping the user's entries from either", () => {
    expect(loopbackNoProxy({})).toEqual({
      NO_PROXY: "127.0.0.1,::1,localhost",
      no_proxy: "127.0.0.1,::1,localhost",
    });
    const merged = loopbackNoProxy({ NO_PROXY: "a.test, .b.test", no_proxy: "c.test,localhost" });
    expect(merged.NO_PROXY).toBe("a.test,.b.test,c.test,localhost,127.0.0.1,::1");
    expect(merged.no_proxy).toBe(merged.NO_PROXY);
    expect(loopbackNoProxy({ NO_PROXY: "*" }).NO_PROXY).toBe("*,127.0.0.1,::1,localhost");
  });

  test("ficta's own fetch: loopback directly, a real upstream still through the user's proxy", async () => {
    const recorder = startProxyRecorder();
    const upstream = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("up") });
    try {
      const script = `
        const { loopbackNoProxy } = await import(${
        JSON.stringify(join(import.meta.dir, "../../src/session/child.ts"))
      });
        Object.assign(process.env, loopbackNoProxy(process.env));
        const local = await (await fetch("http://127.0.0.1:${upstream.port}/v1/responses")).text();
        const remote = await fetch("https://upstream.invalid/v1/responses").then((r) => r.status, () => "failed");
        console.log(JSON.stringify({ local, remote }));`;
      const child = Bun.spawn([process.execPath, "--no-env-file", "-e", script], {
        env: { PATH: process.env.PATH, ...recorder.env },
        stdout: "pipe",
      });
      const out = JSON.parse(await new Response(child.stdout).text());
      expect(out.local).toBe("up");
      // The real upstream went to the proxy as a tunnel request: host and port, nothing else.
      expect(recorder.connections.length).toBe(1);
      expect(recorder.connections[0]).toStartWith("CONNECT upstream.invalid:443 HTTP/1.1\r\n");
      expect(recorder.connections[0]).not.toContain("/v1/responses");
    } finally {
      recorder.stop();
      await upstream.stop(true);
    }
  });
});
