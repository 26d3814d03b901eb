/**
 * The layout stays layered: every import in src/ (static, dynamic, type-only) goes to the same
 * layer or one below, no module imports itself around a cycle, scripts/ never imports test/, and
 * test/ imports only the scripts' pure helpers it tests (listed below). Layers, low to high:
 *
 *   core, runtime < config, registry, report < proxy < agents < session, install < cli < main
 *
 * core (web standards only) and runtime (the Bun and Deno adapters) sit side by side and never
 * import each other.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const SRC = join(ROOT, "src");

/** The rank of each top-level folder (or file) of src/. Same rank: may import each other. */
const RANKS: Record<string, number> = {
  core: 0,
  runtime: 0,
  config: 1,
  registry: 1,
  report: 1,
  "version.ts": 1,
  proxy: 2,
  agents: 3,
  session: 4,
  install: 4,
  cli: 5,
  "main.ts": 6,
};

/**
 * Imports across layers of equal rank that would still be wrong: the lower-level folders of
 * rank 1 import config and core only, never each other's neighbours above config.
 */
const SAME_RANK_ORDER: Record<string, string[]> = {
  core: ["core"],
  runtime: ["runtime"],
  config: ["core", "config", "version.ts"],
};

/**
 * The scripts whose pure functions tests exercise (docs tables, archives, checksums, release
 * manifests, the Codex version bump). Any other import from test/ into scripts/ fails.
 */
const TESTED_SCRIPTS = new Set([
  "scripts/archive.ts",
  "scripts/build-all.ts",
  "scripts/bump-codex.ts",
  "scripts/distribution.ts",
  "scripts/docs.ts",
  "scripts/release.ts",
]);

function files(dir: string, ext = /\.ts$/): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && ext.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Relative specifiers of every import, export-from and dynamic import in `text`. */
export function importsOf(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /(?:^|[\s;])(?:import|export)\s[^"';]*?\sfrom\s*["']([^"']+)["']/g,
    /(?:^|[\s;])import\s*["']([^"']+)["']/g,
    /import\(\s*["']([^"']+)["']\s*\)/g,
  ];
  // Comments may quote imports in examples.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) found.push(match[1]);
  }
  return found.filter((spec) => spec.startsWith("."));
}

function layerOf(file: string): string {
  return relative(SRC, file).split(/[\\/]/)[0];
}

function graph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of files(SRC)) {
    const targets = importsOf(readFileSync(file, "utf8"))
      .filter((spec) => spec.endsWith(".ts"))
      .map((spec) => resolve(dirname(file), spec));
    edges.set(file, targets);
  }
  return edges;
}

describe("layers", () => {
  test("every layer of src/ has a rank", () => {
    const unranked = readdirSync(SRC).filter((name) => !(name in RANKS));
    expect(unranked).toEqual([]);
  });

  test("no import goes up a layer", () => {
    const upward: string[] = [];
    for (const [file, targets] of graph()) {
      const from = layerOf(file);
      for (const target of targets) {
        const to = layerOf(target);
        const allowed = SAME_RANK_ORDER[from];
        const wrong = RANKS[to] > RANKS[from] ||
          (allowed !== undefined && RANKS[to] === RANKS[from] && !allowed.includes(to));
        if (wrong) upward.push(`${relative(ROOT, file)} -> ${relative(ROOT, target)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  test("no import cycle in src/", () => {
    const edges = graph();
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (file: string) => {
      state.set(file, "open");
      stack.push(file);
      for (const target of edges.get(file) ?? []) {
        if (state.get(target) === "open") {
          const cycle = stack.slice(stack.indexOf(target)).concat(target);
          cycles.push(cycle.map((f) => relative(SRC, f)).join(" -> "));
        } else if (!state.has(target)) visit(target);
      }
      stack.pop();
      state.set(file, "done");
    };
    for (const file of edges.keys()) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  test("scripts/ never imports test/; test/ only the scripts it tests", () => {
    const crossing: string[] = [];
    for (const [from, other] of [["scripts", "test"], ["test", "scripts"]]) {
      for (const file of files(join(ROOT, from))) {
        for (const spec of importsOf(readFileSync(file, "utf8"))) {
          const target = relative(ROOT, resolve(dirname(file), spec)).replaceAll("\\", "/");
          if (target.split("/")[0] !== other) continue;
          if (from === "test" && TESTED_SCRIPTS.has(target)) continue;
          crossing.push(`${relative(ROOT, file)} -> ${target}`);
        }
      }
    }
    expect(crossing).toEqual([]);
  });

  test("the import reader sees every form", () => {
    const text = [
      'import { a } from "./a.ts";',
      'import type { B } from "../b.ts";',
      'export { c } from "./c.ts";',
      'const d = await import("./d.ts");',
      'import "./e.ts";',
      'import { parse } from "smol-toml";',
      '/** import { f } from "./f.ts"; */',
    ].join("\n");
    expect(importsOf(text).sort()).toEqual(["../b.ts", "./a.ts", "./c.ts", "./d.ts", "./e.ts"]);
  });
});
