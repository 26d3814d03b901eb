import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { schema, type Settings } from "../../src/config/schema.ts";
import { linePieces, loadRegistry, reportLines } from "../../src/registry/index.ts";
import { launchRefusals } from "../../src/session/verdict.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

const fake = () => crypto.randomUUID().replaceAll("-", "");

function settings(registry: Record<string, unknown> = {}): Settings {
  return schema.parse({ registry });
}

/** A repository with a launch directory; FICTA_HOME inside it so no real ~/.ficta is touched. */
function project() {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "ficta-registry-")));
  mkdirSync(join(root, ".git"));
  const cwd = join(root, "pkg");
  mkdirSync(cwd);
  const bin = realpathSync(mkdtempSync(join(tmpdir(), "ficta-registry-bin-")));
  const env = { PATH: `${bin}:/usr/bin:/bin`, HOME: root, FICTA_HOME: join(root, ".ficta-home") };
  const tool = (name: string, script: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  return { root, cwd, env, tool };
}

describe.if(process.platform !== "win32")("loadRegistry", () => {
  test("dotenv files, environment, dedup, min_len, excluded names, reports", async () => {
    const { root, cwd, env } = project();
    const shared = fake();
    const own = fake();
    const token = fake();
    writeFileSync(join(cwd, ".env"), `SHARED=${shared}\nSHORT=abc\nIGNORED=${fake()}\n`);
    writeFileSync(join(root, ".env"), `AGAIN=${shared}\nOWN="${own}"\n`);
    const registry = await loadRegistry(settings({ exclude_names: ["IGNO*"] }), {
      cwd,
      env: { ...env, GITHUB_TOKEN: token, DUP_TOKEN: own, LANG: "C.UTF-8" },
    });
    expect(registry.secrets).toEqual([
      { name: "SHARED", source: ".env", value: shared },
      { name: "OWN", source: "../.env", value: own },
      { name: "GITHUB_TOKEN", source: "environment", value: token },
    ]);
    expect(registry.sources).toEqual([
      {
        kind: "dotenv",
        name: ".env",
        status: "loaded",
        values: 1,
        skipped: { "shorter than min_len": 1, "excluded name": 1 },
      },
      { kind: "dotenv", name: "../.env", status: "loaded", values: 1, skipped: { duplicate: 1 } },
      {
        kind: "env",
        name: "environment",
        status: "loaded",
        values: 1,
        skipped: { "not secret-ish": 3, duplicate: 1 },
      },
    ]);
    expect(reportLines(registry)).toEqual([
      "registry: .env (1 value, 2 skipped: 1 shorter than min_len, 1 excluded name)",
      "registry: ../.env (1 value, 1 skipped: duplicate)",
      "registry: environment (1 value, 4 skipped: 3 not secret-ish, 1 duplicate)",
    ]);
  });

  test("spellings and every line of a multi-line value, merged across duplicates", async () => {
    const { cwd, env } = project();
    const lines = [fake() + fake(), fake() + fake(), fake()];
    const pem = `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----`;
    const escaped = pem.replaceAll("\n", "\\n");
    writeFileSync(join(cwd, ".env"), `KEY="${escaped}"\nRAW='${pem}'\n`);
    const registry = await loadRegistry(settings({ process_env: "off" }), { cwd, env });
    expect(registry.secrets).toEqual([
      { name: "KEY", source: ".env", value: pem, spellings: [escaped] },
      { name: "KEY (line 2)", source: ".env", value: lines[0] },
      { name: "KEY (line 3)", source: ".env", value: lines[1] },
      { name: "KEY (line 4)", source: ".env", value: lines[2] },
    ]);
    expect(registry.sources[0]).toMatchObject({ values: 1, skipped: { duplicate: 1 } });
    expect(registry.sources[1]).toMatchObject({ name: "environment", status: "disabled" });
    expect(reportLines(registry)[1]).toBe("registry: environment (disabled)");
  });

  test("a value equal to another value's spelling keeps its own surrogate", async () => {
    const { cwd, env } = project();
    const a = fake();
    writeFileSync(join(cwd, ".env"), `A="${a}\\tz"\nB=${a}\\tz\n`);
    const registry = await loadRegistry(settings({ process_env: "off" }), { cwd, env });
    expect(registry.secrets).toEqual([
      { name: "A", source: ".env", value: `${a}\tz` },
      { name: "B", source: ".env", value: `${a}\\tz` },
    ]);
  });

  test("no dotenv file: one 'not found' line; dotenv off: 'disabled'", async () => {
    const { cwd, env } = project();
    const none = await loadRegistry(settings(), { cwd, env });
    expect(reportLines(none)[0]).toBe("registry: .env, .env.* (not found)");
    const off = await loadRegistry(settings({ dotenv: false }), { cwd, env });
    expect(off.sources[0]).toMatchObject({ kind: "dotenv", status: "disabled" });
  });

  test("a broken file is an error with file and line; its text is still protected", async () => {
    const { cwd, env } = project();
    const secret = fake();
    writeFileSync(join(cwd, ".env.local"), `GOOD=${fake()}\nBAD='${secret}\n`);
    const registry = await loadRegistry(settings(), { cwd, env });
    const line = reportLines(registry)[0];
    expect(line).toBe(
      "registry: .env.local (error: .env.local:2: unterminated single quote, 2 values)",
    );
    expect(line).not.toContain(secret);
    expect(registry.secrets.map((s) => s.value)).toContain(secret);
  });

  test("the surrogate key is protected from the environment and the key file, never reported", async () => {
    const { cwd, env } = project();
    const key = fake() + fake();
    const keyFile = fake() + fake();
    mkdirSync(env.FICTA_HOME, { recursive: true });
    writeFileSync(join(env.FICTA_HOME, "key"), `${keyFile}\n`);
    const registry = await loadRegistry(settings({ process_env: "all" }), {
      cwd,
      env: { ...env, FICTA_SURROGATE_KEY: key },
    });
    const byValue = new Map(registry.secrets.map((s) => [s.value, s]));
    expect(byValue.get(key)).toEqual({ name: "FICTA_SURROGATE_KEY", source: "ficta", value: key });
    expect(byValue.get(keyFile)?.source).toBe("ficta");
    // PATH and HOME are the system's own, skipped even in `all` mode.
    expect(registry.sources.find((s) => s.name === "environment")?.values).toBe(0);
    expect(reportLines(registry).join("\n")).not.toContain("ficta");
  });

  test("commands and presets run concurrently, their values after the environment's", async () => {
    const { cwd, env, tool } = project();
    const fromVault = fake();
    const fromDoppler = fake();
    tool("slow-vault", `sleep 0.3; echo '{"VAULT_VALUE": "${fromVault}"}'`);
    tool(
      "doppler",
      `[ "$*" = "secrets download --no-file --format json" ] || exit 9; sleep 0.3
echo '{"API_TOKEN": "${fromDoppler}", "DOPPLER_PROJECT": "some-project", "DOPPLER_CONFIG": "dev_personal"}'`,
    );
    const started = performance.now();
    const registry = await loadRegistry(
      settings({
        presets: ["doppler", "infisical"],
        command: [{ name: "vault", argv: ["slow-vault"] }],
      }),
      { cwd, env },
    );
    expect(performance.now() - started).toBeLessThan(550);
    expect(registry.secrets).toEqual([
      { name: "API_TOKEN", source: "doppler", value: fromDoppler },
      { name: "VAULT_VALUE", source: "vault", value: fromVault },
    ]);
    expect(reportLines(registry).slice(-3)).toEqual([
      "registry: doppler (1 value, 2 skipped: doppler metadata)",
      "registry: infisical (not found: infisical: not found on PATH)",
      "registry: vault (1 value)",
    ]);
  });

  test("1password: op:// references from dotenv and environment resolved by `op run`", async () => {
    const { cwd, env, tool } = project();
    const resolved = fake();
    const multi = `${fake()}\n${fake()}`;
    writeFileSync(join(cwd, ".env"), "DB_PASSWORD=op://vault/db/password\n");
    // A stand-in `op` that checks its arguments and resolves references found in its environment.
    tool(
      "op",
      `[ "$*" = "run --no-masking -- env -0" ] || exit 9
for v in $(env | sed -n 's/^\\(FICTA_OP_REF_[0-9]*\\)=.*/\\1/p'); do
  ref=$(printenv "$v")
  case "$ref" in
    op://vault/db/password) printf '%s=%s\\0' "$v" '${resolved}';;
    op://vault/api/key) printf '%s=%s\\0' "$v" '${multi}';;
  esac
done
printf 'PATH=%s\\0' "$PATH"`,
    );
    const registry = await loadRegistry(settings({ presets: ["1password"] }), {
      cwd,
      env: { ...env, SERVICE_API_KEY: "op://vault/api/key" },
    });
    const fromOp = registry.secrets.filter((s) => s.source === "1password");
    expect(fromOp.map((s) => [s.name, s.value])).toEqual([
      ["DB_PASSWORD", resolved],
      ["SERVICE_API_KEY", multi],
      ["SERVICE_API_KEY (line 1)", multi.split("\n")[0]],
      ["SERVICE_API_KEY (line 2)", multi.split("\n")[1]],
    ]);
    expect(reportLines(registry).at(-1)).toBe("registry: 1password (2 values)");
  });

  test("presets take their project, config and environment from config", async () => {
    const { cwd, env, tool } = project();
    const [fromDoppler, fromInfisical, fromOp] = [fake(), fake(), fake()];
    tool(
      "doppler",
      `[ "$*" = "secrets download --no-file --format json --project backend --config prd" ] || exit 9
echo '{"PAYMENT_TOKEN": "${fromDoppler}"}'`,
    );
    tool(
      "infisical",
      `[ "$*" = "export --format=json --env=prod --projectId=p-123" ] || exit 9
[ "$INFISICAL_TOKEN" = "machine-token" ] || exit 8
echo '[{"key": "QUEUE_SECRET", "value": "${fromInfisical}"}]'`,
    );
    tool(
      "op",
      `[ "$(printenv FICTA_OP_REF_0)" = "op://ci/stripe/credential" ] || exit 9
printf 'FICTA_OP_REF_0=%s\0' '${fromOp}'`,
    );
    const registry = await loadRegistry(
      settings({
        presets: ["doppler", "infisical", "1password"],
        doppler_project: "backend",
        doppler_config: "prd",
        infisical_env: "prod",
        infisical_project_id: "p-123",
        onepassword_refs: ["STRIPE_KEY=op://ci/stripe/credential", "malformed"],
      }),
      { cwd, env: { ...env, INFISICAL_TOKEN: "machine-token" } },
    );
    expect(reportLines(registry).join("\n")).not.toContain("default environment");
    const managed = registry.secrets.filter((s) => !["ficta", "environment"].includes(s.source));
    expect(managed.map((s) => [s.source, s.name]))
      .toEqual([
        ["doppler", "PAYMENT_TOKEN"],
        ["infisical", "QUEUE_SECRET"],
        ["1password", "STRIPE_KEY"],
      ]);
    expect(registry.secrets.map((s) => s.value)).toEqual(
      expect.arrayContaining([fromDoppler, fromInfisical, fromOp]),
    );
  });

  test("secret-manager output: plain settings skipped and named, secrets kept, include_names forces", async () => {
    const { cwd, env, tool } = project();
    const token = fake();
    const webhook = `https://chat.example.test/api/webhooks/12345678/${fake()}`;
    tool(
      "doppler",
      `cat <<'EOF'
${
        JSON.stringify({
          NODE_ENV: "production",
          APP_URL: "https://app.internal.test",
          DB_HOST: "db.internal.test:5432",
          LOG_LEVEL: "debug",
          ALERTS_URL: webhook,
          PAYMENT_TOKEN: token,
          APP_REGION: "eu-central",
        })
      }
EOF`,
    );
    const registry = await loadRegistry(
      settings({ presets: ["doppler"], include_names: ["APP_REGION"] }),
      { cwd, env },
    );
    const fromDoppler = registry.secrets.filter((s) => s.source === "doppler");
    expect(fromDoppler.map((s) => s.name).sort()).toEqual(
      ["ALERTS_URL", "APP_REGION", "PAYMENT_TOKEN"],
    );
    expect(reportLines(registry).at(-1)).toBe(
      "registry: doppler (3 values, 4 skipped: 3 a setting (NODE_ENV, APP_URL, DB_HOST), " +
        "1 shorter than min_len)",
    );
  });

  test("infisical without registry.infisical_env says it exported the CLI's default", async () => {
    const { cwd, env, tool } = project();
    tool("infisical", `echo '[{"key": "QUEUE_SECRET", "value": "${fake()}"}]'`);
    const registry = await loadRegistry(settings({ presets: ["infisical"] }), { cwd, env });
    expect(reportLines(registry).at(-1)).toBe(
      "registry: infisical (1 value, the CLI's default environment (dev); set registry.infisical_env)",
    );
  });

  test("1password without references does not run op", async () => {
    const { cwd, env, tool } = project();
    tool("op", "exit 1");
    const registry = await loadRegistry(settings({ presets: ["1password"] }), { cwd, env });
    expect(registry.sources.at(-1)).toMatchObject({ name: "1password", status: "not found" });
  });
});

