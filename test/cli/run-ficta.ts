/** Runs ficta as a user would (from source unless a command is given), in a temporary home. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const MAIN = join(import.meta.dir, "..", "..", "src", "main.ts");
/** What a source-run shim executes. */
export const SOURCE_COMMAND = [process.execPath, "--no-env-file", MAIN];

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runFicta(
  args: string[],
  env: Record<string, string | undefined>,
  options: { cwd?: string; stdin?: string; command?: string[] } = {},
): Promise<Ran> {
  const child = Bun.spawn([...(options.command ?? SOURCE_COMMAND), ...args], {
    env: env as Record<string, string>,
    cwd: options.cwd ?? env.HOME,
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr };
}

/**
 * A home with nothing in it, a bash login shell, and a PATH that still finds the basics and,
 * last, a stand-in Codex (`ficta install` refuses to put a shim in front of no Codex at all).
 */
export function tempHome(extra: Record<string, string> = {}) {
  const home = mkdtempSync(join(tmpdir(), "ficta-cli-"));
  const codexDir = join(home, "codex-bin");
  mkdirSync(codexDir);
  standInCodex(codexDir);
  const env: Record<string, string> = {
    HOME: home,
    SHELL: "/bin/bash",
    PATH: `/usr/local/bin:/usr/bin:/bin:${codexDir}`,
    ...extra,
  };
  return { home, env };
}

/** A stand-in for the real Codex: prints its arguments and whether ficta routed it. */
export function standInCodex(dir: string): string {
  const path = join(dir, "codex");
  writeFileSync(
    path,
    '#!/bin/sh\necho "stand-in codex: $*"\n',
    { mode: 0o755 },
  );
  return path;
}

export function everyStderrLineIsFicta(stderr: string): boolean {
  return stderr.split("\n").filter(Boolean).every((line) => line.startsWith("ficta"));
}

/** A fake ChatGPT login (a JWT whose `exp` is in the future; Codex checks no signature). */
export function fakeChatgptLogin(codexHome: string): void {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const jwt = `${b64({ alg: "none" })}.${b64({ exp: Math.floor(Date.now() / 1000) + 3600 })}.sig`;
  mkdirSync(codexHome, { recursive: true });
  writeFileSync(
    join(codexHome, "auth.json"),
    JSON.stringify({
      auth_mode: "chatgpt",
      OPENAI_API_KEY: null,
      tokens: { id_token: jwt, access_token: jwt, refresh_token: "fake", account_id: "acct" },
      last_refresh: new Date().toISOString(),
    }),
  );
}

let modelUpstream: string | undefined;

/** A loopback stand-in for the model upstream, so doctor finds it reachable without a network. */
function loopbackUpstream(): string {
  if (modelUpstream) return modelUpstream;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => new Response(null, { status: 204 }),
  });
  server.unref();
  return modelUpstream = `http://127.0.0.1:${server.port}`;
}

/**
 * A machine where everything is in order: a stand-in Codex answering `--version` like 0.169, a
 * ChatGPT login, a reachable model upstream (loopback), and PATH with `shimDir` (when given)
 * before the real Codex.
 */
export function healthyMachine(extra: Record<string, string> = {}) {
  const upstream = loopbackUpstream();
  const { home, env } = tempHome({
    FICTA_CHATGPT_UPSTREAM: upstream,
    FICTA_OPENAI_UPSTREAM: upstream,
    ...extra,
  });
  const realDir = join(home, "real");
  mkdirSync(realDir);
  writeFileSync(
    join(realDir, "codex"),
    '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "codex-cli 0.169.0"; exit 0; fi\n' +
      'echo "stand-in codex: $*"\n',
    { mode: 0o755 },
  );
  fakeChatgptLogin(join(home, ".codex"));
  const shimDir = join(home, ".ficta", "bin");
  return {
    home,
    realDir,
    shimDir,
    env: { ...env, PATH: `${shimDir}:${realDir}:${env.PATH}` },
  };
}
