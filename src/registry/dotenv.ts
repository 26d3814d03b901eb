/**
 * The dotenv source: which files are read, and each file's values.
 *
 * Files are looked for in the launch directory and each parent up to the repository root (the
 * nearest directory holding `.git`, a directory or a worktree's file). Outside any repository
 * only the launch directory is read: walking up to `/` would pick up files of unrelated
 * projects (or a home directory's `.env`) that the user never meant to bring into this session.
 *
 * Below a launch directory inside a repository, the tree is searched too (a monorepo's
 * `apps/web/.env.local`), breadth first, within a depth, a file count and a directory count,
 * skipping dependency, build and VCS directories and never following a symbolic link.
 * `.gitignore` is not consulted: it usually lists exactly the files that hold the secrets.
 */
import { runtime } from "../runtime/mod.ts";
import { type Dirent, readdirSync, readFileSync, type Stats, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { parseDotenv } from "./dotenv-parse.ts";
import { dotenvFound, type SourceOutput } from "./found.ts";

/** A name part that marks a template or an example, not a file holding real values. */
const TEMPLATE_PARTS = new Set([
  "example",
  "examples",
  "sample",
  "samples",
  "template",
  "templates",
  "tmpl",
  "tpl",
  "dist",
  "schema",
]);
/** Editor swap files and code or data files that merely start with `.env.`: not dotenv text. */
const NOT_DOTENV_EXTENSIONS = new Set([
  "swp",
  "swo",
  "swn",
  "js",
  "mjs",
  "cjs",
  "jsx",
  "ts",
  "mts",
  "cts",
  "tsx",
  "json",
  "yaml",
  "yml",
  "toml",
  "md",
  "py",
  "rb",
  "sh",
]);

/** The entry at `path`, or undefined when it is absent or cannot be looked at (EACCES, ENOTDIR). */
function lookAt(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

export function repositoryRoot(start: string): string | null {
  for (let dir = start;; dir = dirname(dir)) {
    if (lookAt(join(dir, ".git"))) return dir;
    if (dirname(dir) === dir) return null;
  }
}

/** The directories to search, the launch directory first. */
export function searchDirectories(cwd: string, search: "up-to-root" | "cwd"): string[] {
  const root = search === "up-to-root" ? repositoryRoot(cwd) : null;
  if (!root) return [cwd];
  const dirs = [cwd];
  for (let dir = cwd; dir !== root; dir = dirname(dir)) dirs.push(dirname(dir));
  return dirs;
}

export function isDotenvCandidate(name: string): boolean {
  const parts = name.toLowerCase().split(".");
  if (parts.some((part) => TEMPLATE_PARTS.has(part))) return false;
  return parts.length < 2 || !NOT_DOTENV_EXTENSIONS.has(parts.at(-1)!);
}

/**
 * Absolute paths of the dotenv files to read: directory by directory from the launch
 * directory up, and within one directory in the order of `patterns` (then by name).
 */
export function discoverDotenvFiles(
  cwd: string,
  patterns: string[],
  search: "up-to-root" | "cwd",
): string[] {
  const globs = patterns.map((pattern) => runtime.glob(pattern));
  const files: string[] = [];
  for (const dir of searchDirectories(cwd, search)) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue; // an unreadable parent directory holds nothing we can protect
    }
    const picked = new Set<string>();
    for (const glob of globs) {
      for (const name of names) {
        if (picked.has(name) || !glob.match(name) || !isDotenvCandidate(name)) continue;
        const path = join(dir, name);
        if (!lookAt(path)?.isFile()) continue;
        picked.add(name);
        files.push(path);
      }
    }
  }
  return files;
}

/** How a file is named in reports and in `Secret.source`: relative to the launch directory. */
export function displayPath(cwd: string, path: string): string {
  return relative(cwd, path) || path;
}

