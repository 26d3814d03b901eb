/**
 * dist/install.sh against a loopback HTTP server serving the release directory: it installs a
 * binary that runs, refuses a tampered or unlisted archive without touching what is installed,
 * and picks the archive for the machine it runs on (uname and sysctl stubbed for other ones).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { archiveName, findTarget, hostTarget, VERSION } from "../../scripts/distribution.ts";
import {
  BUILD_TIMEOUT_MS,
  CHECK_TIMEOUT_MS,
  headCommit,
  releaseDir,
  run,
  tempDir,
} from "./fixture.ts";

let dir: string;
let server: ReturnType<typeof Bun.serve>;
/** Per-test replacements for served files; null answers 404. */
let overrides = new Map<string, Uint8Array<ArrayBuffer> | string | null>();
let requested: string[] = [];

beforeAll(async () => {
  dir = await releaseDir();
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const name = decodeURIComponent(new URL(req.url).pathname.slice(1));
      requested.push(name);
      if (overrides.has(name)) {
        const body = overrides.get(name);
        return body === null ? new Response("not found", { status: 404 }) : new Response(body);
      }
      const file = Bun.file(join(dir, name));
      if (name.includes("/") || !(await file.exists())) {
        return new Response("not found", { status: 404 });
      }
      return new Response(file);
    },
  });
}, BUILD_TIMEOUT_MS);

afterAll(() => server?.stop(true));

const hostArchive = () => archiveName(VERSION, hostTarget());

function install(args: string[], extraEnv: Record<string, string> = {}) {
  requested = [];
  const home = tempDir("install-home");
  return run(
    ["sh", join(dir, "install.sh"), "--base-url", `http://127.0.0.1:${server.port}`, ...args],
    { cwd: home, env: { PATH: process.env.PATH, HOME: home, ...extraEnv } },
  );
}

function stderrIsFictas(stderr: string) {
  for (const line of stderr.trimEnd().split("\n")) expect(line).toMatch(/^ficta/);
}

