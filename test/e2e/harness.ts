/**
 * Fixtures for end-to-end runs with the real Codex CLI: throw-away homes, a project with fake
 * secrets generated per run, fake logins for each auth mode, running ficta (source or compiled
 * binary) and checking that no form of a secret appears in some text.
 */
import { afterAll, beforeAll, describe } from "bun:test";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "..", "..");

/** One Codex CLI the end-to-end suite runs against (both pinned in package.json). */
export interface CodexUnderTest {
  /** "pinned": the version ficta was built against; "newest": what `npm i -g` gives today. */
  label: "pinned" | "newest";
  version: string;
  /** Its launcher script (runs under Node or Bun). */
  path: string;
}

function installedCodex(label: CodexUnderTest["label"], pkg: string): CodexUnderTest {
  const dir = join(ROOT, "node_modules", pkg);
  const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  return { label, version, path: join(dir, "bin", "codex.js") };
}

/**
 * The version matrix: `@openai/codex` (pinned) and the `codex-newest` alias, both exact in
 * package.json (`bun scripts/bump-codex.ts` moves "newest"). FICTA_TEST_CODEX=pinned or =newest
 * narrows a run to one of them.
 */
export const CODEX_MATRIX: CodexUnderTest[] = [
  installedCodex("pinned", join("@openai", "codex")),
  installedCodex("newest", "codex-newest"),
].filter((codex) => [undefined, "", "all", codex.label].includes(process.env.FICTA_TEST_CODEX));

/** The pinned Codex; tests outside forEachCodex run against it. */
export const REAL_CODEX = join(ROOT, "node_modules", ".bin", "codex");

let current: CodexUnderTest | undefined;

/** The Codex the running test targets: the forEachCodex block's, or the pinned one. */
export function currentCodex(): CodexUnderTest {
  return current ?? { ...installedCodex("pinned", join("@openai", "codex")), path: REAL_CODEX };
}

/**
 * Runs `body` once per Codex in the matrix, each inside its own `describe("codex <version>")`.
 * While that block's hooks and tests run, currentCodex() (and so baseEnv's FICTA_REAL_CODEX) is
 * that version: adopting the matrix is wrapping a file's tests in `forEachCodex(() => { ... })`.
 * Tests inside must not be `test.concurrent` across blocks.
 */
export function forEachCodex(body: (codex: CodexUnderTest) => void): void {
  for (const codex of CODEX_MATRIX) {
    describe(`codex ${codex.version}`, () => {
      beforeAll(() => {
        current = codex;
      });
      afterAll(() => {
        current = undefined;
      });
      body(codex);
    });
  }
}

/** Flags that keep Codex offline and non-interactive (codex-facts: "Running the real Codex"). */
export const OFFLINE_FLAGS = [
  "--skip-git-repo-check",
  "--dangerously-bypass-approvals-and-sandbox",
  "-c",
  "otel.metrics_exporter=none",
  "-c",
  "analytics.enabled=false",
  "--disable",
  "plugins",
  "--disable",
  "apps",
];

/** `ficta` as the suite targets it: the compiled binary when FICTA_TEST_BINARY is set. */
export function fictaCommand(): string[] {
  const binary = process.env.FICTA_TEST_BINARY;
  if (binary) return [resolve(ROOT, binary)];
  // --no-env-file: the project's .env must reach ficta only through its own registry, exactly as
  // with the compiled binary (built without dotenv autoload).
  return [process.execPath, "--no-env-file", join(ROOT, "src", "main.ts")];
}

export interface Dirs {
  root: string;
  home: string;
  codexHome: string;
  fictaHome: string;
  project: string;
}

const created: string[] = [];

/** Removes every directory tempDirs made in this test file (call it in afterAll). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function tempDirs(label: string): Dirs {
  const root = mkdtempSync(join(tmpdir(), `ficta-e2e-${label}-`));
  created.push(root);
  const dirs = {
    root,
    home: join(root, "home"),
    codexHome: join(root, "codex-home"),
    fictaHome: join(root, "ficta-home"),
    project: join(root, "project"),
  };
  for (const dir of [dirs.home, dirs.codexHome, dirs.project]) mkdirSync(dir, { recursive: true });
  return dirs;
}

/** One fake secret: what a program sees, and how the dotenv file spells it (null: not in a file). */
export interface FakeSecret {
  name: string;
  value: string;
  spelling: string | null;
}

