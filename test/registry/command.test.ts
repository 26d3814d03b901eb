import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CommandContext,
  commandEnv,
  parseOutput,
  runCommand,
  trustedExecutable,
} from "../../src/registry/command.ts";
import type { SourceOutput } from "../../src/registry/found.ts";
import type { CommandSource } from "../../src/config/schema.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

const fake = () => crypto.randomUUID().replaceAll("-", "");

/** A directory of stand-in executables (0700, ours) and a separate project as launch dir. */
function setup() {
  const bin = realpathSync(mkdtempSync(join(tmpdir(), "ficta-bin-")));
  const project = realpathSync(mkdtempSync(join(tmpdir(), "ficta-project-")));
  mkdirSync(join(project, ".git"));
  const context: CommandContext = {
    cwd: project,
    env: { PATH: `${bin}:/usr/bin:/bin`, HOME: project },
    trustRoot: project,
  };
  const tool = (name: string, script: string, dir = bin) => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${script}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  return { bin, project, context, tool };
}

function source(argv: string[], extra: Partial<CommandSource> = {}): CommandSource {
  return { name: "vault", argv, format: "auto", timeout_ms: 5_000, ...extra };
}

function output(): SourceOutput {
  return { kind: "command", name: "t", status: "loaded", found: [], skipped: {} };
}

// Stand-in executables are POSIX shell scripts.
const posix = process.platform !== "win32";

describe.if(posix)("command output", () => {
  test("a JSON object: strings kept, nested and non-string values skipped with reasons", async () => {
    const { context, tool } = setup();
    const a = fake();
    const b = fake();
    tool(
      "vault-json",
      `cat <<'JSON'\n{"A": "${a}", "B": "${b}\\nline2", "N": 12345678, "O": {"x": "y"}, "L": []}\nJSON`,
    );
    const out = await runCommand({ source: source(["vault-json"]), missing: "error" }, context);
    expect(out.status).toBe("loaded");
    expect(out.found).toEqual([{ name: "A", value: a }, { name: "B", value: `${b}\nline2` }]);
    expect(out.skipped).toEqual({ "not a string": 1, "nested value": 2 });
  });

  test("dotenv output, with spellings", async () => {
    const { context, tool } = setup();
    const a = fake();
    tool("vault-env", `printf 'export A=${a}\\nB="${a}\\\\n2"\\n'`);
    const out = await runCommand({ source: source(["vault-env"]), missing: "error" }, context);
    expect(out.found).toEqual([
      { name: "A", value: a },
      { name: "B", value: `${a}\n2`, spellings: [`${a}\\n2`] },
    ]);
  });

  test("format json refuses text; auto reads an Infisical-style array", () => {
    const notJson = output();
    parseOutput(`A=${fake()}`, "json", notJson);
    expect(notJson).toMatchObject({
      status: "error",
      error: "output is not valid JSON",
      found: [],
    });
    const a = fake();
    const array = output();
    parseOutput(JSON.stringify([{ key: "A", value: a }, { bogus: 1 }]), "auto", array);
    expect(array.found).toEqual([{ name: "A", value: a }]);
    expect(array.skipped).toEqual({ "not a name/value pair": 1 });
  });

  test("arguments are passed as is, no shell; the launch directory is the cwd", async () => {
    const { context, tool, project } = setup();
    tool("vault-args", `printf '{"ARG": "%s", "CWD": "%s"}' "$1" "$(pwd)"`);
    const out = await runCommand(
      { source: source(["vault-args", "$(echo no) ; *"]), missing: "error" },
      context,
    );
    expect(out.found).toEqual([
      { name: "ARG", value: "$(echo no) ; *" },
      { name: "CWD", value: project },
    ]);
  });

  test("a minimal environment: PATH, HOME and what the source names, never FICTA_*", async () => {
    const { context, tool } = setup();
    tool("vault-envdump", `env -0 | tr '\\0' '\\n' | sed -n 's/^\\([A-Z_]*\\)=.*/\\1=x/p'`);
    context.env = {
      ...context.env,
      VAULT_TOKEN: fake(),
      VAULT_ADDR: "http://127.0.0.1:8200",
      OTHER_SECRET: fake(),
      FICTA_SURROGATE_KEY: fake(),
    };
    const out = await runCommand(
      {
        source: source(["vault-envdump"], { format: "dotenv", env: ["VAULT_*"] }),
        missing: "error",
      },
      context,
    );
    const names = out.found.map((f) => f.name);
    expect(names).toContain("PATH");
    expect(names).toContain("HOME");
    expect(names).toContain("VAULT_TOKEN");
    expect(names).toContain("VAULT_ADDR");
    expect(names).not.toContain("OTHER_SECRET");
    expect(names).not.toContain("FICTA_SURROGATE_KEY");
    expect(commandEnv({ A: "1", B_X: "2", B_Y: "3" }, ["A", "B_*"])).toEqual({
      A: "1",
      B_X: "2",
      B_Y: "3",
    });
  });
});

