/**
 * Claude Code as `ficta --help` lists it: constants only, so listing the commands evaluates
 * nothing else of the agent (agents/catalog.ts).
 */
export const claudeAbout = {
  name: "claude",
  title: "Claude Code",
  summary: "Run Anthropic's Claude Code CLI with secrets kept out of model requests.",
  usage: "ficta claude [claude arguments...]   (every argument is passed to Claude Code untouched)",
  /** The variables Claude Code reads a credential from: always protected, never enough for require. */
  credentialNames: new Set([
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "CLAUDE_CODE_OAUTH_TOKEN",
  ]) as ReadonlySet<string>,
} as const;
