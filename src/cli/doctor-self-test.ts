/**
 * doctor's live self-test: the real proxy, compiled with synthetic values generated now and a
 * throw-away surrogate key, in front of a loopback upstream that records what reaches it and
 * answers like the model. It proves, end to end and in this binary, that values are redacted,
 * that the gate refuses what redaction missed with a 400, and that surrogates come back as the
 * real values even split across SSE deltas and escaped inside tool-call arguments.
 *
 * The engine comes from a factory so a test can hand in a broken one; doctor passes the
 * production `compileEngine`. The turn itself (request, streamed answer, what the client reads)
 * is the agent's, in its own wire API (`Agent.selfTest`).
 */
import { engineOptions } from "../config/engine-options.ts";
import type { Settings } from "../config/schema.ts";
import {
  type Engine,
  type EngineOptions,
  importSurrogateKey,
  type Secret,
  surrogateFor,
} from "../core/mod.ts";
import type { Agent } from "../agents/agent.ts";
import {
  PROXY_TOKEN_HEADER,
  type RequestRecorder,
  type RunningProxy,
  serve,
} from "../proxy/mod.ts";
import type { RequestEntry } from "../report/index.ts";
import { runtime } from "../runtime/mod.ts";

export type EngineFactory = (
  secrets: Secret[],
  key: CryptoKey,
  options: EngineOptions,
) => Promise<Engine>;

export interface Proof {
  name: "redaction" | "gate" | "restore-text" | "restore-tool-arguments";
  ok: boolean;
  detail: string;
}

export interface SelfTestResult {
  ok: boolean;
  proofs: Proof[];
  elapsedMs: number;
}

const PLAIN = "FICTA_SELFTEST_PLAIN";
const QUOTED = "FICTA_SELFTEST_QUOTED";
const TIMEOUT_MS = 1500;

/** The ways a value can sit in a request: raw, in a JSON string, in JSON in a JSON string. */
function wireForms(value: string): string[] {
  const once = JSON.stringify(value).slice(1, -1);
  return [value, once, JSON.stringify(once).slice(1, -1)];
}

/** Requests the proxy logged, kept in memory: the self-test writes nothing under ~/.ficta. */
function memorySession(): RequestRecorder & { entries: RequestEntry[] } {
  const entries: RequestEntry[] = [];
  return { entries, bodiesLog: null, record: (entry) => void entries.push(entry), recordBody() {} };
}

/** Redaction switched off, everything else delegated: what the gate exists to catch. */
export function withoutRedaction(engine: Engine): Engine {
  return {
    redactBytes: (input) => Promise.resolve({ output: input, counts: {} }),
    redactText: (input) => Promise.resolve({ output: input, counts: {} }),
    gateBytes: (input) => engine.gateBytes(input),
    gateText: (input) => engine.gateText(input),
    restorer: (response) => engine.restorer(response),
  };
}

/** Streams `text` in 7-byte chunks, so SSE lines and surrogates also straddle reads. */
function trickle(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + 7));
      at += 7;
    },
  });
}

function firstLine(text: string): string {
  return text.split("\n")[0].slice(0, 200);
}

/** `settings` with each of `paths` (dotted, e.g. `upstream.openai`) set to `value`. */
function withSettings(settings: Settings, paths: readonly string[], value: string): Settings {
  const copy = structuredClone(settings) as unknown as Record<string, Record<string, unknown>>;
  for (const path of paths) {
    const [section, key] = path.split(".");
    copy[section] = { ...copy[section], [key]: value };
  }
  return copy as unknown as Settings;
}

export interface SelfTestOptions {
  /** The agent whose proxy, dialect and model turn are tested. */
  agent: Agent;
  settings: Settings;
  /** The production `compileEngine`, or a broken one in tests. */
  compile: EngineFactory;
}

/**
 * Plays the agent's self-test turn through its real proxy; undefined when the agent has none.
 *
 * ```ts
 * const result = await selfTest({ agent, settings, compile: compileEngine });
 * if (result && !result.ok) for (const p of result.proofs) console.log(p.name, p.detail);
 * ```
 */
