/** One readable line per registry source: names, statuses and counts, never a value. */
import type { Registry, SourceReport } from "./index.ts";

/** e.g. `registry: .env (3 values, 1 skipped: shorter than min_len)`; callers prefix `ficta: `. */
export function reportLines(registry: Registry): string[] {
  return registry.sources.map((source) => `registry: ${source.name} (${describe(source)})`);
}

function describe(source: SourceReport): string {
  const parts: string[] = [];
  if (source.status !== "loaded") {
    parts.push(source.error ? `${source.status}: ${source.error}` : source.status);
  }
  if (source.status === "loaded" || source.values > 0) {
    parts.push(plural(source.values, "value"));
  }
  const reasons = Object.entries(source.skipped);
  if (reasons.length > 0) {
    const total = reasons.reduce((sum, [, n]) => sum + n, 0);
    const why = reasons.length === 1
      ? reasons[0][0]
      : reasons.map(([reason, n]) => `${n} ${reason}`).join(", ");
    parts.push(`${total} skipped: ${why}`);
  }
  return parts.join(", ");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