describe("linePieces", () => {
  test("lines of real and escaped multi-line PEM text, without armor lines", () => {
    expect(linePieces(["a\nbb\r\n\n c "])).toEqual([
      { label: "line 1", value: "a" },
      { label: "line 2", value: "bb" },
      { label: "line 4", value: "c" },
    ]);
    expect(linePieces(["-----BEGIN EC PRIVATE KEY-----\\nabc\\n-----END EC PRIVATE KEY-----"]))
      .toEqual([{ label: "line 2", value: "abc" }]);
    expect(linePieces(["C:\\new\\path"])).toEqual([]);
  });
});

describe("timing", () => {
  test("100 values in .env files and 100 environment variables load in a few ms", async () => {
    const { root, cwd, env } = project();
    const lines = Array.from({ length: 90 }, (_, i) => `VAR_${i}="${fake()}"`);
    writeFileSync(join(cwd, ".env"), lines.join("\n"));
    writeFileSync(
      join(root, ".env.local"),
      Array.from({ length: 10 }, (_, i) => `EXTRA_${i}=${fake()}`).join("\n"),
    );
    const big = { ...env } as Record<string, string>;
    for (let i = 0; i < 100; i++) big[`SOME_SETTING_${i}`] = fake();
    // CPU time the load costs this process (every thread), not wall time: on a shared, loaded
    // machine wall time measures the scheduler, while the work done stays what it is.
    const cpuMs = (used: NodeJS.CpuUsage) => (used.user + used.system) / 1000;
    const runs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = process.cpuUsage();
      const registry = await loadRegistry(settings(), { cwd, env: big });
      runs.push(cpuMs(process.cpuUsage(started)));
      expect(registry.secrets).toHaveLength(100);
    }
    runs.sort((a, b) => a - b);
    console.log(
      `loadRegistry, 100 values: p50 ${runs[10].toFixed(2)} ms CPU, max ${runs[19].toFixed(2)} ms`,
    );
    expect(runs[10]).toBeLessThan(10);
  });
});

