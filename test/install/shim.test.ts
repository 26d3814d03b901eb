import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  fictaCommand,
  isCompiled,
  isFictaShim,
  renderShim,
  SHIM_MARKER,
  shimTarget,
  shQuote,
} from "../../src/install/shim.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

describe("renderShim (POSIX sh)", () => {
  test("execs the command with codex and all arguments, under a marker line", () => {
    const text = renderShim("posix", ["/opt/ficta/bin/ficta"]);
    const lines = text.split("\n");
    expect(lines[0]).toBe("#!/bin/sh");
    expect(lines.some((l) => l.startsWith("#") && l.includes(SHIM_MARKER))).toBe(true);
    expect(text).toContain(`exec '/opt/ficta/bin/ficta' codex "$@"\n`);
    expect(isFictaShim(text)).toBe(true);
  });

  test("paths with spaces, quotes and $ reach exec literally", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ficta shim $HOME 'q' "));
    const printer = join(dir, "print args");
    writeFileSync(printer, `#!/bin/sh\nfor a in "$@"; do echo "[$a]"; done\n`, { mode: 0o755 });
    const shim = join(dir, "codex");
    writeFileSync(shim, renderShim("posix", [printer, "--flag=$x"]), { mode: 0o755 });
    const out = await Bun.$`${shim} exec "two words" ${"$PATH"}`.text();
    expect(out).toBe("[--flag=$x]\n[codex]\n[exec]\n[two words]\n[$PATH]\n");
  });

  test("shQuote survives a round trip through sh", async () => {
    const word = `it's "a" $(test) \`x\` \\ end`;
    expect(await Bun.$`sh -c ${`printf %s ${shQuote(word)}`}`.text()).toBe(word);
  });
});

describe("renderShim (Windows cmd)", () => {
  test("CRLF lines, quoted command, %* and the exit code passed on", () => {
    const text = renderShim("windows", ["C:\\Program Files\\ficta\\ficta.exe"]);
    expect(text).not.toMatch(/[^\r]\n/);
    const lines = text.split("\r\n");
    expect(lines[0]).toBe("@echo off");
    expect(lines).toContain('"C:\\Program Files\\ficta\\ficta.exe" codex %*');
    expect(lines).toContain("exit /b %ERRORLEVEL%");
    expect(isFictaShim(text)).toBe(true);
  });

  test("a % in a path is doubled so cmd does not expand it", () => {
    const text = renderShim("windows", ["C:\\100%\\ficta.exe"]);
    expect(text).toContain('"C:\\100%%\\ficta.exe" codex %*');
  });
});

describe("fictaCommand", () => {
  test("a source run is bun + src/main.ts, with cwd .env and bunfig kept out", () => {
    expect(isCompiled()).toBe(false);
    const command = fictaCommand();
    expect(command[0]).toBe(process.execPath);
    expect(command).toContain("--no-env-file");
    expect(command.at(-1)).toBe(join(import.meta.dir, "..", "..", "src", "main.ts"));
  });

  test("compiled entry points are recognised on POSIX and Windows", () => {
    expect(isCompiled("/$bunfs/root/ficta")).toBe(true);
    expect(isCompiled("B:/~BUN/root/ficta.exe")).toBe(true);
    expect(isCompiled("/home/u/ficta/src/main.ts")).toBe(false);
  });

  test("a file without the marker is not a shim", () => {
    expect(isFictaShim("#!/bin/sh\nexec node codex.js\n")).toBe(false);
  });
});

describe("shimTarget", () => {
  test("reads back the program of either template, quoting undone", () => {
    for (const path of ["/opt/ficta", "/home/o'brien/ficta $1", "C:\\100%\\ficta.exe"]) {
      expect(shimTarget(renderShim("posix", [path, "x"]))).toBe(path);
      expect(shimTarget(renderShim("windows", [path]))).toBe(path);
    }
    expect(shimTarget("#!/bin/sh\nexec node cli.js\n")).toBeNull();
  });
});