function randomBase64(bytes: number): string {
  return crypto.getRandomValues(new Uint8Array(bytes)).toBase64();
}

/**
 * Writes `.env` and `.env.local` with fresh fake secrets of every awkward kind, and returns them
 * plus one meant for the process environment.
 */
export function writeProjectSecrets(project: string): FakeSecret[] {
  const id = crypto.randomUUID().replaceAll("-", "");
  const pem = [
    "-----BEGIN PRIVATE KEY-----",
    randomBase64(48),
    randomBase64(48),
    randomBase64(24),
    "-----END PRIVATE KEY-----",
  ].join("\n");
  const secrets: FakeSecret[] = [
    { name: "E2E_PLAIN", value: `plain-${id}`, spelling: `plain-${id}` },
    {
      name: "E2E_QUOTED",
      value: `q"uo\\te ${id.slice(0, 12)} tail`,
      spelling: `q\\"uo\\\\te ${id.slice(0, 12)} tail`,
    },
    { name: "E2E_PEM", value: pem, spelling: pem },
    {
      name: "E2E_DATABASE_URL",
      value: `postgres://app:pw${id.slice(8, 24)}@db.internal.test:5432/app`,
      spelling: `postgres://app:pw${id.slice(8, 24)}@db.internal.test:5432/app`,
    },
    {
      name: "E2E_UNICODE",
      value: `clé-secrète-ü-日本-${id.slice(0, 10)}`,
      spelling: `clé-secrète-ü-日本-${id.slice(0, 10)}`,
    },
    { name: "E2E_SERVICE_PASSWORD", value: `svc-${id.slice(4, 28)}`, spelling: null },
  ];
  const byName = Object.fromEntries(secrets.map((s) => [s.name, s]));
  writeFileSync(
    join(project, ".env"),
    [
      "# fake values generated for one test run",
      `E2E_PLAIN=${byName.E2E_PLAIN.spelling}`,
      `E2E_QUOTED="${byName.E2E_QUOTED.spelling}"`,
      `E2E_PEM="${byName.E2E_PEM.spelling}"`,
      `E2E_DATABASE_URL=${byName.E2E_DATABASE_URL.spelling}`,
      "",
    ].join("\n"),
  );
  writeFileSync(join(project, ".env.local"), `E2E_UNICODE=${byName.E2E_UNICODE.spelling}\n`);
  return secrets;
}

/** Names whose values come back to the model in turn 1 (the `.env` files and the environment). */
export const PROCESS_SECRET = "E2E_SERVICE_PASSWORD";

function base64url(text: string): string {
  return new TextEncoder().encode(text).toBase64({ alphabet: "base64url", omitPadding: true });
}

/** A JWT-shaped access token whose `exp` is an hour away; Codex checks no signature. */
export function fakeJwt(accountId: string): string {
  const claims = {
    exp: Math.floor(Date.now() / 1000) + 3600,
    "https://api.openai.com/auth": { chatgpt_account_id: accountId, chatgpt_plan_type: "plus" },
  };
  return `${base64url('{"alg":"none","typ":"JWT"}')}.${base64url(JSON.stringify(claims))}.sig`;
}

export type LoginKind = "chatgpt" | "apikey" | "none";

/** Writes `auth.json` as `codex login` would; returns the credential Codex will send. */
export function writeLogin(codexHome: string, kind: LoginKind): {
  bearer: string;
  accountId?: string;
} {
  const suffix = crypto.randomUUID().slice(0, 8);
  if (kind === "chatgpt") {
    const accountId = `acct-e2e-${suffix}`;
    const access = fakeJwt(accountId);
    writeFileSync(
      join(codexHome, "auth.json"),
      JSON.stringify({
        auth_mode: "chatgpt",
        OPENAI_API_KEY: null,
        tokens: {
          id_token: fakeJwt(accountId),
          access_token: access,
          refresh_token: `refresh-e2e-${suffix}`,
          account_id: accountId,
        },
        last_refresh: new Date().toISOString(),
      }),
    );
    return { bearer: access, accountId };
  }
  if (kind === "apikey") {
    const key = `fake-login-key-${suffix}`;
    writeFileSync(
      join(codexHome, "auth.json"),
      JSON.stringify({ auth_mode: "apikey", OPENAI_API_KEY: key }),
    );
    return { bearer: key };
  }
  return { bearer: "" };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export async function run(
  command: string[],
  options: {
    cwd: string;
    env: Record<string, string>;
    timeoutMs?: number;
    /** Called with all stderr so far, each time more arrives. */
    onStderr?: (soFar: string) => void;
  },
): Promise<RunResult> {
  const started = performance.now();
  const child = Bun.spawn(command, {
    cwd: options.cwd,
    env: options.env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: options.timeoutMs ?? 45_000,
  });
  const readStderr = async () => {
    let text = "";
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      text += decoder.decode(chunk, { stream: true });
      options.onStderr?.(text);
    }
    return text + decoder.decode();
  };
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    readStderr(),
    child.exited,
  ]);
  return { code, stdout, stderr, ms: performance.now() - started };
}