export async function selfTest(
  { agent, settings, compile }: SelfTestOptions,
): Promise<SelfTestResult | undefined> {
  const turn = agent.selfTest;
  if (turn === undefined) return undefined;
  const started = performance.now();
  const id = () => crypto.randomUUID().replaceAll("-", "");
  const secrets: Secret[] = [
    { name: PLAIN, source: "doctor", value: `selftest-${id()}` },
    // A quote and a backslash: escaped once in a JSON string, twice in tool arguments.
    { name: QUOTED, source: "doctor", value: `st"${id().slice(0, 12)}\\${id().slice(0, 12)}` },
  ];
  const [plain, quoted] = secrets.map((s) => s.value);
  const key = await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32)));
  const [plainSurrogate, quotedSurrogate] = await Promise.all(
    secrets.map((s) => surrogateFor(key, s.value)),
  );
  const answer = turn.answer({ plain: plainSurrogate, quoted: quotedSurrogate });

  const received: string[] = [];
  const upstream = runtime.serve({
    hostname: "127.0.0.1",
    port: 0,
    async handler(req) {
      received.push(await req.text());
      return new Response(trickle(answer.sse), {
        headers: { "content-type": "text/event-stream" },
      });
    },
    error: () => new Response(null, { status: 500 }),
  });
  const origin = `http://127.0.0.1:${upstream.port}`;
  const proxySettings: Settings = {
    ...withSettings(settings, agent.proxy.upstreamSettings, origin),
    log: { ...settings.log, bodies: false },
  };
  const token = id();
  const proxies: RunningProxy[] = [];
  const proofs: Proof[] = [];
  try {
    // Restore into tool calls is proven whatever the user chose.
    const engine = await compile(
      secrets,
      key,
      engineOptions(settings, { dialect: agent.dialect, restoreIntoTools: "all" }),
    );
    const session = memorySession();
    const start = (e: Engine) => {
      const proxy = serve({
        agent: agent.proxy,
        engine: e,
        dialect: agent.dialect,
        settings: proxySettings,
        token,
        session,
      });
      proxies.push(proxy);
      return proxy;
    };
    // The values as `cat .env` output and inside an echoed tool call.
    const body = turn.request({
      plain: { name: PLAIN, value: plain },
      quoted: { name: QUOTED, value: quoted },
    });
    const send = (proxy: RunningProxy) =>
      fetch(`${proxy.origin}${turn.path}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream",
          [PROXY_TOKEN_HEADER]: token,
        },
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });

    const exchange = async (proxy: RunningProxy) => {
      const response = await send(proxy);
      return { response, text: await response.text() };
    };
    // One after the other, so what reached the upstream is known for each.
    const redacted = await exchange(start(engine));
    const forwarded = received.length;
    const ungated = await exchange(start(withoutRedaction(engine)));
    const gateLeaked = received.length > forwarded;

    const sentUp = received.slice(0, forwarded).join("\n");
    const leaked = secrets.filter((s) => wireForms(s.value).some((f) => sentUp.includes(f)));
    const logged = JSON.stringify(session.entries);
    const inLog = secrets.filter((s) => wireForms(s.value).some((f) => logged.includes(f)));
    const swapped = sentUp.includes(plainSurrogate) && sentUp.includes(quotedSurrogate);
    proofs.push({
      name: "redaction",
      ok: redacted.response.status === 200 && forwarded === 1 && leaked.length === 0 &&
        swapped && inLog.length === 0,
      detail: redacted.response.status !== 200
        ? `the proxy answered ${redacted.response.status}: ${firstLine(redacted.text)}`
        : forwarded !== 1
        ? `the upstream received ${forwarded} request(s), expected 1`
        : leaked.length
        ? `LEAK: ${leaked.map((s) => s.name).join(", ")} reached the upstream`
        : !swapped
        ? "the upstream did not receive the expected surrogates"
        : inLog.length
        ? `the request log holds ${inLog.map((s) => s.name).join(", ")}`
        : "both values reached the upstream only as surrogates; the request log holds none",
    });

    const refusal = ungated.text;
    const gateOk = ungated.response.status === 400 &&
      (ungated.response.headers.get("content-type") ?? "").startsWith("text/plain") &&
      refusal.startsWith("ficta blocked this request") && refusal.includes(PLAIN) &&
      refusal.includes(QUOTED) && !secrets.some((s) => refusal.includes(s.value));
    proofs.push({
      name: "gate",
      ok: gateOk && !gateLeaked,
      detail: gateLeaked
        ? "LEAK: with redaction off the request reached the upstream"
        : gateOk
        ? "with redaction off, the request was refused with 400 text/plain naming both values"
        : `with redaction off, the proxy answered ${ungated.response.status} instead of the 400 refusal`,
    });

    const got = turn.read(redacted.text);
    const expectedText = answer.text.replace(plainSurrogate, plain).replace(
      quotedSurrogate,
      quoted,
    );
    const textOk = got.text === expectedText;
    proofs.push({
      name: "restore-text",
      ok: textOk,
      detail: textOk
        ? "surrogates cut across SSE deltas came back as the real values"
        : "the streamed text did not come back with the real values",
    });

    const wanted = answer.command.replace(quotedSurrogate, quoted);
    const argsOk = got.commands.every((command) => command === wanted);
    proofs.push({
      name: "restore-tool-arguments",
      ok: argsOk,
      detail: argsOk
        ? "a value with a quote and a backslash came back correctly escaped in tool-call arguments"
        : "the tool call's arguments did not come back as the real command",
    });
  } catch (error) {
    const done = new Set(proofs.map((p) => p.name));
    for (const name of ["redaction", "gate", "restore-text", "restore-tool-arguments"] as const) {
      if (done.has(name)) continue;
      proofs.push({
        name,
        ok: false,
        detail: `not run: ${(error as Error).name}: ${(error as Error).message}`,
      });
    }
  } finally {
    await Promise.all(proxies.map((p) => p.stop()));
    upstream.stop();
  }
  return {
    ok: proofs.every((p) => p.ok),
    proofs,
    elapsedMs: Math.round(performance.now() - started),
  };
}
