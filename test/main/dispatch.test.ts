import { describe, expect, test } from "bun:test";
import { dispatch, helpText } from "../../src/main.ts";
import { commands } from "../../src/cli/commands.ts";

function runArgs(argv: string[]) {
  const action = dispatch(argv);
  if (action.kind !== "run") throw new Error(`expected run, got ${action.kind}`);
  return { name: action.command.name, args: action.args };
}

describe("dispatch", () => {
  test("--version, -V and `version` print the version", () => {
    for (const argv of [["--version"], ["-V"], ["version"]]) {
      expect(dispatch(argv).kind).toBe("version");
    }
  });

  test("--help and `help` exit 0, no arguments is a usage error exit", () => {
    expect(dispatch(["--help"])).toEqual({ kind: "help", exit: 0 });
    expect(dispatch(["help"])).toEqual({ kind: "help", exit: 0 });
    expect(dispatch([])).toEqual({ kind: "help", exit: 2 });
  });

  test("help <command> shows that command's usage", async () => {
    const action = dispatch(["help", "codex"]);
    expect(action.kind).toBe("help");
    if (action.kind === "help") {
      expect(await helpText(action.command)).toContain("Usage: ficta codex");
    }
  });

  test("<command> --help / -h is that command's help, except an agent's (the agent's own)", () => {
    for (const c of commands.filter((c) => !("agent" in c && c.agent))) {
      for (const flag of ["--help", "-h"]) {
        expect(dispatch([c.name, flag])).toEqual({ kind: "help", command: c, exit: 0 });
      }
    }
    expect(dispatch(["codex", "--help"]).kind).toBe("run");
  });

  test("the command list has one line per command", async () => {
    const text = await helpText();
    for (const c of commands) expect(text).toContain(`  ${c.name} `);
  });

  test("unknown commands and flags are usage errors with a hint", () => {
    const unknown = dispatch(["codx"]);
    expect(unknown.kind).toBe("usage-error");
    if (unknown.kind === "usage-error") {
      expect(unknown.message).toContain("unknown command 'codx'");
      expect(unknown.message).toContain("Did you mean 'codex'?");
    }
    expect(dispatch(["help", "nope"]).kind).toBe("usage-error");
    expect(dispatch(["--bogus", "codex"]).kind).toBe("usage-error");
  });

  test("everything after the agent name reaches it untouched", () => {
    const passthrough = [
      ["exec", "--skip-git-repo-check", "say hi"],
      ["--version"],
      ["-V"],
      ["--help"],
      ["help"],
      ["--", "-c", "model=o3"],
      ["-c", "model_provider=openai", "-c", "k=v", "exec", "--json", "--", "--help"],
      ["--bogus", "-h", "", "  spaced  ", "ünïcode", "$HOME", "a=b=c"],
    ];
    for (const rest of passthrough) {
      expect(runArgs(["codex", ...rest])).toEqual({ name: "codex", args: rest });
    }
  });

  test("global flags before the command apply to ficta, not the agent", () => {
    expect(dispatch(["--version", "codex", "exec"]).kind).toBe("version");
  });
});
