/**
 * A machine with a system proxy (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY in both spellings): the
 * real Codex through ficta must talk to ficta's loopback proxy directly. Before ficta put
 * loopback into NO_PROXY, Codex sent every model request for http://127.0.0.1 through the system
 * proxy in clear text (body, bearer, launch token), which without ficta would only have seen
 * CONNECT and TLS. The user's own NO_PROXY entries must survive.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  baseEnv,
  type Dirs,
  fictaCommand,
  filesUnder,
  type LoginKind,
  OFFLINE_FLAGS,
  REAL_CODEX,
  removeTempDirs,
  run,
  type RunResult,
  tempDirs,
  writeLogin,
} from "./harness.ts";
import { type MockUpstream, startMockUpstream, toolOutputs } from "./mock-upstream.ts";
import { type ProxyRecorder, startProxyRecorder } from "./system-proxy.ts";

/** The Codex CLIs this file runs (E2E_CODEX=path,path to try others). */
const CODEXES = process.env.E2E_CODEX?.split(",") ?? [REAL_CODEX];
const LOGINS: LoginKind[] = ["chatgpt", "apikey", "none"];
const USER_NO_PROXY = "corp.internal.test,.intranet.test";

interface Outcome {
  dirs: Dirs;
  result: RunResult;
  upstream: MockUpstream;
  recorder: ProxyRecorder;
  secret: string;
  bearer: string;
  toolOutput: string;
}

async function session(codex: string, login: LoginKind): Promise<Outcome> {
  const dirs = tempDirs(`system-proxy-${login}`);
  const secret = `proxy-secret-${crypto.randomUUID()}`;
  let toolOutput = "";
  const upstream = startMockUpstream((body) => {
    const outputs = toolOutputs(body);
    if (outputs.length === 0) {
      return [{
        type: "function_call",
        name: "exec_command",
        arguments: JSON.stringify({
          cmd: 'echo "NO_PROXY=$NO_PROXY"; echo "no_proxy=$no_proxy"; echo "S=$E2E_PROXY_SECRET"',
        }),
      }];
    }
    toolOutput = outputs[0];
    return [{ type: "message", text: "done" }];
  });
  const recorder = startProxyRecorder();
  const env: Record<string, string> = {
    ...baseEnv(dirs),
    FICTA_REAL_CODEX: codex,
    FICTA_CHATGPT_UPSTREAM: upstream.origin,
    FICTA_OPENAI_UPSTREAM: upstream.origin,
    E2E_PROXY_SECRET: secret,
    ...recorder.env,
    NO_PROXY: USER_NO_PROXY,
  };
  const { bearer } = writeLogin(dirs.codexHome, login);
  const result = await run(
    [
      ...fictaCommand(),
      "codex",
      "exec",
      "--json",
      ...OFFLINE_FLAGS,
      `Print the proxy settings. The password is ${secret}.`,
    ],
    { cwd: dirs.project, env },
  );
  return { dirs, result, upstream, recorder, secret, bearer, toolOutput };
}

const outcomes = new Map<string, Outcome>();

beforeAll(async () => {
  const runs = CODEXES.flatMap((codex) =>
    LOGINS.map(async (login) => {
      outcomes.set(`${codex}/${login}`, await session(codex, login));
    })
  );
  await Promise.all(runs);
}, 90_000);

afterAll(async () => {
  for (const o of outcomes.values()) {
    o.recorder.stop();
    await o.upstream.stop();
  }
  removeTempDirs();
});

for (const codex of CODEXES) {
  for (const login of LOGINS) {
    describe(`system proxy set, ${login} login, ${codex}`, () => {
      const get = () => outcomes.get(`${codex}/${login}`)!;

      test("the model turns reach the upstream through ficta", () => {
        const o = get();
        expect(o.result.code, o.result.stderr).toBe(0);
        const turns = o.upstream.received.filter((r) => r.url.endsWith("/responses"));
        expect(turns.length).toBe(2);
        if (o.bearer) {
          for (const t of turns) expect(t.headers.authorization).toBe(`Bearer ${o.bearer}`);
        }
        // Redacted on the way, so ficta handled them.
        for (const t of turns) expect(t.body).not.toContain(o.secret);
        expect(t0(o).body).toContain("Print the proxy settings.");
      });

      test("the system proxy sees nothing of the session", () => {
        const o = get();
        // Not one connection: no model turn, no housekeeping call, no CONNECT of Codex's own.
        expect(o.recorder.connections).toEqual([]);
      });

      test("nothing Codex keeps after the launch holds the proxy's address", () => {
        const o = get();
        const upstreamPort = new URL(o.upstream.origin).port;
        const addresses = [
          ...new Set(
            o.result.stderr.split("\n").filter((l) => l.startsWith("ficta"))
              .flatMap((l) => [...l.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => m[1]))
              .filter((port) => port !== upstreamPort),
          ),
        ].map((port) => `127.0.0.1:${port}`);
        expect(addresses.length).toBe(1);
        const files = filesUnder(o.dirs.codexHome);
        expect(files.length).toBeGreaterThan(0);
        for (const file of files) expect(file.text, file.path).not.toContain(addresses[0]);
      });

      test("Codex and its commands keep the user's NO_PROXY entries, plus loopback", () => {
        const o = get();
        for (const name of ["NO_PROXY", "no_proxy"]) {
          const line = new RegExp(`^${name}=(.*)$`, "m").exec(o.toolOutput)?.[1];
          expect(line, o.toolOutput).toBeDefined();
          const entries = line!.split(",");
          for (const entry of [...USER_NO_PROXY.split(","), "127.0.0.1", "::1", "localhost"]) {
            expect(entries).toContain(entry);
          }
        }
      });
    });
  }
}

function t0(o: Outcome) {
  return o.upstream.received.find((r) => r.url.endsWith("/responses"))!;
}
