/**
 * The proxy's front door under attack from another local process, while a real Codex (0.169,
 * ChatGPT login) runs its turn through the same launch: raw bytes over a socket, no launch token.
 * In each case the proxy keeps serving its own Codex, prints nothing but `ficta` lines (control
 * bytes escaped) and forwards or logs no value.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { zstdCompressSync } from "node:zlib";
import {
  baseEnv,
  fictaCommand,
  filesUnder,
  finalMessage,
  leaks,
  needles,
  OFFLINE_FLAGS,
  removeTempDirs,
  run,
  tempDirs,
  writeLogin,
  writeProjectSecrets,
} from "./harness.ts";
import { sseTurn, startMockUpstream } from "./mock-upstream.ts";
import { shQuote } from "../../src/install/shim.ts";

afterAll(removeTempDirs);

interface RawAnswer {
  /** Status from the first line, 0 when the connection closed without one. */
  status: number;
  text: string;
  /** When the connection closed, in ms after it opened. */
  closedAfterMs: number;
}

/** Opens a socket to the proxy, writes `bytes` (then `drip` slowly, if given) and reads to the end. */
function raw(
  port: number,
  bytes: Uint8Array | string,
  drip?: { every: number; times: number },
): Promise<RawAnswer> {
  const opened = performance.now();
  const chunks: Uint8Array[] = [];
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setInterval> | undefined;
    const done = () => {
      clearInterval(timer);
      const text = new TextDecoder("latin1").decode(Bun.concatArrayBuffers(chunks));
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, text, closedAfterMs: performance.now() - opened });
    };
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          socket.write(bytes);
          if (drip) {
            let n = 0;
            timer = setInterval(() => {
              if (++n > drip.times) return clearInterval(timer);
              socket.write("x");
            }, drip.every);
          }
        },
        data(_socket, data) {
          chunks.push(new Uint8Array(data));
        },
        close: done,
        error: done,
      },
    }).catch(done);
  });
}

/** VmRSS and VmHWM of a process, in MiB. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]);
  return { rss: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
}

/**
 * Codex's own stderr lines (its banner, warnings) aside, only `ficta` lines: no stack trace, no
 * Bun error dump, nothing that moves a terminal's cursor or changes its colours.
 */
function expectOnlyOwnLines(stderr: string): void {
  for (const line of stderr.split("\n").filter(Boolean)) {
    // deno-lint-ignore no-control-regex -- looking for control characters is the point
    expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    if (line.startsWith("ficta")) continue;
    expect(line).not.toMatch(/^\s+at |^\w*Error\b|^error:|Bun v\d|^\s*\d+ \||\bdropped\b/);
  }
}

const ROUTE_LINE = /model requests -> http:\/\/127\.0\.0\.1:(\d+) ->/;

/**
 * Runs `ficta codex exec` with the real Codex; its first model turn waits until `attack(port, …)`
 * has finished, so every attack lands while Codex's own request is in flight.
 */
