/** The GitHub workflows parse, pin the toolchain we test with, and run scripts that exist. */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parse } from "yaml";
import pkg from "../../package.json" with { type: "json" };
import { ROOT } from "./fixture.ts";

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
}
interface Job {
  "runs-on": string;
  needs?: string | string[];
  steps: Step[];
  permissions?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

async function workflow(name: string): Promise<Workflow> {
  return parse(await Bun.file(join(ROOT, ".github", "workflows", name)).text()) as Workflow;
}

const BUN_VERSION = pkg.packageManager.replace(/^bun@/, "");

function runs(job: Job): string {
  return job.steps.map((s) => s.run ?? "").join("\n");
}

function expectPinnedBun(job: Job) {
  const setup = job.steps.find((s) => s.uses?.startsWith("oven-sh/setup-bun@"));
  expect(String(setup?.with?.["bun-version"])).toBe(BUN_VERSION);
  expect(runs(job)).toContain("bun install --frozen-lockfile");
}

describe("workflows", () => {
  for (const name of ["ci.yml", "release.yml"]) {
    test(`${name}: every \`bun run X\` names a package.json script`, async () => {
      const wf = await workflow(name);
      const all = Object.values(wf.jobs).map(runs).join("\n");
      const used = [...all.matchAll(/\bbun run ([\w:-]+)/g)].map((m) => m[1]);
      expect(used.length).toBeGreaterThan(0);
      for (const script of used) expect(Object.keys(pkg.scripts)).toContain(script);
    });
  }

  test("ci.yml: pinned Bun, frozen install, check, build, the tests against the binary", async () => {
    const wf = await workflow("ci.yml");
    expect(Object.keys(wf.on).sort()).toEqual(["pull_request", "push"]);
    expect(wf.permissions).toEqual({ contents: "read" });
    const job = wf.jobs.test;
    expectPinnedBun(job);
    const order = ["bun run check", "bun run build", "bun test"].map((cmd) =>
      job.steps.findIndex((s) => s.run?.includes(cmd))
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const tests = job.steps.find((s) => s.run === "bun test")!;
    expect(tests.env?.FICTA_TEST_BINARY).toContain("dist/ficta");
  });

  test("release.yml: on v* tags, builds, re-signs macOS on macOS, verifies, uploads", async () => {
    const wf = await workflow("release.yml");
    expect(wf.on).toEqual({ push: { tags: ["v*"] } });
    expect(wf.permissions).toEqual({ contents: "read" });
    const { build, sign, publish } = wf.jobs;
    expectPinnedBun(build);
    expect(runs(build)).toContain('"$GITHUB_REF_NAME" != "v$version"');
    expect(runs(build)).toContain("bun run build:all");

    expect(sign["runs-on"]).toMatch(/^macos-/);
    const signInput = sign.steps.find((s) => s.uses?.startsWith("actions/download-artifact"));
    expect(signInput?.with?.name).toBe("darwin-unsigned");
    expect(sign.needs).toBe("build");
    expect(runs(sign)).toContain("for target in darwin-arm64 darwin-x64; do");
    expect(runs(sign)).toContain('codesign --force --sign - "dist/$target/ficta"');
    expect(runs(sign)).toContain('codesign --verify --strict --verbose=2 "dist/$target/ficta"');

    expect(publish.needs).toBe("sign");
    expect(publish.permissions).toEqual({ contents: "write" });
    expectPinnedBun(publish);
    const script = runs(publish);
    const steps = [
      "bun run build:all --no-compile",
      "bun run release",
      "bun test test/dist",
      "gh release create",
    ].map((cmd) => script.indexOf(cmd));
    expect(steps.every((i) => i >= 0)).toBe(true);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    for (const asset of ["dist/*.tar.gz", "dist/*.zip", "dist/SHA256SUMS", "dist/install.sh"]) {
      expect(script).toContain(asset);
    }
    expect(script).toContain("Formula/ficta.rb dist/ficta.rb");
    expect(script).toContain("bucket/ficta.json dist/ficta.json");
    // The signed macOS binaries must land on top of the unsigned ones before packing.
    const downloads = publish.steps.filter((s) => s.uses?.startsWith("actions/download-artifact"));
    expect(downloads.map((s) => s.with?.name)).toEqual(["binaries", "darwin-signed"]);
  });
});
