/**
 * Claude Code as `ficta --help` lists it: constants only, so listing the commands evaluates
 * nothing else of the agent (agents/catalog.ts).
 */
export const claudeAbout = {
  name: "claude",
  title: "Claude Code",
  summary: "Run Anthropic's Claude Code CLI with secrets kept out of model requests.",
  usage: "ficta claude [claude arguments...]   (every argument is passed to Claude Code untouched)",
} as const;
