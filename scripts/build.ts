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
    // Each lazily loaded command becomes its own chunk inside the binary. Without it the bundle
    // is one module, every node: builtin any command imports (zlib, crypto, readline, ...) is
    // loaded at startup, and `ficta --version` takes ~22 ms instead of ~7 ms.
    splitting: true,
    // Precompiled bytecode skips parsing at start-up (zod's schema code is the bulk): a launch
    // reaches Codex ~12 ms sooner. ESM keeps the lazily loaded chunks above working.
    bytecode: true,
    format: "esm",
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
