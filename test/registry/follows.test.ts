/**
 * Issue 11's registry pieces: the settings classifier, dotenv files below the launch directory,
 * Codex's auth.json, the protected-value store and live watching.
 */
import { describe, expect, test } from "bun:test";
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { schema, type Settings } from "../../src/config/schema.ts";
import { importSurrogateKey } from "../../src/core/surrogate.ts";
import { codexAuthFile, credentialsIn } from "../../src/agents/codex/auth-file.ts";
import { discoverNestedDotenvFiles } from "../../src/registry/dotenv.ts";
import { loadRegistry, storedSecrets } from "../../src/registry/index.ts";
import { settingReason } from "../../src/registry/settings.ts";
import {
  forget,
  merged,
  readStore,
  readStoredEntries,
  remember,
  storedCount,
  type StoredValue,
  storeKey,
  storePath,
  writeStore,
} from "../../src/registry/store.ts";
import { type LiveUpdate, watchSources } from "../../src/registry/watch.ts";

const fake = () => crypto.randomUUID().replaceAll("-", "");
const temp = () => realpathSync(mkdtempSync(join(tmpdir(), "ficta-follows-")));
const settings = (registry: Record<string, unknown> = {}): Settings => schema.parse({ registry });
const newKey = async () =>
  storeKey(await importSurrogateKey(crypto.getRandomValues(new Uint8Array(32))));

describe("settingReason", () => {
  test("plain settings are skipped with a reason", () => {
    const cases: [string, string, string][] = [
      ["OPENAI_MODEL", "gpt-5.1-codex", "a model name"],
      ["MODEL", "claude-sonnet-4-5", "a model name"],
      ["LOCAL_MODEL", "llama3.1:8b", "a model name"],
      ["FAST_MODEL", "o3-mini", "a model name"],
      ["CONTENT_TYPE", "application/json", "a MIME type"],
      ["ACCEPT", "text/event-stream; charset=utf-8", "a MIME type"],
      ["DEBUG", "false", "a boolean"],
      ["PORT", "8080", "a port"],
      ["RATE", "12.5", "a number"],
      ["LOG_LEVEL", "warning", "a log level"],
      ["API_BASE_URL", "https://api.example.com/v1", "a URL without credentials"],
      ["NODE_ENV", "production", "a short word"],
      ["AWS_REGION", "us-east-1", "a short word"],
    ];
    for (const [name, value, reason] of cases) expect(settingReason(name, value)).toBe(reason);
  });

  test("never skipped: secret-ish names, credential shapes, random-looking text", () => {
    const kept: [string, string][] = [
      ["DB_PASSWORD", "production"],
      ["API_TOKEN", "true"],
      ["SESSION_SECRET", "8080"],
      ["ACCOUNT", "4012888888881881"],
      ["SUPPORT_PIN", "0123456789"],
      ["DATABASE_URL", "postgres://app:hunter2pass@db:5432/app"],
      ["WEBHOOK", "https://hooks.example.com/x?token=abc123"],
      ["OPENAI_THING", `sk-proj-${fake()}${fake()}`],
      ["SIGNING", "qzxvkwprtmbl"],
      ["SALT", "abcdefgh12"],
      ["SIGNING_SEED", "gptx9k2mq7zr"],
      ["SEED", "xkqzvbwmrtpl"],
      ["MIXED", "Hello-World-Again"],
      ["LONG_PHRASE", "correct-horse-battery-staple"],
    ];
    for (const [name, value] of kept) expect(settingReason(name, value)).toBeUndefined();
  });

  test("a dotenv setting is reported, include_names protects it, exclude_names still works", async () => {
    const cwd = temp();
    writeFileSync(join(cwd, ".env"), "OPENAI_MODEL=gpt-5.1-codex\nAPP_ENV=production\n");
    const env = { HOME: cwd, FICTA_HOME: join(cwd, "h") };
    const plain = await loadRegistry(settings(), { cwd, env });
    expect(plain.secrets).toEqual([]);
    expect(plain.sources[0]).toMatchObject({
      skipped: { "a setting": 2 },
      settings: [
        { name: "OPENAI_MODEL", reason: "a model name" },
        { name: "APP_ENV", reason: "a short word" },
      ],
    });
    const included = await loadRegistry(
      settings({ include_names: ["OPENAI_*"], exclude_names: ["OPENAI_MODEL", "APP_ENV"] }),
      { cwd, env },
    );
    // In both lists: protected (the safe side). APP_ENV only excluded.
    expect(included.secrets.map((s) => s.name)).toEqual(["OPENAI_MODEL"]);
    expect(included.sources[0].skipped).toEqual({ "excluded name": 1 });
  });
});

