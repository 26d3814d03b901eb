import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BLOCK_BEGIN,
  BLOCK_END,
  chosenStartupFiles,
  pathBlock,
  pathLine,
  type Shell,
  withBlock,
  withoutBlock,
} from "../../src/install/path-blocks.ts";

/** Whether `text` holds a managed block: removing blocks changes it. */
const hasBlock = (text: string) => withoutBlock(text) !== text;

const DIR = "/home/u/my dir/.ficta/bin";

describe("managed blocks", () => {
  for (const shell of ["bash", "zsh", "fish", "profile"] as Shell[]) {
    test(`${shell}: added once, replaced in place, removed cleanly`, () => {
      const original = "# mine\nexport EDITOR=vi\n";
      const once = withBlock(original, pathBlock(shell, DIR));
      expect(once.startsWith(original)).toBe(true);
      expect(once.split(BLOCK_BEGIN).length - 1).toBe(1);
      expect(withBlock(once, pathBlock(shell, DIR))).toBe(once);

      const moved = withBlock(once + "alias x=y\n", pathBlock(shell, "/other"));
      expect(moved.split(BLOCK_BEGIN).length - 1).toBe(1);
      expect(moved).toContain("/other");
      expect(moved).not.toContain(DIR);
      expect(moved.endsWith("alias x=y\n")).toBe(true);

      expect(withoutBlock(once)).toBe(original);
      expect(withoutBlock(moved)).toBe(original + "alias x=y\n");
    });
  }

  test("an empty file gets only the block and loses it again", () => {
    const text = withBlock("", pathBlock("zsh", DIR));
    expect(text.startsWith(BLOCK_BEGIN)).toBe(true);
    expect(withoutBlock(text)).toBe("");
  });

  test("a file without a final newline keeps its last line intact", () => {
    const text = withBlock("export A=1", pathBlock("bash", DIR));
    expect(text.startsWith("export A=1\n\n" + BLOCK_BEGIN)).toBe(true);
    expect(withoutBlock(text)).toBe("export A=1\n");
  });

  test("markers that are not at a line start, or a begin without an end, are not a block", () => {
    expect(hasBlock(`echo "${BLOCK_BEGIN}"\necho "${BLOCK_END}"\n`)).toBe(false);
    expect(hasBlock(`${BLOCK_BEGIN}\nexport PATH=x\n`)).toBe(false);
    expect(withoutBlock(`${BLOCK_BEGIN}\nkeep me\n`)).toBe(`${BLOCK_BEGIN}\nkeep me\n`);
  });

  test("duplicate blocks (hand-copied) are all removed", () => {
    const block = pathBlock("bash", DIR);
    expect(withoutBlock(`a\n\n${block}b\n\n${block}`)).toBe("a\nb\n");
  });
});

describe("the blocks run", () => {
  async function pathAfter(shell: string, block: string, path: string): Promise<string> {
    const script = `${block}\nprintf %s "$PATH"`;
    const program = Bun.which(shell)!;
    return await Bun.$`${program} -c ${script}`.env({ PATH: path }).text();
  }

  for (const shell of ["sh", "bash"]) {
    test(`${shell}: the directory goes first, once, even when sourced twice`, async () => {
      const block = pathBlock("bash", DIR);
      const base = "/usr/bin:/bin";
      expect(await pathAfter(shell, block, base)).toBe(`${DIR}:${base}`);
      expect(await pathAfter(shell, block + block, base)).toBe(`${DIR}:${base}`);
      expect(await pathAfter(shell, pathLine("bash", DIR), base)).toBe(`${DIR}:${base}`);
      expect(await pathAfter(shell, block, DIR)).toBe(DIR);
      // Already on PATH but behind a version manager's bin: moved to the front again.
      expect(await pathAfter(shell, block, `/nvm/bin:${DIR}:${base}`)).toBe(
        `${DIR}:/nvm/bin:${DIR}:${base}`,
      );
    });
  }

  test("fish block syntax", () => {
    const block = pathBlock("fish", "/a/it's");
    expect(block).toContain(`if test "$PATH[1]" != '/a/it\\'s'`);
    expect(block).toContain("    set -gx PATH '/a/it\\'s' $PATH");
    expect(pathLine("fish", "/x")).toBe("set -gx PATH '/x' $PATH");
  });
});

describe("chosenStartupFiles", () => {
  function home(files: string[]) {
    const dir = mkdtempSync(join(tmpdir(), "ficta-home-"));
    for (const f of files) {
      mkdirSync(join(dir, f, ".."), { recursive: true });
      writeFileSync(join(dir, f), "");
    }
    return dir;
  }
  const names = (h: string, env: Record<string, string>) =>
    chosenStartupFiles({ HOME: h, ...env }).map((f) => f.path.slice(h.length + 1));

  test("the login shell's file, even when it does not exist yet", () => {
    const h = home([]);
    expect(names(h, { SHELL: "/bin/zsh" })).toEqual([".zshrc"]);
    expect(names(h, { SHELL: "/usr/bin/fish" })).toEqual([".config/fish/conf.d/ficta.fish"]);
    // bash without a login file: .profile too, which is what a login bash reads.
    expect(names(h, { SHELL: "/bin/bash" })).toEqual([".bashrc", ".profile"]);
  });

  test("a login bash reads .bash_profile or .bash_login when there is one, so no .profile", () => {
    expect(names(home([".bash_login"]), { SHELL: "/bin/bash" })).toEqual([
      ".bashrc",
      ".bash_login",
    ]);
    expect(names(home([".bash_profile"]), { SHELL: "/bin/bash" })).toEqual([
      ".bashrc",
      ".bash_profile",
    ]);
  });

  test("other shells already configured here, and .bash_profile when it exists", () => {
    const h = home([".bashrc", ".bash_profile", ".config/fish/config.fish"]);
    expect(names(h, { SHELL: "/bin/zsh" })).toEqual([
      ".bashrc",
      ".bash_profile",
      ".zshrc",
      ".config/fish/conf.d/ficta.fish",
    ]);
  });

  test("~/.profile otherwise; ZDOTDIR and XDG_CONFIG_HOME respected", () => {
    const h = home([]);
    expect(names(h, { SHELL: "/bin/ksh" })).toEqual([".profile"]);
    expect(names(h, { SHELL: "/bin/zsh", ZDOTDIR: join(h, "zdot") })).toEqual(["zdot/.zshrc"]);
    expect(names(h, { SHELL: "/bin/fish", XDG_CONFIG_HOME: join(h, "xdg") })).toEqual([
      "xdg/fish/conf.d/ficta.fish",
    ]);
  });
});