describe.if(posix)("command failures are errors without values", () => {
  test("a non-zero exit: the code only, never stderr or stdout", async () => {
    const { context, tool } = setup();
    const secret = fake();
    tool("vault-fail", `echo '{"A": "${secret}"}'; echo "${secret}" >&2; exit 3`);
    const out = await runCommand({ source: source(["vault-fail"]), missing: "error" }, context);
    expect(out).toEqual({
      kind: "command",
      name: "vault",
      status: "error",
      found: [],
      skipped: {},
      error: "exited with code 3",
    });
  });

  test("a timeout kills the command (and what it started) quickly", async () => {
    const { context, tool } = setup();
    tool("vault-slow", "sleep 30 & sleep 30");
    const started = performance.now();
    const out = await runCommand(
      { source: source(["vault-slow"], { timeout_ms: 200 }), missing: "error" },
      context,
    );
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(out).toMatchObject({ status: "error", error: "timed out after 200 ms", found: [] });
  });

  test("unparseable output says so without quoting it", async () => {
    const { context, tool } = setup();
    const secret = fake();
    tool("vault-garbage", `echo '{"A": ${secret}'`);
    const out = await runCommand({ source: source(["vault-garbage"]), missing: "error" }, context);
    expect(out).toMatchObject({ status: "error", error: "output is not valid JSON", found: [] });
  });

  test("an executable that cannot start is an error with its code", async () => {
    const { context, bin } = setup();
    writeFileSync(join(bin, "vault-noexec"), "\x7fELF not really");
    chmodSync(join(bin, "vault-noexec"), 0o755);
    const out = await runCommand({ source: source(["vault-noexec"]), missing: "error" }, context);
    expect(out).toMatchObject({ status: "error", found: [] });
    expect(out.error).toMatch(/^cannot run \(E[A-Z]+\)$/);
  });

  test("a missing executable: an error for a command, 'not found' for a preset", async () => {
    const { context } = setup();
    const command = await runCommand(
      { source: source(["no-such-tool"]), missing: "error" },
      context,
    );
    expect(command).toMatchObject({ status: "error", error: "no-such-tool: not found on PATH" });
    const preset = await runCommand(
      { source: source(["no-such-tool"]), missing: "not found" },
      context,
    );
    expect(preset.status).toBe("not found");
  });
});

describe.if(posix)(
  "executables are trusted only outside the tree and not writable by others",
  () => {
    test("resolved through PATH to the real path", () => {
      const { context, tool } = setup();
      const path = tool("vault-ok", "true");
      expect(trustedExecutable("vault-ok", context)).toEqual({ path });
    });

    test("inside the working tree: refused, also through PATH", async () => {
      const { context, tool, project } = setup();
      const inTree = join(project, "bin");
      mkdirSync(inTree, { mode: 0o755 });
      tool("vault-local", `echo '{"A":"${fake()}"}'`, inTree);
      context.env.PATH = `${inTree}:${context.env.PATH}`;
      const out = await runCommand({ source: source(["vault-local"]), missing: "error" }, context);
      expect(out.status).toBe("error");
      expect(out.error).toContain("inside the working tree");
      expect(out.found).toEqual([]);
      expect(trustedExecutable("./bin/vault-local", context)).toHaveProperty("refused");
    });

    test("group-writable executable: refused", () => {
      const { context, tool } = setup();
      chmodSync(tool("vault-gw", "true"), 0o775);
      expect(trustedExecutable("vault-gw", context)).toEqual({
        refused: `vault-gw: refusing ${
          join(context.env.PATH!.split(":")[0], "vault-gw")
        }, it is writable by group or others`,
      });
    });

    test("an executable in a directory writable by others: refused", () => {
      const { context, tool, bin } = setup();
      tool("vault-ow", "true");
      chmodSync(bin, 0o777);
      expect(trustedExecutable("vault-ow", context)).toHaveProperty("refused");
      chmodSync(bin, 0o700);
      expect(trustedExecutable("vault-ow", context)).toHaveProperty("path");
    });
  },
);
