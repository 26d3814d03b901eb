/** `ficta help claude`: what ficta adds to a launch of Claude Code, and its variables. */
export function claudeHelp(): string {
  return [
    "ficta claude [claude arguments...]",
    "",
    "Runs the real Claude Code with every model request through ficta's loopback proxy: registered",
    "values are swapped for surrogates before a request leaves, and restored in the answers.",
    "",
    "For this launch only (nothing is written to Claude Code's files):",
    "  ANTHROPIC_BASE_URL          http://localhost, with ANTHROPIC_UNIX_SOCKET: ficta's proxy on a",
    "                              socket only you can reach (a 127.0.0.1 port on Windows)",
    "  ANTHROPIC_CUSTOM_HEADERS    the per-launch proxy token (your own headers are kept)",
    "  NO_PROXY / no_proxy         loopback added, so an HTTPS_PROXY does not carry the requests",
    "  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1   unless you set it yourself",
    '  --settings \'{"env":{"ANTHROPIC_BASE_URL":...}}\'   only when a settings.json sets its own',
    "                              base URL (which would beat the environment); ficta says so",
    "",
    "Logins: ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN, CLAUDE_CODE_OAUTH_TOKEN and a Claude account",
    "login (~/.claude/.credentials.json) all work; their values are protected in every request.",
    "",
    "Refused: --bg, --remote-control, cloud sessions, attach/respawn/agents (background sessions),",
    "Bedrock/Vertex/Foundry, and a managed-settings.json or --settings that sets the base URL.",
    "A refused request shows `API Error: 451 ficta blocked this request: ...` once.",
    "",
    "Variables: FICTA_REAL_CLAUDE (the real claude), FICTA_ANTHROPIC_UPSTREAM (default",
    "https://api.anthropic.com).",
  ].join("\n");
}
