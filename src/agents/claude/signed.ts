/**
 * Signed content in a Messages request: `thinking` and `redacted_thinking` blocks Claude Code
 * echoes back verbatim (measured: exactly `{type, thinking, signature}`), which the API refuses
 * once changed ("blocks cannot be modified"). ficta never rewrites them: a registered value
 * inside one is a refusal (the gate's, shown as a 451), not a redaction. Redaction works on the
 * body's bytes, so this is checked before it: the texts returned here are gated on their own.
 */

const SIGNED = new Set(["thinking", "redacted_thinking"]);

/**
 * The JSON text of each signed block in a request body (`messages[].content[]`), or [] when the
 * body has none (the common case costs two substring searches) or is not JSON.
 */
export function signedBlocks(body: string): string[] {
  // A type spelled with `\u` escapes (`"redacted_\u0074hinking"`) is the same block to the API.
  if (!body.includes("thinking") && !body.includes("\\u")) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  const messages = (parsed as { messages?: unknown })?.messages;
  if (!Array.isArray(messages)) return [];
  const out: string[] = [];
  for (const message of messages) {
    const content = (message as { content?: unknown })?.content;
    if (!Array.isArray(content)) continue;
    for (const block of content) {
      const type = (block as { type?: unknown })?.type;
      if (typeof type === "string" && SIGNED.has(type)) out.push(JSON.stringify(block));
    }
  }
  return out;
}