describe("launchRefusals (registry.require)", () => {
  const run = (registry: Record<string, unknown>, env: Record<string, string>) =>
    loadRegistry(settings({ dotenv: false, ...registry }), { cwd: project().cwd, env })
      .then((loaded) => launchRefusals(loaded, settings({ dotenv: false, ...registry })));

  test("off: nothing refuses", async () => {
    expect(await run({}, {})).toEqual([]);
  });

  test("Codex's own key never counts; empty variables and a missing preset refuse", async () => {
    const base = { PATH: "/nonexistent", CODEX_API_KEY: `sk-proj-${fake()}${fake()}` };
    expect(await run({ require: true }, base)).toEqual([
      "no protected value was loaded from any source but Codex's own credentials",
    ]);
    const problems = await run(
      { require: true, presets: ["doppler"] },
      { ...base, DB_PASSWORD: "", SERVICE_TOKEN: fake() },
    );
    expect(problems.join("\n")).toContain("configured preset doppler is missing");
    expect(problems.join("\n")).toContain("empty variable(s) DB_PASSWORD");
    // Excluded names are no longer required to be set.
    expect(
      await run({ require: true, exclude_names: ["DB_*"] }, {
        ...base,
        DB_PASSWORD: "",
        SERVICE_TOKEN: fake(),
      }),
    ).toEqual([]);
  });

  test("a list of names: each must be protected; listed names are read whatever they are called", async () => {
    const env = { PATH: "/nonexistent", PLAIN_NAMED: fake(), SERVICE_TOKEN: fake() };
    expect(await run({ require: ["PLAIN_NAMED", "SERVICE_TOKEN"] }, env)).toEqual([]);
    expect(await run({ require: ["PLAIN_NAMED", "ABSENT_ONE"] }, env)).toEqual([
      "required name(s) ABSENT_ONE not protected by any source (unset, empty, excluded or shorter than registry.min_len)",
    ]);
  });
});
