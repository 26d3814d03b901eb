/** One readable line per registry source: names, statuses and counts, never a value. */
import type { Registry, SourceReport } from "./types.ts";

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
  const reasons = Object.entries(source.skipped).map(([reason, n]): [string, number] =>
    reason === SETTING && source.settings ? [`${reason} (${settingNames(source)})`, n] : [reason, n]
  );
  if (reasons.length > 0) {
    const total = reasons.reduce((sum, [, n]) => sum + n, 0);
    const why = reasons.length === 1
      ? reasons[0][0]
      : reasons.map(([reason, n]) => `${n} ${reason}`).join(", ");
    parts.push(`${total} skipped: ${why}`);
  }
  if (source.empty?.length) parts.push(`empty: ${source.empty.join(", ")}`);
  if (source.note) parts.push(source.note);
  return parts.join(", ");
}

/** The skip reason of plain settings; their names are shown (names are never secret). */
const SETTING = "a setting";
const SHOWN_NAMES = 3;

function settingNames(source: SourceReport): string {
  const names = source.settings!.map((s) => s.name);
  const more = names.length - SHOWN_NAMES;
  return names.slice(0, SHOWN_NAMES).join(", ") + (more > 0 ? ` and ${more} more` : "");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
