/**
 * Codex as `ficta --help` lists it: constants only, so listing the commands evaluates nothing
 * else of the agent (agents/catalog.ts).
 */
export const codexAbout = {
  name: "codex",
  title: "Codex",
  summary: "Run the OpenAI Codex CLI with secrets kept out of model requests.",
  usage: "ficta codex [codex arguments...]   (every argument is passed to Codex untouched)",
  /** Codex's own credential variables: registered like any value, never enough for require. */
  credentialNames: new Set([
    "CODEX_API_KEY",
    "OPENAI_API_KEY",
    "CODEX_ACCESS_TOKEN",
  ]) as ReadonlySet<
    string
  >,
} as const;
