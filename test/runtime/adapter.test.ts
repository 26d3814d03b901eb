/**
 * The runtime adapter picked for the runtime running this test: the same file runs under
 * `bun test` (Bun adapter) and under `deno task test:deno` (Deno adapter), so both keep the one
 * contract in src/runtime/types.ts.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import * as zlib from "node:zlib";
import { type Coding, runtime } from "../../src/runtime/mod.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const PATH = process.env.PATH ?? "/usr/bin:/bin";

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe(`runtime adapter (${"Bun" in globalThis ? "bun" : "deno"})`, () => {
  test("is the one for this runtime", () => {
    expect(runtime.name).toBe("Bun" in globalThis ? "bun" : "deno");
  });

  test("serves on loopback, answers errors with `error`, and stops", async () => {
    const server = runtime.serve({
      hostname: "127.0.0.1",
      port: 0,
      handler: async (request, server) => {
        server.noIdleTimeout(request);
        if (new URL(request.url).pathname === "/boom") throw new Error("boom");
        return new Response(`${request.method} ${await request.text()}`);
      },
      error: () => new Response("handled", { status: 400 }),
    });
    try {
      expect(server.port).toBeGreaterThan(0);
      const ok = await fetch(`http://127.0.0.1:${server.port}/x`, { method: "POST", body: "hi" });
      expect(await ok.text()).toBe("POST hi");
      const boom = await fetch(`http://127.0.0.1:${server.port}/boom`);
      expect(boom.status).toBe(400);
      expect(await boom.text()).toBe("handled");
    } finally {
      await server.stop();
    }
  });

  test("serves on a Unix socket", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "ficta-unix-")), "proxy.sock");
    const server = runtime.serve({
      hostname: "127.0.0.1",
      port: 0,
      unix: path,
      handler: (request) => Promise.resolve(new Response(`unix ${new URL(request.url).pathname}`)),
      error: () => new Response("error", { status: 500 }),
    });
    try {
      expect(server.port).toBe(0);
      const answer = await new Promise<string>((done, fail) => {
        const socket = connect(
          path,
          () => socket.write("GET /x HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"),
        );
        let text = "";
        socket.on("data", (chunk) => text += chunk);
        socket.on("end", () => done(text));
        socket.on("error", fail);
      });
      expect(answer).toContain("unix /x");
    } finally {
      await server.stop();
    }
  });

  test("accepts a WebSocket upgrade and relays text and binary frames both ways", async () => {
    const closed = Promise.withResolvers<number>();
    const server = runtime.serve({
      hostname: "127.0.0.1",
      port: 0,
      handler: (request, server) => {
        // Read before the upgrade: Deno closes the request once it has answered it.
        const marked = request.headers.get("x-ficta-test") === "1";
        return Promise.resolve(
          server.upgradeWebSocket(request, {
            open: (socket) => {
              if (marked) socket.send("hello");
            },
            message: (socket, data) =>
              socket.send(typeof data === "string" ? `echo ${data}` : data.toReversed()),
            close: (_socket, code) => closed.resolve(code),
          }) ?? new Response("no upgrade", { status: 400 }),
        );
      },
      error: () => new Response("error", { status: 500 }),
    });
    try {
      const client = runtime.connectWebSocket(`ws://127.0.0.1:${server.port}/`, {
        headers: { "x-ficta-test": "1" },
      });
      client.binaryType = "arraybuffer";
      const frames: Array<string | number[]> = [];
      const three = Promise.withResolvers<void>();
      client.onmessage = (event) => {
        frames.push(
          typeof event.data === "string" ? event.data : [...new Uint8Array(event.data)],
        );
        if (frames.length === 1) client.send("ping");
        if (frames.length === 2) client.send(new Uint8Array([1, 2, 3]));
        if (frames.length === 3) three.resolve();
      };
      await three.promise;
      expect(frames).toEqual(["hello", "echo ping", [3, 2, 1]]);
      client.close(1000, "done");
      expect(await closed.promise).toBe(1000);
    } finally {
      await server.stop();
    }
  });

  test("a plain request to upgradeWebSocket gets null", async () => {
    let answer: unknown = "unset";
    const server = runtime.serve({
      hostname: "127.0.0.1",
      port: 0,
      handler: (request, server) => {
        answer = server.upgradeWebSocket(request, { message: () => {} });
        return Promise.resolve(new Response("plain"));
      },
      error: () => new Response("error", { status: 500 }),
    });
    try {
      expect(await (await fetch(`http://127.0.0.1:${server.port}/`)).text()).toBe("plain");
      expect(answer).toBe(null);
    } finally {
      await server.stop();
    }
  });

  test("spawns with exactly the given environment and pipes stdout", async () => {
    const child = runtime.spawn(["/bin/sh", "-c", 'echo "${HOME-unset} $FOO"; exit 3'], {
      env: { PATH, FOO: "bar", NOT_SET: undefined },
      stdout: "pipe",
    });
    expect(child.pid).toBeGreaterThan(0);
    expect(text(await readAll(child.stdout!))).toBe("unset bar\n");
    expect(await child.exited).toBe(3);
    expect(child.signalCode).toBe(null);
  });

  test("runs in cwd, and a killed child reports its signal", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ficta-runtime-"));
    const pwd = runtime.spawn(["/bin/sh", "-c", "pwd -P"], {
      env: { PATH },
      cwd: dir,
      stdout: "pipe",
    });
    expect(text(await readAll(pwd.stdout!)).trim()).toBe(resolve(dir));
    await pwd.exited;
    const sleeper = runtime.spawn(["/bin/sh", "-c", "exec sleep 30"], { env: { PATH } });
    sleeper.kill("SIGTERM");
    await sleeper.exited;
    expect(sleeper.signalCode).toBe("SIGTERM");
    sleeper.kill(); // gone already: no throw
  });

  test("throws at once with the error's code when the program cannot start", () => {
    const code = (argv: string[]) => {
      try {
        runtime.spawn(argv, { env: { PATH } });
        return "started";
      } catch (error) {
        return (error as NodeJS.ErrnoException).code;
      }
    };
    expect(code(["/nonexistent/ficta-no-such-program"])).toBe("ENOENT");
    expect(code([tmpdir()])).toBe("EACCES");
  });

  test("finds executables on PATH, relative entries from cwd", () => {
    const dir = mkdtempSync(join(tmpdir(), "ficta-which-"));
    mkdirSync(join(dir, "bin"));
    writeFileSync(join(dir, "bin", "tool"), "#!/bin/sh\n", { mode: 0o755 });
    writeFileSync(join(dir, "bin", "plain"), "not executable", { mode: 0o644 });
    expect(runtime.which("sh", { PATH })).toMatch(/\/sh$/);
    expect(runtime.which("tool", { PATH: join(dir, "bin") })).toBe(join(dir, "bin", "tool"));
    expect(runtime.which("tool", { PATH: "bin", cwd: dir })).toBe(join(dir, "bin", "tool"));
    expect(runtime.which("plain", { PATH: join(dir, "bin") })).toBe(null);
    expect(runtime.which("ficta-no-such-tool", { PATH })).toBe(null);
  });

  test("globs match whole names", () => {
    expect(runtime.glob("AWS_*").match("AWS_SECRET_ACCESS_KEY")).toBe(true);
    expect(runtime.glob("AWS_*").match("MY_AWS_KEY")).toBe(false);
    expect(runtime.glob(".env*").match(".env.local")).toBe(true);
    expect(runtime.glob("*.{env,txt}").match("x.env")).toBe(true);
    expect(runtime.glob("!*_KEY").match("A_KEY")).toBe(false);
  });

  test("decodes every content coding as a stream", async () => {
    const body = new TextEncoder().encode('data: {"delta":"hello"}\n\n'.repeat(500));
    const encoded: Record<Coding, Uint8Array> = {
      gzip: zlib.gzipSync(body),
      deflate: zlib.deflateSync(body),
      "deflate-raw": zlib.deflateRawSync(body),
      br: zlib.brotliCompressSync(body),
      zstd: zlib.zstdCompressSync(body),
    };
    for (const [coding, bytes] of Object.entries(encoded) as Array<[Coding, Uint8Array]>) {
      const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
        .pipeThrough(runtime.decompression(coding));
      expect({ coding, same: text(await readAll(stream)) === text(body) })
        .toEqual({ coding, same: true });
    }
  });

  test("fetchUpstream never hands on decoded bytes under a coding header, nor follows redirects", async () => {
    const body = "data: hello\n\n".repeat(100);
    const upstream = runtime.serve({
      hostname: "127.0.0.1",
      port: 0,
      handler: (request) => {
        const path = new URL(request.url).pathname;
        if (path === "/redirect") {
          return Promise.resolve(
            new Response(null, { status: 307, headers: { location: "http://127.0.0.1:9/" } }),
          );
        }
        const coding = path.slice(1);
        const bytes = coding === "gzip" ? zlib.gzipSync(body) : zlib.brotliCompressSync(body);
        return Promise.resolve(
          new Response(bytes, {
            headers: { "content-encoding": coding, "content-type": "text/event-stream" },
          }),
        );
      },
      error: () => new Response("error", { status: 500 }),
    });
    try {
      for (const coding of ["gzip", "br"]) {
        const answer = await runtime.fetchUpstream(`http://127.0.0.1:${upstream.port}/${coding}`, {
          headers: { "accept-encoding": "gzip, br" },
        });
        const bytes = new Uint8Array(await answer.arrayBuffer());
        const header = answer.headers.get("content-encoding");
        const decoded = header === null
          ? text(bytes)
          : text(coding === "gzip" ? zlib.gunzipSync(bytes) : zlib.brotliDecompressSync(bytes));
        expect({ coding, decoded }).toEqual({ coding, decoded: body });
      }
      const redirect = await runtime.fetchUpstream(
        `http://127.0.0.1:${upstream.port}/redirect`,
        {},
      );
      expect(redirect.status).toBe(307);
      expect(redirect.headers.get("location")).toBe("http://127.0.0.1:9/");
    } finally {
      await upstream.stop();
    }
  });

  test("knows its entry point and how to run a checkout from source", () => {
    expect(typeof runtime.mainPath()).toBe("string");
    const command = runtime.sourceCommand("/checkout");
    expect(command[0]).toBe(process.execPath);
    expect(command.at(-1)).toBe(join("/checkout", "src", "main.ts"));
    runtime.collectGarbage();
  });
});
