/**
 * The command source: a secret manager's CLI run without a shell, with a timeout and a minimal
 * environment, whose JSON object or dotenv output is protected.
 *
 * The executable is resolved through PATH to its real path first and refused when it lies
 * inside the working tree (a repository could ship a fake `doppler` that a checked-in PATH
 * tweak finds first) or when it, or its directory, is writable by group or others or owned by
 * another user. The command's stderr is never read: it could hold values. Failures say only the
 * exit code, the signal or the timeout.
 */
import { type Child, runtime } from "../runtime/mod.ts";
import { realpathSync, statSync } from "node:fs";
import { constants } from "node:os";
import { dirname, isAbsolute, resolve, sep } from "node:path";
import type { Env } from "../config/paths.ts";
import type { CommandSource } from "../config/schema.ts";
import { parseDotenv } from "./dotenv-parse.ts";
import { countSkip, dotenvFound, type SourceOutput } from "./found.ts";

/** What every secret-manager CLI may need: where things are, locale, proxies, keyring access. */
const BASE_ENV = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LC_ALL",
  "LC_CTYPE",
  "TZ",
  "TMPDIR",
  "XDG_CONFIG_HOME",
  "XDG_DATA_HOME",
  "XDG_CACHE_HOME",
  "XDG_RUNTIME_DIR",
  "DBUS_SESSION_BUS_ADDRESS",
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
  "https_proxy",
  "http_proxy",
  "no_proxy",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "SYSTEMROOT",
  "USERPROFILE",
  "APPDATA",
  "LOCALAPPDATA",
];
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

export interface CommandContext {
  cwd: string;
  env: Env;
  /** Executables at or below this directory are refused: the working tree. */
  trustRoot: string;
}

export interface CommandRun {
  source: CommandSource;
  /** Status when the executable is not on PATH: a preset is simply absent, a command is an error. */
  missing: "not found" | "error";
  /** Extra variables for this run only (the 1Password references). */
  extraEnv?: Record<string, string>;
  /** Turns stdout into values; the default reads `source.format`. */
  parse?: (stdout: string, output: SourceOutput) => void;
  /** A reason to skip a name the tool returns that is no secret, or undefined to keep it. */
  filter?: (name: string) => string | undefined;
  /** Shown in the source's report line. */
  note?: string;
}

/** The absolute real path of `program`, or why it may not run. */
export function trustedExecutable(
  program: string,
  context: CommandContext,
): { path: string } | { missing: string } | { refused: string } {
  const found = program.includes("/") || program.includes("\\")
    ? (isAbsolute(program) ? program : resolve(context.cwd, program))
    : runtime.which(program, { PATH: context.env.PATH ?? "", cwd: context.cwd });
  if (!found || !statSync(found, { throwIfNoEntry: false })) {
    return { missing: `${program}: not found on PATH` };
  }
  let path: string;
  try {
    path = realpathSync(found);
  } catch {
    return { missing: `${program}: not found on PATH` };
  }
  const root = realpathSync(context.trustRoot);
  if (path === root || path.startsWith(root.endsWith(sep) ? root : root + sep)) {
    return { refused: `${program}: refusing ${path}, it is inside the working tree` };
  }
  if (process.platform === "win32") return { path };
  const uid = process.getuid?.() ?? 0;
  for (const [what, target] of [["it", path], ["its directory", dirname(path)]] as const) {
    const stat = statSync(target);
    if ((stat.mode & 0o022) !== 0) {
      return { refused: `${program}: refusing ${path}, ${what} is writable by group or others` };
    }
    if (stat.uid !== 0 && stat.uid !== uid) {
      return { refused: `${program}: refusing ${path}, ${what} is owned by another user` };
    }
  }
  return { path };
}

/** PATH, HOME, locale and proxies, plus the names or `PREFIX_*` patterns the source asks for. */
export function commandEnv(env: Env, wanted: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const exact = new Set([...BASE_ENV, ...wanted.filter((w) => !w.endsWith("*"))]);
  const prefixes = wanted.filter((w) => w.endsWith("*")).map((w) => w.slice(0, -1));
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || name.startsWith("FICTA_")) continue;
    if (exact.has(name) || prefixes.some((prefix) => name.startsWith(prefix))) out[name] = value;
  }
  return out;
}

/** Never throws: anything unexpected is this source's error, named by its code only. */
export async function runCommand(run: CommandRun, context: CommandContext): Promise<SourceOutput> {
  try {
    return await runChecked(run, context);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unexpected failure";
    return {
      kind: "command",
      name: run.source.name,
      status: "error",
      found: [],
      skipped: {},
      error: `cannot run (${code})`,
    };
  }
}

async function runChecked(run: CommandRun, context: CommandContext): Promise<SourceOutput> {
  const { source } = run;
  const output: SourceOutput = {
    kind: "command",
    name: source.name,
    status: "loaded",
    found: [],
    skipped: {},
  };
  const fail = (status: "error" | "not found", error: string) => {
    output.status = status;
    output.error = error;
    return output;
  };
  const trust = trustedExecutable(source.argv[0], context);
  if ("missing" in trust) return fail(run.missing, trust.missing);
  if ("refused" in trust) return fail("error", trust.refused);

  const child = runtime.spawn([trust.path, ...source.argv.slice(1)], {
    cwd: context.cwd,
    env: { ...commandEnv(context.env, source.env), ...run.extraEnv },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "ignore",
    // Its own session: no terminal to prompt on, and a timeout can end its whole group.
    detached: true,
  });
  track(child);
  try {
    return await collect(child, run, output, fail);
  } finally {
    // Whatever it left behind in its group goes too, on success as on failure.
    untrack(child);
  }
}

