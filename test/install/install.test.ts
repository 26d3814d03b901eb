import { describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { install, installedShimPath, manifestPath, uninstall } from "../../src/install/install.ts";
import { BLOCK_BEGIN } from "../../src/install/path-blocks.ts";
import { isFictaShim } from "../../src/install/shim.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);
import { codex } from "../../src/agents/codex/mod.ts";

const COMMAND = ["/opt/ficta/ficta"];

function tempHome(shell = "/bin/bash") {
  const home = mkdtempSync(join(tmpdir(), "ficta-install-"));
  return { home, env: { HOME: home, SHELL: shell } };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe("install", () => {
  test("writes an executable shim and one PATH block, then reports unchanged", () => {
    const { home, env } = tempHome();
    writeFileSync(join(home, ".bashrc"), "alias ll='ls -l'\n");
    const first = install({ env, command: COMMAND, platform: "posix" });
    const shim = join(home, ".ficta", "bin", "codex");
    expect(first.shim).toBe(shim);
    const claudeShim = join(home, ".ficta", "bin", "claude");
    expect(first.files.map((f) => [f.path, f.outcome])).toEqual([
      [shim, "written"],
      [claudeShim, "written"],
      [join(home, ".bashrc"), "written"],
      [join(home, ".profile"), "written"],
    ]);
    expect(mode(shim)).toBe(0o755);
    expect(readFileSync(shim, "utf8")).toContain(`exec '/opt/ficta/ficta' codex "$@"`);
    expect(mode(claudeShim)).toBe(0o755);
    expect(readFileSync(claudeShim, "utf8")).toContain(`exec '/opt/ficta/ficta' claude "$@"`);
    expect(mode(join(home, ".ficta"))).toBe(0o700);
    expect(mode(manifestPath(env))).toBe(0o600);
    expect(installedShimPath(env, "posix")).toBe(shim);

    const again = install({ env, command: COMMAND, platform: "posix" });
    expect(again.files.map((f) => f.outcome)).toEqual(Array(4).fill("unchanged"));
    const rc = readFileSync(join(home, ".bashrc"), "utf8");
    expect(rc.split(BLOCK_BEGIN).length - 1).toBe(1);
    expect(rc.startsWith("alias ll='ls -l'\n")).toBe(true);
  });

  test("FICTA_HOME moves the shim directory", () => {
    const { home, env } = tempHome();
    const fictaHome = join(home, "elsewhere");
    const result = install({ env: { ...env, FICTA_HOME: fictaHome }, command: COMMAND });
    expect(result.shim).toBe(join(fictaHome, "bin", "codex"));
    expect(readFileSync(join(home, ".bashrc"), "utf8")).toContain(join(fictaHome, "bin"));
  });

  test("a newer ficta path rewrites its own shim", () => {
    const { env } = tempHome();
    install({ env, command: COMMAND });
    const moved = install({ env, command: ["/usr/local/bin/ficta"] });
    expect(moved.files[0].outcome).toBe("written");
    expect(readFileSync(moved.shim, "utf8")).toContain("/usr/local/bin/ficta");
  });

  test("a foreign codex is skipped without --force, replaced with it", () => {
    const { home, env } = tempHome();
    const dir = join(home, "bin");
    mkdirSync(dir);
    writeFileSync(join(dir, "codex"), "#!/bin/sh\necho theirs\n", { mode: 0o755 });
    const skipped = install({ env, dir, command: COMMAND, agents: [codex] });
    expect(skipped.files).toEqual([expect.objectContaining({ outcome: "skipped" })]);
    expect(readFileSync(join(dir, "codex"), "utf8")).toBe("#!/bin/sh\necho theirs\n");
    expect(existsSync(join(home, ".bashrc"))).toBe(false);
    expect(existsSync(manifestPath(env))).toBe(false);

    const forced = install({ env, dir, command: COMMAND, force: true, agents: [codex] });
    expect(forced.files[0].outcome).toBe("written");
    expect(isFictaShim(readFileSync(join(dir, "codex"), "utf8"))).toBe(true);
    expect(installedShimPath(env)).toBe(join(dir, "codex"));
  });

  test("--force replaces a symlinked codex, never the file it points to", () => {
    const { home, env } = tempHome();
    const real = join(home, "real-codex");
    writeFileSync(real, "#!/bin/sh\necho real\n", { mode: 0o755 });
    const dir = join(home, "bin");
    mkdirSync(dir);
    symlinkSync(real, join(dir, "codex"));
    install({ env, dir, command: COMMAND, force: true });
    expect(readFileSync(real, "utf8")).toBe("#!/bin/sh\necho real\n");
    expect(lstatSync(join(dir, "codex")).isSymbolicLink()).toBe(false);
  });

  test("a symlinked startup file stays a symlink", () => {
    const { home, env } = tempHome();
    mkdirSync(join(home, "dotfiles"));
    writeFileSync(join(home, "dotfiles", "bashrc"), "set -o vi\n");
    symlinkSync(join(home, "dotfiles", "bashrc"), join(home, ".bashrc"));
    install({ env, command: COMMAND });
    expect(lstatSync(join(home, ".bashrc")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(home, "dotfiles", "bashrc"), "utf8")).toContain(BLOCK_BEGIN);
    uninstall({ env });
    expect(readFileSync(join(home, "dotfiles", "bashrc"), "utf8")).toBe("set -o vi\n");
  });

  test("--no-shell edits nothing and hands over the line to add", () => {
    const { home, env } = tempHome("/usr/bin/fish");
    const result = install({ env, command: COMMAND, shell: false });
    expect(result.files.length).toBe(2); // the codex and claude shims
    expect(existsSync(join(home, ".config"))).toBe(false);
    expect(result.manual).toEqual([
      `add to your shell startup file: set -gx PATH '${join(home, ".ficta", "bin")}' $PATH`,
    ]);
  });

  test("Windows: codex.cmd, no startup file, the PATH step spelled out", () => {
    const { home, env } = tempHome();
    const result = install({ env, command: ["C:\\ficta\\ficta.exe"], platform: "windows" });
    expect(result.shim).toBe(join(home, ".ficta", "bin", "codex.cmd"));
    expect(readFileSync(result.shim, "utf8")).toContain('"C:\\ficta\\ficta.exe" codex %*\r\n');
    expect(readFileSync(join(home, ".ficta", "bin", "claude.cmd"), "utf8")).toContain(
      '"C:\\ficta\\ficta.exe" claude %*\r\n',
    );
    expect(result.files.length).toBe(2);
    expect(existsSync(join(home, ".bashrc"))).toBe(false);
    expect(result.manual[0]).toContain(join(home, ".ficta", "bin"));
    expect(uninstall({ env }).map((f) => f.outcome)).toEqual(["removed", "removed"]);
  });
});

describe("uninstall", () => {
  test("removes shims and blocks it wrote for every shell, nothing else", () => {
    const { home, env } = tempHome("/bin/zsh");
    const before = {
      ".bashrc": "export A=1\n",
      ".bash_profile": ". ~/.bashrc\n",
      ".config/fish/config.fish": "set -x B 2\n",
    };
    for (const [name, text] of Object.entries(before)) {
      mkdirSync(join(home, name, ".."), { recursive: true });
      writeFileSync(join(home, name), text);
    }
    writeFileSync(join(home, ".profile"), "# untouched\n");
    const installed = install({ env, command: COMMAND });
    expect(installed.files.filter((f) => f.outcome === "written").length).toBe(6);

    const removed = uninstall({ env });
    expect(removed.every((f) => f.outcome === "removed")).toBe(true);
    expect(removed.length).toBe(6);
    for (const [name, text] of Object.entries(before)) {
      expect(readFileSync(join(home, name), "utf8")).toBe(text);
    }
    expect(existsSync(join(home, ".zshrc"))).toBe(false);
    expect(existsSync(join(home, ".config/fish/conf.d/ficta.fish"))).toBe(false);
    expect(readFileSync(join(home, ".profile"), "utf8")).toBe("# untouched\n");
    expect(existsSync(join(home, ".ficta", "bin"))).toBe(false);
    expect(existsSync(manifestPath(env))).toBe(false);
    expect(uninstall({ env })).toEqual([]);
  });

  test("finds a --dir install through its record; leaves a foreign codex alone", () => {
    const { home, env } = tempHome();
    const dir = join(home, "tools");
    install({ env, dir, command: COMMAND });
    const foreign = join(home, ".ficta", "bin", "codex");
    mkdirSync(join(foreign, ".."), { recursive: true });
    writeFileSync(foreign, "#!/bin/sh\necho mine\n");
    const files = uninstall({ env });
    expect(files).toContainEqual(expect.objectContaining({ path: foreign, outcome: "skipped" }));
    expect(files).toContainEqual(
      expect.objectContaining({ path: join(dir, "codex"), outcome: "removed" }),
    );
    expect(readFileSync(foreign, "utf8")).toBe("#!/bin/sh\necho mine\n");
  });
});
