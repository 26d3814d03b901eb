/**
 * The managed PATH block ficta keeps in shell startup files: between a begin and an end marker,
 * added once, replaced in place when it changes, and removed without touching anything else.
 */
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { type Env, userHome } from "../config/paths.ts";
import { shQuote } from "./shim.ts";

export type Shell = "bash" | "zsh" | "fish" | "profile";

export const BLOCK_BEGIN = "# >>> ficta >>>";
export const BLOCK_END = "# <<< ficta <<<";
const BLOCK_NOTE = "# Added by `ficta install` so that `codex` runs through ficta; " +
  "`ficta uninstall` removes this block.";

export interface StartupFile {
  shell: Shell;
  path: string;
}

/** Every file a block may live in, whether or not this machine uses that shell. */
export function startupFiles(env: Env): StartupFile[] {
  const home = userHome(env);
  const config = env.XDG_CONFIG_HOME || join(home, ".config");
  return [
    { shell: "bash", path: join(home, ".bashrc") },
    // Login bash (macOS terminals, ssh, `bash -l`) reads the first of .bash_profile, .bash_login
    // and .profile, and not .bashrc.
    { shell: "bash", path: join(home, ".bash_profile") },
    { shell: "bash", path: join(home, ".bash_login") },
    { shell: "zsh", path: join(env.ZDOTDIR || home, ".zshrc") },
    { shell: "fish", path: join(config, "fish", "conf.d", "ficta.fish") },
    { shell: "profile", path: join(home, ".profile") },
  ];
}

/**
 * Where `ficta install` puts the block: the user's login shell ($SHELL) and every other of
 * bash, zsh and fish already configured here; `~/.profile` when none of them is, and also for
 * bash without .bash_profile or .bash_login (a login bash reads .profile, never .bashrc).
 */
export function chosenStartupFiles(env: Env): StartupFile[] {
  const login = basename(env.SHELL ?? "");
  const all = startupFiles(env);
  const profile = all.filter((f) => f.shell === "profile");
  const bashLogin = (path: string) =>
    path.endsWith(".bash_profile") || path.endsWith(".bash_login");
  const chosen = all.filter(({ shell, path }) => {
    if (shell === "profile") return false;
    if (bashLogin(path)) return existsSync(path);
    if (shell === "fish") return login === "fish" || existsSync(join(path, "..", ".."));
    return login === shell || existsSync(path);
  });
  if (chosen.length === 0) return profile;
  const bash = chosen.some((f) => f.shell === "bash");
  // Without .bash_profile or .bash_login, .profile is the file a login bash reads.
  return bash && !chosen.some((f) => bashLogin(f.path)) ? [...chosen, ...profile] : chosen;
}

function fishQuote(word: string): string {
  return `'${word.replace(/[\\']/g, "\\$&")}'`;
}

/** The one line a user adds by hand (`--no-shell`). */
export function pathLine(shell: Shell, dir: string): string {
  return shell === "fish"
    ? `set -gx PATH ${fishQuote(dir)} $PATH`
    : `export PATH=${shQuote(dir)}:"$PATH"`;
}

/**
 * The block puts `dir` first on PATH unless it already is (nested shells). Being somewhere on
 * PATH is not enough: a version manager that prepends its own bin after a parent shell ran this
 * block would otherwise put an unprotected `codex` first.
 */
export function pathBlock(shell: Shell, dir: string): string {
  const body = shell === "fish"
    ? [
      `if test "$PATH[1]" != ${fishQuote(dir)}`,
      `    set -gx PATH ${fishQuote(dir)} $PATH`,
      "end",
    ]
    : [
      'case ":$PATH:" in',
      `  :${shQuote(dir)}:*) ;;`,
      `  *) export PATH=${shQuote(dir)}:"$PATH" ;;`,
      "esac",
    ];
  return [BLOCK_BEGIN, BLOCK_NOTE, ...body, BLOCK_END, ""].join("\n");
}

/** [start, end) of the first managed block in `text`, including its end line's newline. */
function findBlock(text: string): [number, number] | null {
  let start = 0;
  if (!text.startsWith(BLOCK_BEGIN)) {
    const at = text.indexOf(`\n${BLOCK_BEGIN}`);
    if (at < 0) return null;
    start = at + 1;
  }
  const endMarker = text.indexOf(`\n${BLOCK_END}`, start);
  if (endMarker < 0) return null;
  const lineEnd = text.indexOf("\n", endMarker + 1);
  return [start, lineEnd < 0 ? text.length : lineEnd + 1];
}

/** `text` with `block` in it: the existing block replaced in place, else appended after a blank line. */
export function withBlock(text: string, block: string): string {
  const found = findBlock(text);
  if (found) return text.slice(0, found[0]) + block + withoutBlock(text.slice(found[1]));
  if (text === "") return block;
  return text + (text.endsWith("\n") ? "\n" : "\n\n") + block;
}

/** `text` without any managed block, and without the blank line `withBlock` put before it. */
export function withoutBlock(text: string): string {
  let found = findBlock(text);
  while (found) {
    let [start] = found;
    if (text.slice(0, start).endsWith("\n\n")) start -= 1;
    text = text.slice(0, start) + text.slice(found[1]);
    found = findBlock(text);
  }
  return text;
}