async function underAttack(
  label: string,
  attack: (ctx: { port: number; pid: number; bearer: string; secrets: string[] }) => Promise<void>,
  extraEnv: Record<string, string> = {},
  /** Run the launch on a terminal (util-linux `script`): its stdout then carries the pty's bytes. */
  tty = false,
  /** ficta's exit code: Codex's (0), or 65 when a request tied to this launch was blocked. */
  exitCode = 0,
) {
  const dirs = tempDirs(label);
  const secrets = writeProjectSecrets(dirs.project);
  const { bearer } = writeLogin(dirs.codexHome, "chatgpt");
  let port = 0;
  const portKnown = Promise.withResolvers<void>();
  const attacked = Promise.withResolvers<void>();
  let attackError: unknown;
  const upstream = startMockUpstream(async () => {
    await attacked.promise;
    return [{ type: "message", text: "front door held" }];
  });
  const launch = [...fictaCommand(), "codex", "exec", "--json", ...OFFLINE_FLAGS, "say hi"];
  const command = tty ? ["script", "-qefc", launch.map(shQuote).join(" "), "/dev/null"] : launch;
  const child = Bun.spawn(command, {
    cwd: dirs.project,
    env: {
      ...baseEnv(dirs),
      FICTA_CHATGPT_UPSTREAM: upstream.origin,
      FICTA_OPENAI_UPSTREAM: upstream.origin,
      E2E_SERVICE_PASSWORD: secrets.find((s) => s.name === "E2E_SERVICE_PASSWORD")!.value,
      ...extraEnv,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: 90_000,
  });
  const stdoutText = tty ? Promise.resolve("") : new Response(child.stdout).text();
  const stderr = (async () => {
    let text = "";
    const decoder = new TextDecoder();
    for await (const chunk of tty ? child.stdout : child.stderr) {
      text += decoder.decode(chunk, { stream: true });
      const found = ROUTE_LINE.exec(text);
      if (found && !port) {
        port = Number(found[1]);
        portKnown.resolve();
      }
    }
    return text;
  })();
  await portKnown.promise;
  try {
    await attack({ port, pid: child.pid, bearer, secrets: secrets.map((s) => s.value) });
  } catch (error) {
    attackError = error;
  } finally {
    attacked.resolve();
  }
  const [piped, terminal, code] = await Promise.all([stdoutText, stderr, child.exited]);
  // On a terminal everything (Codex's JSON lines, ficta's lines) arrives on one stream.
  const stdout = tty ? terminal : piped;
  const err = tty ? terminal.split(/\r?\n/).filter((l) => !l.startsWith("{")).join("\n") : terminal;
  await upstream.stop();
  if (attackError) throw attackError;

  // Codex was served as if nothing had happened.
  expect(code, err).toBe(exitCode);
  expect(finalMessage(stdout)).toBe("front door held");
  expectOnlyOwnLines(err);
  // No value left the machine or reached a log or the terminal.
  const found = needles(secrets);
  const sent = upstream.received.map((r) => r.url + JSON.stringify(r.headers) + r.body).join("\n");
  expect(leaks(sent, found)).toEqual([]);
  expect(leaks(err, found)).toEqual([]);
  for (const file of filesUnder(dirs.fictaHome)) expect(leaks(file.text, found)).toEqual([]);
  return { stderr: err, upstream, dirs };
}

function post(path: string, headers: Record<string, string>, body: Uint8Array | string) {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const head = `POST ${path} HTTP/1.1\r\n` +
    Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") +
    `content-length: ${bytes.length}\r\nconnection: close\r\n\r\n`;
  return new Uint8Array(Bun.concatArrayBuffers([new TextEncoder().encode(head), bytes]));
}

describe("the front door, attacked during a real launch", () => {
  test(
    "HTTP/1.0 without Host, control bytes in the target: 421, no error page, escaped log",
    async () => {
      const answers: RawAnswer[] = [];
      const { stderr } = await underAttack("no-host", async ({ port }) => {
        const c1 = new TextEncoder().encode("GET /v1/\u0085\u009b2J HTTP/1.0\r\n\r\n"); // C2 85, C2 9B
        answers.push(await raw(port, c1));
        answers.push(await raw(port, "GET /v1/responses HTTP/1.0\r\n\r\n"));
        // Raw C0 controls in the target: Bun's parser refuses them before ficta sees anything.
        answers.push(await raw(port, "GET /v1/\u001b[2J\u0007 HTTP/1.0\r\n\r\n"));
      });
      expect(answers.map((a) => a.status)).toEqual([421, 421, 505]);
      for (const answer of answers) {
        expect(answer.text).not.toMatch(/bun|at |\/work|\/tmp|node_modules|<html/i);
      }
      expect(stderr.match(/refused \(host\)/g)?.length).toBe(2);
    },
    90_000,
  );

  test("a zstd bomb is refused at the cap; RSS stays bounded and Codex is served", async () => {
    const bomb = zstdCompressSync(new Uint8Array(1024 * 1024 * 1024)); // 1 GiB of zeros, ~32 KB
    const answers: RawAnswer[] = [];
    const peaks: number[] = [];
    await underAttack("bomb", async ({ port, pid, bearer }) => {
      peaks.push(memory(pid).peak);
      // Untrusted (no credential at all: a 4 MiB cap), then bound to this launch by Codex's own
      // bearer (proxy.max_body_mb, 64 here).
      for (
        const headers of [{}, { authorization: `Bearer ${bearer}` }] as Record<string, string>[]
      ) {
        const path = "/backend-api/codex/analytics-events/events";
        const host = `127.0.0.1:${port}`;
        answers.push(
          await raw(port, post(path, { host, "content-encoding": "zstd", ...headers }, bomb)),
        );
        peaks.push(memory(pid).peak);
      }
    }, { FICTA_PROXY_MAX_BODY_MB: "64" });
    console.log(`bomb: peak RSS ${peaks.map((p) => p.toFixed(1)).join(" -> ")} MiB`);
    expect(answers.map((a) => a.status)).toEqual([413, 413]);
    // Decoding may hold one more chunk than the cap; the allocator keeps some slack.
    const slack = 24;
    expect(peaks[1] - peaks[0]).toBeLessThan(4 + slack);
    expect(peaks[2] - peaks[0]).toBeLessThan(64 + slack);
  }, 90_000);

  test("200 concurrent connections without the token; a slow body is dropped", async () => {
    let answers: RawAnswer[] = [];
    let slow: RawAnswer[] = [];
    await underAttack("flood", async ({ port, bearer }) => {
      const host = `127.0.0.1:${port}`;
      const head = (path: string, extra = "") =>
        `POST ${path} HTTP/1.1\r\nhost: ${host}\r\n${extra}content-length: 100000\r\n\r\n{`;
      answers = await Promise.all(
        Array.from(
          { length: 200 },
          (_, i) => raw(port, head(i % 2 ? "/backend-api/ps/mcp" : "/v1/responses")),
        ),
      );
      // Bound to this launch by Codex's own bearer, so neither is refused as one too many: a
      // stalled body meets the idle timeout, a dripping one the body deadline.
      const bound = `authorization: Bearer ${bearer}\r\n`;
      slow = await Promise.all([
        raw(port, head("/backend-api/ps/mcp", bound)),
        raw(port, head("/backend-api/ps/mcp", bound), { every: 1000, times: 60 }),
      ]);
    });
    const statuses = answers.map((a) => a.status);
    // Without the token `/v1/*` is refused before its body; `/backend-api/*` without any
    // credential is served a few at a time, the rest refused at once.
    expect(statuses.filter((s, i) => i % 2 === 0 && s === 403).length).toBe(100);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(90);
    // Bun drops both at its idle timeout (~12 s measured); the body deadline (20 s) backs it up.
    for (const answer of slow) expect(answer.closedAfterMs).toBeLessThan(25_000);
  }, 120_000);

  test(
    "a value in a header name or behind %2D in the path: refused, not forwarded, not logged",
    async () => {
      const answers: RawAnswer[] = [];
      const { dirs } = await underAttack(
        "spellings",
        async ({ port, bearer, secrets }) => {
          const host = `127.0.0.1:${port}`;
          const plain = secrets[0]; // `plain-<hex>`: a valid header name, and has a `-` to escape
          const escaped = plain.replaceAll("-", "%2D");
          for (
            const auth of [{}, { authorization: `Bearer ${bearer}` }] as Record<string, string>[]
          ) {
            answers.push(
              await raw(port, post(`/backend-api/x/${escaped}`, { host, ...auth }, "{}")),
            );
            answers.push(
              await raw(port, post("/backend-api/x", { host, [plain]: "1", ...auth }, "{}")),
            );
          }
          // The two with Codex's own bearer count as blocked: ficta exits 65 although Codex ran.
        },
        {},
        false,
        65,
      );
      expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400]);
      for (const answer of answers) expect(answer.text).toContain("ficta blocked this request");
      const log = filesUnder(dirs.fictaHome).find((f) => f.path.endsWith("requests.jsonl"))!;
      expect(log.text).toContain("(withheld: holds a protected value)");
    },
    90_000,
  );
});