describe("install.sh", () => {
  test("installs the host binary into --dir; it runs; next step is `ficta install`", async () => {
    overrides = new Map();
    const bin = join(tempDir("install-bin"), "bin");
    const installed = await install(["--dir", bin]);
    expect(installed.code).toBe(0);
    stderrIsFictas(installed.stderr);
    expect(requested).toEqual(["SHA256SUMS", hostArchive()]);
    expect(statSync(join(bin, "ficta")).mode & 0o777).toBe(0o755);
    expect(readdirSync(bin)).toEqual(["ficta"]);
    const version = await run([join(bin, "ficta"), "--version"]);
    expect(version.stdout.trim()).toBe(`ficta ${VERSION} (${await headCommit()})`);
    expect(installed.stderr).toContain(`next: ${bin}/ficta install`);
  }, CHECK_TIMEOUT_MS);

  test("defaults to ~/.ficta/bin, and FICTA_INSTALL_DIR moves it", async () => {
    overrides = new Map();
    const byDefault = await install(["--no-setup"]);
    expect(byDefault.code).toBe(0);
    expect(byDefault.stderr).toMatch(/installed ficta .* to \S+\/\.ficta\/bin\/ficta\n/);
    expect(byDefault.stderr).not.toContain("next:");
    const elsewhere = join(tempDir("install-env"), "tools");
    const byEnv = await install(["--no-setup"], { FICTA_INSTALL_DIR: elsewhere });
    expect(byEnv.code).toBe(0);
    expect(readdirSync(elsewhere)).toEqual(["ficta"]);
  }, CHECK_TIMEOUT_MS);

  test(
    "--yes runs `ficta install`: the codex shim lands beside it",
    async () => {
      overrides = new Map();
      // Shims go only in front of agents found; whether Claude Code is installed globally is the
      // machine's business, not this check's: point its lookup at nothing.
      const installed = await install(["--yes"], {
        SHELL: "/bin/sh",
        FICTA_REAL_CLAUDE: join(tempDir("install-no-claude"), "claude"),
      });
      expect(installed.code).toBe(0);
      stderrIsFictas(installed.stderr);
      const home = /installed ficta .* to (\S+)\/\.ficta\/bin\/ficta\n/.exec(installed.stderr)![1];
      expect(readdirSync(join(home, ".ficta", "bin")).sort()).toEqual(["codex", "ficta"]);
    },
    CHECK_TIMEOUT_MS,
  );

  test("refuses a tampered archive and leaves the installed binary alone", async () => {
    overrides = new Map();
    const bin = join(tempDir("install-tamper"), "bin");
    expect((await install(["--dir", bin, "--no-setup"])).code).toBe(0);
    const before = await Bun.file(join(bin, "ficta")).bytes();

    const tampered = await Bun.file(join(dir, hostArchive())).bytes();
    tampered[tampered.length >> 1] ^= 0xff;
    overrides = new Map([[hostArchive(), tampered]]);
    const refused = await install(["--dir", bin, "--no-setup"]);
    expect(refused.code).toBe(1);
    stderrIsFictas(refused.stderr);
    expect(refused.stderr).toContain(`checksum mismatch for ${hostArchive()}`);
    expect(refused.stderr).toContain("nothing installed");
    expect(readdirSync(bin)).toEqual(["ficta"]);
    expect(Buffer.from(await Bun.file(join(bin, "ficta")).bytes()).equals(Buffer.from(before)))
      .toBe(true);
  }, CHECK_TIMEOUT_MS);

  test("refuses an archive SHA256SUMS does not list", async () => {
    const sums = await Bun.file(join(dir, "SHA256SUMS")).text();
    const without = sums.split("\n").filter((l) => !l.endsWith(`  ${hostArchive()}`)).join("\n");
    overrides = new Map([["SHA256SUMS", without]]);
    const bin = join(tempDir("install-unlisted"), "bin");
    const refused = await install(["--dir", bin, "--no-setup"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${hostArchive()} is not listed in SHA256SUMS`);
    expect(await Bun.file(join(bin, "ficta")).exists()).toBe(false);
  }, CHECK_TIMEOUT_MS);

  test("refuses plain http except on loopback, before any download", async () => {
    const home = tempDir("install-http");
    const refused = await run(
      ["sh", join(dir, "install.sh"), "--base-url", "http://downloads.invalid/ficta"],
      { cwd: home, env: { PATH: process.env.PATH, HOME: home } },
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("use an https:// URL");
  });
});

describe("install.sh picks the archive for the machine", () => {
  /** A PATH whose `uname` and `sysctl` describe another machine. */
  async function machine(os: string, cpu: string, translated: string | null): Promise<string> {
    const stubs = tempDir("stubs");
    const scripts = {
      uname: `#!/bin/sh\ncase "$1" in -s) echo ${os} ;; -m) echo ${cpu} ;; esac\n`,
      sysctl: translated === null ? "#!/bin/sh\nexit 1\n" : `#!/bin/sh\necho ${translated}\n`,
    };
    for (const [name, script] of Object.entries(scripts)) {
      await Bun.write(join(stubs, name), script);
      chmodSync(join(stubs, name), 0o755);
    }
    return `${stubs}:${process.env.PATH}`;
  }

  const cases: [string, string, string | null, string][] = [
    ["Darwin", "arm64", "0", "darwin-arm64"],
    ["Darwin", "x86_64", "1", "darwin-arm64"], // an x86_64 shell under Rosetta
    ["Darwin", "x86_64", null, "darwin-x64"], // an Intel Mac has no proc_translated
    ["Linux", "aarch64", null, "linux-arm64"],
    ["Linux", "x86_64", null, "linux-x64"],
  ];
  for (const [os, cpu, translated, target] of cases) {
    test(`${os} ${cpu}${translated === "1" ? " (Rosetta)" : ""} → ${target}`, async () => {
      const archive = archiveName(VERSION, findTarget(target)!);
      overrides = new Map([[archive, null]]); // the choice is all this test looks at
      const attempt = await install(["--no-setup"], { PATH: await machine(os, cpu, translated) });
      expect(attempt.code).toBe(1);
      expect(requested).toEqual(["SHA256SUMS", archive]);
      expect(attempt.stderr).toContain(
        `could not download http://127.0.0.1:${server.port}/${archive}`,
      );
    });
  }

  test("Windows shells are sent to Scoop or the zip", async () => {
    const attempt = await install([], { PATH: await machine("MINGW64_NT-10.0", "x86_64", null) });
    expect(attempt.code).toBe(1);
    expect(attempt.stderr).toContain("scoop install ficta");
    expect(requested).toEqual([]);
  });
});