describe("dotenv files below the launch directory", () => {
  function monorepo() {
    const root = temp();
    mkdirSync(join(root, ".git"));
    const files: Record<string, string> = {
      "apps/web/.env.local": "W",
      "apps/admin/.env": "A",
      "services/api/.env": "S",
      "services/api/config/deep/er/still/.env": "TOO_DEEP",
      "node_modules/pkg/.env": "DEP",
      "dist/.env": "BUILD",
      "apps/web/.env.example": "TEMPLATE",
      ".git/.env": "GIT",
    };
    for (const [path, name] of Object.entries(files)) {
      mkdirSync(join(root, path, ".."), { recursive: true });
      writeFileSync(join(root, path), `${name}_SECRET=${fake()}\n`);
    }
    return root;
  }

  test("breadth first within depth, skipping dependency, build and VCS directories", () => {
    const root = monorepo();
    const found = discoverNestedDotenvFiles(root, [".env", ".env.*"], {
      depth: 4,
      maxFiles: 100,
      skipDirs: settings().registry.dotenv_skip_dirs,
    });
    expect(found.files.map((f) => f.slice(root.length + 1))).toEqual([
      "apps/admin/.env",
      "apps/web/.env.local",
      "services/api/.env",
    ]);
    expect(found.stopped).toBeUndefined();
  });

  test("bounded: a file cap says where it stopped; links are not followed", () => {
    const root = monorepo();
    symlinkSync(join(root, "apps"), join(root, "linked"));
    const found = discoverNestedDotenvFiles(root, [".env", ".env.*"], {
      depth: 8,
      maxFiles: 2,
      skipDirs: [],
    });
    expect(found.files).toHaveLength(2);
    expect(found.stopped).toContain("dotenv_max_files");
    const all = discoverNestedDotenvFiles(root, [".env"], { depth: 8, maxFiles: 99, skipDirs: [] });
    expect(all.files.some((f) => f.includes("/linked/"))).toBe(false);
  });

  test("loadRegistry reads them, reported per file; dotenv_depth 0 turns it off", async () => {
    const root = monorepo();
    const env = { HOME: root, FICTA_HOME: join(root, "h") };
    const registry = await loadRegistry(settings(), { cwd: root, env });
    expect(registry.sources.filter((s) => s.kind === "dotenv").map((s) => s.name)).toEqual([
      "apps/admin/.env",
      "apps/web/.env.local",
      "services/api/.env",
    ]);
    expect(registry.remembered.map((r) => r.source)).toContain(join(root, "apps/web/.env.local"));
    const off = await loadRegistry(settings({ dotenv_depth: 0 }), { cwd: root, env });
    expect(off.secrets).toEqual([]);
  });
});

describe("Codex's auth.json", () => {
  test("every token and the API key; the account id only when secret-shaped", () => {
    const tokens = {
      id_token: `eyJ${fake()}`,
      access_token: `eyJ${fake()}`,
      refresh_token: `rt-${fake()}`,
      account_id: "c0ffee00-1111-2222-3333-444455556666",
    };
    const found = credentialsIn(
      JSON.stringify({ auth_mode: "chatgpt", OPENAI_API_KEY: null, tokens }),
    );
    expect(found.map((f) => f.name)).toEqual([
      "codex id_token",
      "codex access_token",
      "codex refresh_token",
    ]);
    const shaped = credentialsIn(JSON.stringify({ tokens: { account_id: `acct_${fake()}` } }));
    expect(shaped.map((f) => f.name)).toEqual(["codex account_id"]);
    expect(credentialsIn(JSON.stringify({ OPENAI_API_KEY: "sk-x-123456789" })).length).toBe(1);
  });

  test("protected whatever the settings, even with exclude_names matching", async () => {
    const dir = temp();
    const refresh = `rt-${fake()}`;
    writeFileSync(join(dir, "auth.json"), JSON.stringify({ tokens: { refresh_token: refresh } }));
    const env = { HOME: dir, CODEX_HOME: dir, FICTA_HOME: join(dir, "h") };
    const registry = await loadRegistry(
      settings({ dotenv: false, process_env: "off", exclude_names: ["*"] }),
      { cwd: dir, env, credentialFiles: [codexAuthFile] },
    );
    expect(registry.secrets.map((s) => s.value)).toContain(refresh);
    // Stored too: a resumed session may hold a token the agent read before it rotated.
    expect(registry.remembered).toEqual([
      { name: "codex refresh_token", source: join(dir, "auth.json"), value: refresh },
    ]);
  });
});

