import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  discoverDotenvFiles,
  isDotenvCandidate,
  readDotenvFile,
  repositoryRoot,
  searchDirectories,
} from "../../src/registry/dotenv.ts";

const fake = () => crypto.randomUUID().replaceAll("-", "");

/** root/.git, root/.env, root/app/.env.local, root/app/web (launch dir) with .env + templates. */
function project() {
  const top = realpathSync(mkdtempSync(join(tmpdir(), "ficta-dotenv-")));
  writeFileSync(join(top, ".env"), "OUTSIDE=outside-the-repository\n");
  const root = join(top, "repo");
  const app = join(root, "app");
  const web = join(app, "web");
  mkdirSync(join(root, ".git"), { recursive: true });
  mkdirSync(web, { recursive: true });
  writeFileSync(join(root, ".env"), "ROOT=root-value\n");
  writeFileSync(join(app, ".env.local"), "APP=app-value\n");
  for (const name of [".env", ".env.production.local", ".env.development"]) {
    writeFileSync(join(web, name), "WEB=web-value\n");
  }
  for (
    const name of [
      ".env.example",
      ".env.sample",
      ".env.template",
      ".env.dist",
      ".env.local.example",
      ".env.tpl",
      ".env.swp",
      ".env.d.ts",
      ".env.json",
    ]
  ) writeFileSync(join(web, name), "TEMPLATE=template-value\n");
  mkdirSync(join(web, ".env.d"));
  return { top, root, app, web };
}

describe("dotenv discovery", () => {
  test("the launch directory and each parent up to the repository root, nearest first", () => {
    const { top, root, app, web } = project();
    expect(repositoryRoot(web)).toBe(root);
    expect(searchDirectories(web, "up-to-root")).toEqual([web, app, root]);
    expect(discoverDotenvFiles(web, [".env", ".env.*"], "up-to-root")).toEqual([
      join(web, ".env"),
      join(web, ".env.development"),
      join(web, ".env.production.local"),
      join(app, ".env.local"),
      join(root, ".env"),
    ]);
    expect(discoverDotenvFiles(web, [".env", ".env.*"], "up-to-root")).not.toContain(
      join(top, ".env"),
    );
  });

  test("cwd mode reads the launch directory only", () => {
    const { web } = project();
    expect(discoverDotenvFiles(web, [".env"], "cwd")).toEqual([join(web, ".env")]);
  });

  test("outside any repository only the launch directory is read", () => {
    const { top } = project();
    const lone = join(top, "lone");
    mkdirSync(join(lone, "sub"), { recursive: true });
    writeFileSync(join(lone, ".env"), "X=1\n");
    expect(repositoryRoot(join(lone, "sub"))).toBeNull();
    expect(searchDirectories(join(lone, "sub"), "up-to-root")).toEqual([join(lone, "sub")]);
    expect(discoverDotenvFiles(join(lone, "sub"), [".env"], "up-to-root")).toEqual([]);
  });

  test("a .git file (worktree, submodule) marks a root too", () => {
    const { top } = project();
    const worktree = join(top, "wt");
    mkdirSync(join(worktree, "pkg"), { recursive: true });
    writeFileSync(join(worktree, ".git"), "gitdir: /elsewhere\n");
    expect(repositoryRoot(join(worktree, "pkg"))).toBe(worktree);
  });

  test("patterns pick files; order follows the patterns", () => {
    const { web } = project();
    expect(discoverDotenvFiles(web, [".env.development", ".env"], "cwd")).toEqual([
      join(web, ".env.development"),
      join(web, ".env"),
    ]);
    expect(discoverDotenvFiles(web, ["*.local"], "cwd")).toEqual([
      join(web, ".env.production.local"),
    ]);
  });

  test("templates, swap files and code files are never candidates", () => {
    for (const name of [".env.example", ".env.local.example", ".env.sample", ".env.dist"]) {
      expect(isDotenvCandidate(name)).toBe(false);
    }
    for (const name of [".env.swp", ".env.d.ts", ".env.json", "example.env"]) {
      expect(isDotenvCandidate(name)).toBe(false);
    }
    for (const name of [".env", ".env.local", ".env.production", ".env.test.local", ".env.bak"]) {
      expect(isDotenvCandidate(name)).toBe(true);
    }
  });
});

describe("reading one file", () => {
  test("values with their literal spelling when it differs", () => {
    const dir = mkdtempSync(join(tmpdir(), "ficta-dotenv-"));
    const a = fake();
    writeFileSync(join(dir, ".env"), `A=${a}\nB="${a}\\n\\"x\\""\n`);
    const output = readDotenvFile(join(dir, ".env"), ".env");
    expect(output.status).toBe("loaded");
    expect(output.found).toEqual([
      { name: "A", value: a },
      { name: "B", value: `${a}\n"x"`, spellings: [`${a}\\n\\"x\\"`] },
    ]);
  });

  test("a parse error names file and line, not the value, and still protects the text", () => {
    const dir = mkdtempSync(join(tmpdir(), "ficta-dotenv-"));
    const secret = fake();
    writeFileSync(join(dir, ".env"), `A=ok-value\nB="${secret}\n`);
    const output = readDotenvFile(join(dir, ".env"), ".env");
    expect(output.status).toBe("error");
    expect(output.error).toBe(".env:2: unterminated double quote");
    expect(output.error).not.toContain(secret);
    expect(output.found).toContainEqual({ name: "(unparsed line 2)", value: secret });
  });

  test.skipIf(process.getuid?.() === 0)("an unreadable file is an error without values", () => {
    const dir = mkdtempSync(join(tmpdir(), "ficta-dotenv-"));
    writeFileSync(join(dir, ".env"), `A=${fake()}\n`);
    chmodSync(join(dir, ".env"), 0o000);
    const output = readDotenvFile(join(dir, ".env"), ".env");
    expect(output).toMatchObject({ status: "error", error: ".env: cannot read (EACCES)" });
    expect(output.found).toEqual([]);
  });

  test("binary content is an error", () => {
    const dir = mkdtempSync(join(tmpdir(), "ficta-dotenv-"));
    writeFileSync(join(dir, ".env"), new Uint8Array([65, 61, 0, 1, 2]));
    expect(readDotenvFile(join(dir, ".env"), ".env").status).toBe("error");
  });
});
