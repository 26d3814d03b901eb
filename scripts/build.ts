/**
 * Compiles the host binary to dist/ficta. Autoload of .env and bunfig.toml is off: a compiled
 * binary must not let the current directory change its behaviour (a bunfig `preload` runs code,
 * a .env can set HTTPS_PROXY).
 */
import { $ } from "bun";

export async function gitCommit(): Promise<string> {
  const result = await $`git rev-parse --short=12 HEAD`.nothrow().quiet();
  return result.exitCode === 0 ? result.stdout.toString().trim() : "";
}

export async function compile(target: Bun.Build.CompileTarget | undefined, outfile: string) {
  const result = await Bun.build({
    entrypoints: ["src/main.ts"],
    minify: true,
    define: { FICTA_BUILD_COMMIT: JSON.stringify(await gitCommit()) },
    compile: {
      ...(target ? { target } : {}),
      outfile,
      autoloadDotenv: false,
      autoloadBunfig: false,
    },
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error(`build failed for ${target ?? "host"}`);
  }
}

if (import.meta.main) {
  await compile(undefined, "dist/ficta");
  console.log("built dist/ficta");
}