/** The environment every run starts from: nothing of the test runner's own. */
export function baseEnv(dirs: Dirs): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dirs.home,
    CODEX_HOME: dirs.codexHome,
    FICTA_HOME: dirs.fictaHome,
    FICTA_REAL_CODEX: currentCodex().path,
    // The suite's HTTP mocks speak no WebSocket: these runs pin HTTP; websocket.test.ts runs
    // the default (auto) against the WebSocket mock.
    FICTA_PROXY_TRANSPORT: "http",
    LANG: "C.UTF-8",
  };
}

/** Codex's final message from `codex exec --json` output. */
export function finalMessage(stdout: string): string | undefined {
  let last: string | undefined;
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const event = JSON.parse(line);
    if (event.type === "item.completed" && event.item?.type === "agent_message") {
      last = event.item.text;
    }
  }
  return last;
}

/** Base64 of `bytes` placed at each of the three byte alignments, cut to the stable middle. */
function base64Cores(bytes: Uint8Array, alphabet: "base64" | "base64url"): string[] {
  const out: string[] = [];
  for (let lead = 0; lead < 3; lead++) {
    const padded = new Uint8Array(lead + bytes.length);
    padded.set(bytes, lead);
    const encoded = padded.toBase64({ alphabet, omitPadding: true });
    const firstGroup = Math.ceil(lead / 3);
    const groups = Math.floor((padded.length - firstGroup * 3) / 3);
    if (groups > 0) out.push(encoded.slice(firstGroup * 4, (firstGroup + groups) * 4));
  }
  return out;
}

function unicodeEscaped(json: string): string {
  return json.replace(/\P{ASCII}/gu, (c) =>
    Array.from(
      { length: c.length },
      (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`,
    ).join(""));
}

/**
 * Every spelling of `value` that would let a reader recover it: raw, JSON-escaped (also with
 * `\u` escapes), JSON in a JSON string, percent-encoded, base64 (both alphabets, every
 * alignment) and hex.
 */
export function formsOf(value: string): string[] {
  const bytes = new TextEncoder().encode(value);
  const json = JSON.stringify(value).slice(1, -1);
  const doubled = JSON.stringify(json).slice(1, -1);
  return [
    ...new Set([
      value,
      json,
      unicodeEscaped(json),
      doubled,
      unicodeEscaped(doubled),
      encodeURIComponent(value),
      encodeURI(value),
      ...base64Cores(bytes, "base64"),
      ...base64Cores(bytes, "base64url"),
      bytes.toHex(),
    ]),
  ];
}

/** What must never appear anywhere: each secret's forms, its dotenv spelling, its PEM lines. */
export function needles(secrets: FakeSecret[]): Array<{ name: string; form: string }> {
  const out: Array<{ name: string; form: string }> = [];
  for (const secret of secrets) {
    const parts = [secret.value];
    if (secret.spelling) parts.push(secret.spelling);
    for (const line of secret.value.split("\n")) {
      if (line.length >= 12 && !line.startsWith("-----")) parts.push(line);
    }
    const password = /:\/\/[^:]+:([^@]+)@/.exec(secret.value)?.[1];
    if (password) parts.push(password);
    for (const part of parts) {
      for (const form of formsOf(part)) out.push({ name: secret.name, form });
    }
  }
  return out;
}

/** `name (form #i)` for every needle found in `text`; never the value itself. */
export function leaks(text: string, found: Array<{ name: string; form: string }>): string[] {
  return found.flatMap((n, i) => (text.includes(n.form) ? [`${n.name} (form #${i})`] : []));
}

/** Every file under `dir` with its content as text. */
export function filesUnder(dir: string): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const entry of entries) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push({ path, text: readFileSync(path, "utf8") });
  }
  return out;
}
