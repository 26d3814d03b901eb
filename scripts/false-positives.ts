/**
 * False positives of secret-shape detection on ordinary code and text: every plain-text file
 * (no NUL byte in its first 8 KiB) under `node_modules`, plus any directories given as
 * arguments. Prints MB scanned, detections by format, detections per 10 MB, and one line per
 * detection for inspection by hand: file:offset, format, and a masked excerpt (at most the first
 * four characters of the match, then its length). Never the match itself.
 *
 *   bun scripts/false-positives.ts [extra-dir ...]
 */
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { findShapes } from "../src/core/mod.ts";

const TARGET_PER_10MB = 1;
const roots = [join(import.meta.dir, "..", "node_modules"), ...process.argv.slice(2)];
// The engine scans request bodies as one char per byte: do the same.
const latin1 = new TextDecoder("latin1");

async function* files(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (entry.isFile()) yield path;
  }
}

function isText(bytes: Uint8Array): boolean {
  return !bytes.subarray(0, 8192).includes(0);
}

function mask(value: string): string {
  return `${value.slice(0, Math.min(4, value.length - 1))}… (${value.length} chars)`;
}

let bytesScanned = 0, fileCount = 0, scanMs = 0;
const byFormat: Record<string, number> = {};
const lines: string[] = [];
for (const root of roots) {
  for await (const path of files(root)) {
    const bytes = await Bun.file(path).bytes();
    if (!isText(bytes)) continue;
    const text = latin1.decode(bytes);
    const t0 = performance.now();
    const found = findShapes(text);
    scanMs += performance.now() - t0;
    bytesScanned += bytes.length;
    fileCount++;
    for (const m of found) {
      byFormat[m.format] = (byFormat[m.format] ?? 0) + 1;
      lines.push(`${relative(process.cwd(), path)}:${m.start} ${m.format} ${mask(m.value)}`);
    }
  }
}

const mb = bytesScanned / 1e6;
const total = lines.length;
const per10 = total / (mb / 10);
for (const line of lines) console.log(line);
console.log(
  `scanned ${mb.toFixed(1)} MB in ${fileCount} files (${(mb / (scanMs / 1000)).toFixed(0)} MB/s)`,
);
console.log(`detections by format: ${JSON.stringify(byFormat)}`);
console.log(
  `detections: ${total}, ${per10.toFixed(2)} per 10 MB (target <= ${TARGET_PER_10MB})`,
);
process.exitCode = per10 <= TARGET_PER_10MB ? 0 : 1;