describe("protected-value store", () => {
  const day = "2026-01-01";
  const value = (name: string, extra: Partial<StoredValue> = {}): StoredValue => ({
    name,
    source: "/p/.env",
    first: day,
    last: day,
    value: `${name}-${fake()}`,
    ...extra,
  });

  test("0600 in 0700; metadata readable without the key, values only with it", async () => {
    const home = temp();
    const env = { FICTA_HOME: home };
    const key = await newKey();
    const values = [value("A", { spellings: ['"quoted"'] }), value("B")];
    await writeStore(env, key, values);
    const file = storePath(env);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, "store")).mode & 0o777).toBe(0o700);
    const text = readFileSync(file, "utf8");
    for (const v of values) expect(text).not.toContain(v.value);
    expect(storedCount(env)).toBe(2);
    expect(readStoredEntries(env).map((e) => e.name)).toEqual(["A", "B"]);
    expect(await readStore(env, key)).toEqual(values);
    await expect(readStore(env, await newKey())).rejects.toThrow("another key");
  });

  test("edited metadata is detected (it is the ciphertext's additional data)", async () => {
    const env = { FICTA_HOME: temp() };
    const key = await newKey();
    await writeStore(env, key, [value("A")]);
    const file = storePath(env);
    writeFileSync(file, readFileSync(file, "utf8").replace('"name":"A"', '"name":"Z"'));
    await expect(readStore(env, key)).rejects.toThrow();
  });

  test("merge: new values added, known ones refreshed, least recently seen dropped past max", () => {
    const old = value("OLD", { last: "2025-01-01" });
    const kept = value("KEPT", { last: "2025-06-01" });
    const next = merged(
      [old, kept],
      [{ name: "NEW", source: "env", value: "new-value-1" }],
      2,
      day,
    )!;
    expect(next.map((v) => v.name)).toEqual(["KEPT", "NEW"]);
    expect(merged(next, [{ name: "NEW", source: "env", value: "new-value-1" }], 2, day)).toBeNull();
    const renamed = merged(next, [{ name: "NEWER", source: "env", value: "new-value-1" }], 2, day)!;
    expect(renamed.find((v) => v.value === "new-value-1")).toMatchObject({
      name: "NEWER",
      first: day,
    });
  });

  test("another key's store is left alone; a damaged one is moved aside, never overwritten", async () => {
    const env = { FICTA_HOME: temp() };
    const first = await newKey();
    await writeStore(env, first, [value("A")]);
    const key = await newKey();
    const b = { name: "B", source: "env", value: "b-value-12" };
    await expect(remember(env, key, [b], 10)).rejects.toThrow("another key");
    expect((await readStore(env, first)).map((v) => v.name)).toEqual(["A"]);
    const file = storePath(env);
    writeFileSync(file, readFileSync(file, "utf8").replace(/\n[^\n]+\n$/, "\nAAAA\n"));
    expect(await remember(env, first, [b], 10)).toBe(true);
    expect((await readStore(env, first)).map((v) => v.name)).toEqual(["B"]);
    expect(readdirSync(join(env.FICTA_HOME, "store")).some((f) => f.includes("unreadable"))).toBe(
      true,
    );
  });

  test("forget by name, by source, everything", async () => {
    const env = { FICTA_HOME: temp() };
    const key = await newKey();
    await writeStore(env, key, [
      value("WEB_A", { source: "/repo/apps/web/.env" }),
      value("WEB_B", { source: "/repo/apps/web/.env" }),
      value("API", { source: "/repo/services/api/.env" }),
      value("ENV", { source: "environment" }),
    ]);
    expect(await forget(env, key, { names: ["WEB_A"] })).toBe(1);
    expect(await forget(env, key, { sources: ["**/apps/web/.env"] })).toBe(1);
    expect(readStoredEntries(env).map((e) => e.name)).toEqual(["API", "ENV"]);
    expect(await forget(env, null, { all: true })).toBe(2);
    expect(storedCount(env)).toBe(0);
  });

  test("stored values join a launch unless registered or now excluded; PEM lines too", () => {
    const pem = `-----BEGIN KEY-----\n${fake()}\n${fake()}\n-----END KEY-----`;
    const secrets = storedSecrets(
      settings({ exclude_names: ["GONE"] }),
      [value("CURRENT", { value: "current-1234" }), value("GONE"), value("PEM", { value: pem })],
      [{ name: "CURRENT", source: ".env", value: "current-1234" }],
    );
    expect(secrets.map((s) => s.name)).toEqual(["PEM", "PEM (line 2)", "PEM (line 3)"]);
    expect(secrets.every((s) => s.source === "stored")).toBe(true);
  });

  test("5,000 stored values: the header read is instant, decrypting takes a few ms", async () => {
    const env = { FICTA_HOME: temp() };
    const key = await newKey();
    const values = Array.from({ length: 5000 }, (_, i) => value(`V_${i}`));
    await writeStore(env, key, values);
    let started = performance.now();
    expect(storedCount(env)).toBe(5000);
    const header = performance.now() - started;
    started = performance.now();
    expect((await readStore(env, key)).length).toBe(5000);
    const read = performance.now() - started;
    console.log(
      `store, 5000 values: header ${header.toFixed(2)} ms, decrypt ${read.toFixed(2)} ms`,
    );
    expect(header).toBeLessThan(25); // generous: shared, loaded test machines
  });
});

