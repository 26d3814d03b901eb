import { describe, expect, mock, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { setup } from "../../src/cli/setup.ts";
import { defaults, schema } from "../../src/config/schema.ts";
import { everyStderrLineIsFicta, runFicta, tempHome } from "./run-ficta.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

function configOf(home: string) {
  const file = join(home, ".ficta", "config.toml");
  return { file, doc: parseToml(readFileSync(file, "utf8")) as Record<string, unknown> };
}

/** A prompter that answers from a script and records the questions. */
function scripted(answers: string[]) {
  const questions: string[] = [];
  return {
    questions,
    ask(question: string) {
      questions.push(question);
      return Promise.resolve(answers.shift() ?? "");
    },
  };
}

describe("ficta setup --yes", () => {
  test("writes the defaults, 0600, valid under the schema; installs the shim", async () => {
    const { home, env } = tempHome();
    const ran = await runFicta(["setup", "--yes"], env);
    expect(ran.code).toBe(0);
    expect(everyStderrLineIsFicta(ran.stderr)).toBe(true);
    const { file, doc } = configOf(home);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const parsed = schema.safeParse(doc);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toEqual(defaults());
    expect(Object.keys(doc.registry as object).sort()).toEqual(
      ["dotenv", "dotenv_files", "exclude_names", "min_len", "presets", "process_env"],
    );
    expect(existsSync(join(home, ".ficta", "bin", "codex"))).toBe(true);
  });

  test("keeps keys, sections and comments it does not manage: the file is edited in place", async () => {
    const { home, env } = tempHome();
    mkdirSync(join(home, ".ficta"));
    const before = [
      "# my settings",
      "[registry]",
      "min_len = 12",
      "[[registry.command]]",
      'name = "vault"',
      'argv = ["vault", "kv", "get", "-format=json", "app"]',
      "[log]",
      "quiet = true",
      "[upstream]",
      'openai = "http://127.0.0.1:9999"',
      "",
    ].join("\n");
    writeFileSync(join(home, ".ficta", "config.toml"), before, { mode: 0o644 });
    const ran = await runFicta(["setup", "--yes", "--no-install"], env);
    expect(ran.code).toBe(0);
    const { file, doc } = configOf(home);
    const parsed = schema.parse(doc);
    expect(parsed.registry.min_len).toBe(12);
    expect(parsed.registry.command).toEqual([
      expect.objectContaining({
        name: "vault",
        argv: ["vault", "kv", "get", "-format=json", "app"],
      }),
    ]);
    expect(parsed.log.quiet).toBe(true);
    expect(parsed.upstream.openai).toBe("http://127.0.0.1:9999");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const after = readFileSync(file, "utf8");
    // Every line of the old file is still there, in order, comments included; the keys setup
    // manages were added to [registry] (min_len kept its value and its place).
    const kept = before.split("\n");
    const lines = after.split("\n");
    let at = 0;
    for (const line of kept) {
      const found = lines.indexOf(line, at);
      expect(found, `kept in order: ${line}`).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
    expect(after).toContain("[registry]\nmin_len = 12\n");
    expect(existsSync(`${file}.bak`)).toBe(false);
    expect(existsSync(join(home, ".ficta", "bin"))).toBe(false);

    const again = await runFicta(["setup", "--yes", "--no-install"], env);
    expect(again.stderr).toContain("config unchanged");
  });

  test("environment overrides are not written into the file", async () => {
    const { home, env } = tempHome({ FICTA_REGISTRY_MIN_LEN: "30" });
    expect((await runFicta(["setup", "--yes", "--no-install"], env)).code).toBe(0);
    expect((configOf(home).doc.registry as Record<string, unknown>).min_len).toBe(8);
  });

  test("a broken config is reported and left as it is", async () => {
    const { home, env } = tempHome();
    mkdirSync(join(home, ".ficta"));
    const file = join(home, ".ficta", "config.toml");
    writeFileSync(file, "[registry\nmin_len = 3\n");
    const ran = await runFicta(["setup", "--yes"], env);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain("invalid TOML");
    expect(readFileSync(file, "utf8")).toBe("[registry\nmin_len = 3\n");
    expect(everyStderrLineIsFicta(ran.stderr)).toBe(true);
  });

  test("without --yes and without a terminal it refuses to guess", async () => {
    const { env } = tempHome();
    const ran = await runFicta(["setup"], env, { stdin: "" });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain("--yes");
  });
});

describe("ficta setup, interactive", () => {
  test("answers land in the config; bad answers are asked again; names shown, never values", async () => {
    const { home, env } = tempHome();
    const project = join(home, "project");
    mkdirSync(project);
    const value = `setup-${crypto.randomUUID()}`;
    writeFileSync(join(project, ".env"), `APP_TOKEN=${value}\n`);
    const bin = join(home, "tools");
    mkdirSync(bin);
    writeFileSync(join(bin, "doppler"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const prompter = scripted([
      "", // dotenv: keep yes
      ".env, .env.local", // patterns
      "sometimes", // invalid mode: asked again
      "all",
      "12",
      "y", // doppler preset
      "APP_TOKEN, OTHER", // exclusions
      "n", // no install
    ]);
    const lines: string[] = [];
    mock.module("../../src/cli/say.ts", () => ({ say: (line: string) => lines.push(line) }));
    let code: number;
    let said: string;
    try {
      code = await setup({
        env: { ...env, PATH: `${bin}:${env.PATH}` },
        cwd: project,
        install: true,
        prompter,
      });
    } finally {
      said = lines.map((line) => `ficta: ${line}\n`).join("");
      mock.restore();
    }
    expect(code).toBe(0);
    expect(said).toContain("ficta:   APP_TOKEN  (");
    expect(said).not.toContain(value);
    const registry = schema.parse(configOf(home).doc).registry;
    expect(registry).toMatchObject({
      dotenv: true,
      dotenv_files: [".env", ".env.local"],
      process_env: "all",
      min_len: 12,
      presets: ["doppler"],
      exclude_names: ["APP_TOKEN", "OTHER"],
    });
    expect(prompter.questions.filter((q) => q.startsWith("registry.process_env:")).length).toBe(2);
    // Each question names its key and the answers it takes.
    for (const question of prompter.questions) {
      expect(question).toMatch(/^(registry\.\w+: |install )/);
      expect(question).toMatch(/\((yes or no|[^)]*(comma|number|secret-ish)[^)]*)\) \[/);
    }
    expect(prompter.questions.some((q) => q.includes("`doppler` is on PATH"))).toBe(true);
    expect(prompter.questions.some((q) => q.includes("`op`"))).toBe(false);
    expect(prompter.questions.join("\n")).not.toContain(value);
    expect(existsSync(join(home, ".ficta", "bin"))).toBe(false);
  });
});