export function readDotenvFile(path: string, display: string): SourceOutput {
  const output: SourceOutput = {
    kind: "dotenv",
    name: display,
    status: "loaded",
    found: [],
    skipped: {},
  };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    output.status = "error";
    output.error = `${display}: cannot read (${(error as NodeJS.ErrnoException).code ?? "error"})`;
    return output;
  }
  if (text.includes("\0")) {
    output.status = "error";
    output.error = `${display}: binary content, not a dotenv file`;
    return output;
  }
  const { entries, problems } = parseDotenv(text);
  output.found = entries.map(dotenvFound);
  if (problems.length > 0) {
    output.status = "error";
    const shown = problems.slice(0, 3).map((p) => `${display}:${p.line}: ${p.message}`);
    if (problems.length > 3) shown.push(`and ${problems.length - 3} more`);
    output.error = shown.join("; ");
    // What could not be parsed may still be a secret: protect its text as it stands.
    for (const problem of problems) {
      output.found.push({ name: `(unparsed line ${problem.line})`, value: problem.text.trim() });
    }
  }
  return output;
}

export interface NestedSearch {
  /** Directory levels below the launch directory (1: its children). */
  depth: number;
  maxFiles: number;
  /** Directory names or `*` patterns never entered. */
  skipDirs: string[];
}

/**
 * Directories looked into at most, so a huge tree cannot stall a launch (each costs ~15 us of
 * system calls; breadth first, so the shallow `apps/*` files are found before the limit).
 */
const MAX_DIRECTORIES = 1_000;

/**
 * Dotenv files below `cwd` (not in it: `discoverDotenvFiles` reads those), breadth first and by
 * name, with why the search stopped early if it did.
 */
export function discoverNestedDotenvFiles(
  cwd: string,
  patterns: string[],
  search: NestedSearch,
): { files: string[]; stopped?: string } {
  const globs = patterns.map((pattern) => runtime.glob(pattern));
  // Most files in a tree are source files: when every pattern starts with a literal character,
  // a name starting with another one is no candidate, without asking each glob.
  const literal = patterns.every((p) => p !== "" && !/[*?[{\\]/.test(p[0]));
  const firsts = literal ? new Set(patterns.map((p) => p[0])) : null;
  const skip = nameFilter(search.skipDirs);
  const files: string[] = [];
  // Each directory is read once: its files now, its subdirectories at the next level.
  let level = [entries(cwd)];
  let paths = [cwd];
  let visited = 0;
  for (let depth = 1; depth <= search.depth && level.length > 0; depth++) {
    const nextLevel: Dirent[][] = [];
    const nextPaths: string[] = [];
    for (let p = 0; p < level.length; p++) {
      for (const entry of level[p]) {
        if (!entry.isDirectory() || skip(entry.name)) continue;
        if (++visited > MAX_DIRECTORIES) {
          return { files, stopped: `searched ${MAX_DIRECTORIES} directories` };
        }
        const dir = join(paths[p], entry.name);
        const list = entries(dir);
        nextLevel.push(list);
        nextPaths.push(dir);
        const picked = new Set<string>();
        for (const glob of globs) {
          for (const file of list) {
            const name = file.name;
            if (firsts && !firsts.has(name[0])) continue;
            if (!file.isFile() || picked.has(name) || !glob.match(name)) continue;
            if (!isDotenvCandidate(name)) continue;
            if (files.length >= search.maxFiles) {
              return {
                files,
                stopped: `read ${search.maxFiles} files (registry.dotenv_max_files)`,
              };
            }
            picked.add(name);
            files.push(join(dir, name));
          }
        }
      }
    }
    level = nextLevel;
    paths = nextPaths;
  }
  return { files };
}

/** A matcher for names or `*` patterns; plain names are a set lookup (most entries are plain). */
function nameFilter(patterns: string[]): (name: string) => boolean {
  const names = new Set(patterns.filter((p) => !/[*?[{\\]/.test(p)));
  const globs = patterns.filter((p) => !names.has(p)).map((p) => runtime.glob(p));
  return (name) => names.has(name) || globs.some((glob) => glob.match(name));
}

/** A directory's entries by name; none when it cannot be read. Links are not followed. */
function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0
    );
  } catch {
    return [];
  }
}