describe("watching", () => {
  test("a value added to a watched file, or a new dotenv file, is reported once; names only", async () => {
    const dir = temp();
    writeFileSync(join(dir, ".env"), `FIRST=${fake()}\n`);
    const updates: LiveUpdate[] = [];
    const errors: string[] = [];
    const watching = watchSources({
      settings: settings(),
      env: { HOME: dir, CODEX_HOME: join(dir, "codex") },
      cwd: dir,
      directories: [dir, join(dir, "missing")],
      files: [join(dir, ".env")],
      secrets: [],
      onUpdate: (u) => updates.push(u),
      onError: (e) => errors.push(e),
    });
    try {
      // The initial read finds what the launch already registered.
      expect(updates.map((u) => u.added)).toEqual([["FIRST"]]);
      const late = `late-${fake()}`;
      appendFileSync(join(dir, ".env"), `LATE=${late}\n`);
      writeFileSync(join(dir, ".env.local"), `LOCAL=${fake()}\nPORT=8080\n`);
      writeFileSync(join(dir, "notes.txt"), `NOTE=${fake()}\n`);
      for (let i = 0; i < 100 && updates.length < 3; i++) await Bun.sleep(20);
      expect(updates.map((u) => [u.source, u.added])).toEqual([
        [".env", ["FIRST"]],
        [".env", ["LATE"]],
        [".env.local", ["LOCAL"]],
      ]);
      expect(updates[1].secrets.map((s) => s.value)).toContain(late);
      expect(updates[1].remember).toEqual([
        { name: "LATE", source: join(dir, ".env"), value: late },
      ]);
      expect(errors).toEqual([]);
    } finally {
      watching.close();
    }
  });
});

test("$CODEX_HOME/.env, which Codex loads into its own environment, is read too", async () => {
  const dir = temp();
  const value = `codex-env-${fake()}`;
  mkdirSync(join(dir, "codex"));
  writeFileSync(join(dir, "codex", ".env"), `SOME_VALUE=${value}\n`);
  const cwd = join(dir, "work");
  mkdirSync(cwd);
  const env = { HOME: dir, CODEX_HOME: join(dir, "codex"), FICTA_HOME: join(dir, "h") };
  const registry = await loadRegistry(settings(), { cwd, env, credentialFiles: [codexAuthFile] });
  expect(registry.secrets.map((s) => s.value)).toEqual([value]);
  expect(registry.sources[0]).toMatchObject({ name: "../codex/.env", values: 1 });
});

test("outside any repository, the tree below the launch directory is not searched", async () => {
  const dir = temp();
  mkdirSync(join(dir, "some-project"));
  writeFileSync(join(dir, "some-project", ".env"), `OTHER=${fake()}\n`);
  const env = { HOME: dir, FICTA_HOME: join(dir, "h") };
  const registry = await loadRegistry(settings(), { cwd: dir, env });
  expect(registry.secrets).toEqual([]);
});
