/**
 * Sets keys of one `[table]` in a TOML file's text, in place: every other line (comments, blank
 * lines, other tables, the order of keys) stays exactly as the user wrote it. smol-toml can only
 * re-serialise a whole document, which drops comments.
 */
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";

/**
 * `text` with `values` set in `[table]`, or null when the table is spelled in a way this editor
 * does not follow (dotted keys, an inline table): the caller then rewrites the whole document.
 */
export function setTableKeys(
  text: string,
  table: string,
  values: Record<string, unknown>,
): string | null {
  const lines = text.split("\n");
  const header = lines.findIndex((line) => isHeader(line, table));
  const doc = parseToml(text) as Record<string, unknown>;
  if (header < 0) {
    // No [table] header: the table must not be defined any other way either.
    if (table in doc) return null;
    const block = [`[${table}]`, ...Object.entries(values).map(([k, v]) => keyLine(k, v))];
    const base = text === "" || text.endsWith("\n") ? text : `${text}\n`;
    return `${base}${base.trim() === "" ? "" : "\n"}${block.join("\n")}\n`;
  }
  let end = lines.findIndex((line, i) => i > header && /^\s*\[/.test(line));
  if (end < 0) end = lines.length;
  let lastKey = header;
  for (const [key, value] of Object.entries(values)) {
    const at = findKey(lines, header + 1, end, key);
    if (at) {
      const comment = at.count === 1 ? trailingComment(lines[at.start], key) : "";
      const replacement = keyLine(key, value) + (comment ? ` ${comment}` : "");
      lines.splice(at.start, at.count, replacement);
      end -= at.count - 1;
      lastKey = Math.max(lastKey, at.start);
    } else {
      // After the table's last key, before any blank lines or comments that lead to the next.
      let insert = header + 1;
      for (let i = header + 1; i < end; i++) if (/^\s*[^\s#]/.test(lines[i])) insert = i + 1;
      insert = Math.max(insert, lastKey + 1);
      lines.splice(insert, 0, keyLine(key, value));
      end++;
      lastKey = insert;
    }
  }
  const out = lines.join("\n");
  // Whatever the spelling, the result must hold exactly these values: otherwise, don't guess.
  const got = (parseToml(out) as Record<string, Record<string, unknown>>)[table] ?? {};
  for (const [key, value] of Object.entries(values)) {
    if (JSON.stringify(got[key]) !== JSON.stringify(value)) return null;
  }
  return out;
}

function isHeader(line: string, table: string): boolean {
  const match = /^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$/.exec(line);
  return match !== null && match[1].replace(/["']/g, "") === table;
}

function keyLine(key: string, value: unknown): string {
  return stringifyToml({ [key]: value }).trim();
}

/** The lines `key = value` spans (a multi-line array takes several), or null. */
function findKey(
  lines: string[],
  from: number,
  to: number,
  key: string,
): { start: number; count: number } | null {
  const pattern = new RegExp(`^\\s*["']?${key.replace(/[^\w]/g, "\\$&")}["']?\\s*=`);
  for (let i = from; i < to; i++) {
    if (!pattern.test(lines[i])) continue;
    for (let j = i; j < to; j++) {
      try {
        const parsed = parseToml(lines.slice(i, j + 1).join("\n")) as Record<string, unknown>;
        if (key in parsed) return { start: i, count: j - i + 1 };
      } catch {
        // the value goes on over the next line
      }
    }
    return null;
  }
  return null;
}

/** The `# comment` after a one-line `key = value`, kept when the value is replaced. */
function trailingComment(line: string, key: string): string {
  for (let i = line.indexOf("#"); i >= 0; i = line.indexOf("#", i + 1)) {
    try {
      const parsed = parseToml(line.slice(0, i)) as Record<string, unknown>;
      if (key in parsed) return line.slice(i).trim();
    } catch {
      // that `#` is inside a string
    }
  }
  return "";
}