describe.skipIf(!Bun.which("script"))("on a terminal", () => {
  test("every attack at once prints nothing: no request line, no error", async () => {
    const bomb = zstdCompressSync(new Uint8Array(256 * 1024 * 1024));
    const { stderr } = await underAttack(
      "tty",
      async ({ port, secrets }) => {
        const host = `127.0.0.1:${port}`;
        await Promise.all([
          raw(port, new TextEncoder().encode("GET /v1/\u0085\u009b2J HTTP/1.0\r\n\r\n")),
          raw(port, post("/backend-api/x", { host, "content-encoding": "zstd" }, bomb)),
          raw(port, post(`/backend-api/x/${secrets[0].replaceAll("-", "%2D")}`, { host }, "{}")),
          raw(port, post("/backend-api/x", { host, [secrets[0]]: "1" }, "{}")),
          ...Array.from({ length: 50 }, () => raw(port, post("/v1/responses", { host }, "{}"))),
        ]);
      },
      {},
      true,
    );
    // Only the launch lines before Codex started and the summary after it ended.
    const lines = stderr.split(/\r?\n/).filter((line) => line.startsWith("ficta"));
    expect(lines.filter((line) => line.startsWith("ficta: ->"))).toEqual([]);
    expect(lines.at(-1)).toMatch(/^ficta: \d+ values? protected; \d+ requests; \d+ refused/);
  }, 90_000);
});

