/**
 * Moves the "newest" Codex of the end-to-end matrix (`bun run bump:codex [VERSION]`; without a
 * version, npm's latest `@openai/codex`): pins it in package.json as the `codex-newest` alias and
 * in src/agents/codex/versions.ts, which `ficta doctor` reports. The pinned version stays.
 * Then run the matrix (`FICTA_TEST_CODEX=newest bun test test/e2e`) and record what changed in
 * docs/codex-versions.md before committing.
 */
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const VERSIONS_FILE = join(ROOT, "src", "agents", "codex", "versions.ts");
const LIST = /export const VERIFIED_CODEX_VERSIONS = \[([^\]]*)\] as const;/;

/** The versions file with its last ("newest") entry set to `version`. */
export function withNewest(source: string, version: string): string {
  const found = LIST.exec(source);
  if (!found) throw new Error("VERIFIED_CODEX_VERSIONS not found");
  const versions = found[1].split(",").map((v) => v.trim().replace(/^"|"$/g, "")).filter(Boolean);
  const next = [...versions.slice(0, -1), version];
  return source.replace(
    LIST,
    `export const VERIFIED_CODEX_VERSIONS = ${
      JSON.stringify(next)
        .replaceAll(",", ", ")
    } as const;`,
  );
}

async function output(argv: string[]): Promise<string> {
  const child = Bun.spawn(argv, { cwd: ROOT, stdout: "pipe", stderr: "inherit" });
  const [text, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  if (code !== 0) throw new Error(`${argv.join(" ")} exited with ${code}`);
  return text.trim();
}

if (import.meta.main) {
  const version = process.argv[2] ?? await output(["npm", "view", "@openai/codex", "version"]);
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`not a release version: ${version}`);
  const source = await Bun.file(VERSIONS_FILE).text();
  const updated = withNewest(source, version);
  if (updated === source) {
    console.log(`bump-codex: newest is already ${version}`);
  } else {
    await output(["bun", "add", "--dev", "--exact", `codex-newest@npm:@openai/codex@${version}`]);
    await Bun.write(VERSIONS_FILE, updated);
    console.log(
      `bump-codex: newest Codex is now ${version} (package.json, src/agents/codex/versions.ts)`,
    );
    console.log(
      "bump-codex: next: FICTA_TEST_CODEX=newest bun test test/e2e; docs/codex-versions.md",
    );
  }
}
