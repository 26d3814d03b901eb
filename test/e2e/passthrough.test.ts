/** Commands that make no model call reach the real Codex untouched and print what it prints. */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  baseEnv,
  currentCodex,
  fictaCommand,
  forEachCodex,
  removeTempDirs,
  run,
  tempDirs,
  writeLogin,
} from "./harness.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

afterAll(removeTempDirs);

forEachCodex((codex) => {
  for (const args of [["--version"], ["login", "status"], ["features", "list"]]) {
    test(`ficta codex ${args.join(" ")} prints exactly what codex prints`, async () => {
      const dirs = tempDirs("passthrough");
      writeLogin(dirs.codexHome, "chatgpt");
      const env = baseEnv(dirs);
      const [direct, wrapped] = await Promise.all([
        run([currentCodex().path, ...args], { cwd: dirs.project, env }),
        run([...fictaCommand(), "codex", ...args], { cwd: dirs.project, env }),
      ]);
      expect(wrapped.code).toBe(direct.code);
      expect(wrapped.stdout).toBe(direct.stdout);
      expect(wrapped.stderr).toBe(direct.stderr);
      expect(existsSync(join(dirs.fictaHome, "logs"))).toBe(false);
      // The matrix really runs the version it names.
      if (args[0] === "--version") expect(direct.stdout).toContain(codex.version);
    }, 30_000);
  }
});