describe("an upstream that closes mid-stream", () => {
  test("one log line and one ficta line; Codex retries and is served", async () => {
    const dirs = tempDirs("drop");
    const secrets = writeProjectSecrets(dirs.project);
    writeLogin(dirs.codexHome, "chatgpt");
    let turns = 0;
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        await req.arrayBuffer();
        if (!new URL(req.url).pathname.endsWith("/responses")) return Response.json({});
        const events = sseTurn([{ type: "message", text: "served after a drop" }]);
        const first = turns++ === 0;
        const encoder = new TextEncoder();
        return new Response(
          new ReadableStream({
            async pull(controller) {
              const next = events.shift();
              if (first && events.length < 3) return controller.error(new Error("dropped"));
              if (next === undefined) return controller.close();
              controller.enqueue(encoder.encode(next));
              await Bun.sleep(0);
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        );
      },
    });
    const origin = `http://127.0.0.1:${server.port}`;
    const result = await run(
      [...fictaCommand(), "codex", "exec", "--json", ...OFFLINE_FLAGS, "say hi"],
      {
        cwd: dirs.project,
        env: { ...baseEnv(dirs), FICTA_CHATGPT_UPSTREAM: origin, FICTA_OPENAI_UPSTREAM: origin },
        timeoutMs: 60_000,
      },
    );
    await server.stop(true);
    expect(result.code, result.stderr).toBe(0);
    expect(finalMessage(result.stdout)).toBe("served after a drop");
    expectOnlyOwnLines(result.stderr);
    const lines = result.stderr.split("\n").filter((line) => line.startsWith("ficta"));
    expect(lines.filter((line) => line.includes("failed")).length).toBe(1);
    const log = filesUnder(dirs.fictaHome).find((f) => f.path.endsWith("requests.jsonl"))!;
    const entries = log.text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
    expect(entries.filter((e) => e.outcome === "failed").length).toBe(1);
    expect(leaks(result.stderr + log.text, needles(secrets))).toEqual([]);
  }, 90_000);
});