async function collect(
  child: Child,
  run: CommandRun,
  output: SourceOutput,
  fail: (status: "error" | "not found", error: string) => SourceOutput,
): Promise<SourceOutput> {
  const { source } = run;
  const reader = child.stdout!.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((done) => {
    timer = setTimeout(() => done("timeout"), source.timeout_ms);
  });
  const stdout = await Promise.race([readCapped(reader), timedOut]);
  const code = stdout === "timeout" || stdout === null
    ? stdout
    : await Promise.race([child.exited, timedOut]);
  clearTimeout(timer);
  if (code === "timeout" || code === null) {
    reader.cancel().catch(() => {});
    return fail(
      "error",
      code === "timeout"
        ? `timed out after ${source.timeout_ms} ms`
        : `output larger than ${MAX_OUTPUT_BYTES >> 20} MiB`,
    );
  }
  if (child.signalCode) return fail("error", `killed by ${child.signalCode}`);
  if (code !== 0) return fail("error", `exited with code ${code}`);
  (run.parse ?? ((text, out) => parseOutput(text, source.format, out)))(stdout as string, output);
  if (run.filter) {
    output.found = output.found.filter(({ name }) => {
      const reason = run.filter!(name);
      if (reason) countSkip(output.skipped, reason);
      return !reason;
    });
  }
  if (run.note) output.note = run.note;
  return output;
}

/**
 * Commands still running, by process group. Each runs in its own session, so a runner's kill
 * of ficta's process group misses them: ficta ends them itself on every way out (normal exit,
 * `process.exit`, SIGTERM, SIGINT, SIGHUP). The signal handlers are armed only while a command
 * runs: afterwards the launch's own handlers (session/child.ts) decide what a signal does.
 */
const running = new Map<number, Child>();
const EXIT_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
let exitHookArmed = false;

function track(child: Child): void {
  if (!exitHookArmed) {
    process.on("exit", killRunningCommands);
    exitHookArmed = true;
  }
  if (running.size === 0 && process.platform !== "win32") {
    for (const signal of EXIT_SIGNALS) process.on(signal, onExitSignal);
  }
  running.set(child.pid, child);
}

function untrack(child: Child): void {
  killGroup(child);
  running.delete(child.pid);
  if (running.size === 0 && process.platform !== "win32") {
    for (const signal of EXIT_SIGNALS) process.off(signal, onExitSignal);
  }
}

function onExitSignal(signal: NodeJS.Signals): void {
  killRunningCommands();
  process.exit(128 + (constants.signals[signal] ?? 0));
}

/** Ends every secret-manager command still running, with whatever it started in its group. */
function killRunningCommands(): void {
  for (const child of running.values()) killGroup(child);
  running.clear();
}

function killGroup(child: Child): void {
  try {
    if (process.platform === "win32") child.kill("SIGKILL");
    else process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** The whole output as text; null past the cap (a runaway command is an error, not a hang). */
async function readCapped(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_OUTPUT_BYTES) return null;
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/**
 * JSON: an object of names to strings, or an array of `{key|name, value}` objects (Infisical's
 * export). Dotenv: the file syntax. `auto` takes JSON when the output starts with `{` or `[`.
 */
export function parseOutput(
  stdout: string,
  format: "auto" | "json" | "dotenv",
  output: SourceOutput,
): void {
  const text = stdout.trim();
  const json = format === "json" || (format === "auto" && /^[{[]/.test(text));
  if (json) return parseJsonOutput(text, output);
  const { entries, problems } = parseDotenv(stdout);
  output.found.push(...entries.map(dotenvFound));
  if (problems.length > 0) {
    output.status = "error";
    output.error = `output line ${problems[0].line}: ${problems[0].message}`;
    for (const problem of problems) {
      output.found.push({ name: `(unparsed line ${problem.line})`, value: problem.text.trim() });
    }
  }
}

function parseJsonOutput(text: string, output: SourceOutput): void {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // The parser's message may quote the output: say only that it is not JSON.
    output.status = "error";
    output.error = "output is not valid JSON";
    return;
  }
  if (data === null || typeof data !== "object") {
    output.status = "error";
    output.error = "output is not a JSON object";
    return;
  }
  const pairs: [string, unknown][] = [];
  if (Array.isArray(data)) {
    for (const item of data) {
      const name = item?.key ?? item?.name;
      if (typeof name === "string") pairs.push([name, item.value]);
      else countSkip(output.skipped, "not a name/value pair");
    }
  } else pairs.push(...Object.entries(data));
  for (const [name, value] of pairs) {
    if (typeof value === "string") output.found.push({ name, value });
    else if (value !== null && typeof value === "object") countSkip(output.skipped, "nested value");
    else countSkip(output.skipped, "not a string");
  }
}
