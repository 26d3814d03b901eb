/**
 * The conversation the mock Claude model plays through `ficta claude -p`: read the secrets with
 * Bash, write a file with the surrogates it received (Write tool), write the same text with a
 * heredoc and echo one value in a Bash command (Bash `command`), then answer with them. Every
 * answer carries a signed thinking block, which Claude Code echoes back in its next request and
 * which must reach the mock byte for byte. The model only ever sees surrogates, so it learns them
 * from the tool output exactly as a real model would.
 */
import { type Block, type MessagesBody, toolResults } from "./mock-anthropic.ts";

export const WRITE_FILE = "written-by-write.txt";
export const HEREDOC_FILE = "written-by-heredoc.txt";
export const ECHO_FILE = "echoed-by-bash.txt";

/** Names the model must have received a surrogate for in the tool result of turn 1. */
export const CLAUDE_TURN1_NAMES = [
  "E2E_PLAIN",
  "E2E_QUOTED",
  "E2E_PEM",
  "E2E_DATABASE_URL",
  "E2E_UNICODE",
  "E2E_SERVICE_PASSWORD",
  "FICTA_KEY_FILE",
];

/**
 * Turn 1's command: the dotenv files, a process variable, ficta's key file, and Claude Code's own
 * credential and launch-header variables (`credential`: the auth variable of the mode).
 */
export function turn1Command(credential: string): string {
  return 'cat .env .env.local; echo "E2E_SERVICE_PASSWORD=$E2E_SERVICE_PASSWORD"; ' +
    `echo "FICTA_KEY_FILE=$(cat "$FICTA_HOME/key")"; echo "CREDENTIAL=$${credential}"; ` +
    'echo "HEADERS=$ANTHROPIC_CUSTOM_HEADERS"';
}

/** The text the model writes in turn 2 and 3, given each name's text (surrogates or values). */
export function claudeFileText(v: Record<string, string>): string {
  return [
    `plain: ${v.E2E_PLAIN}`,
    `quoted: ${v.E2E_QUOTED}`,
    "pem:",
    v.E2E_PEM,
    `url: ${v.E2E_DATABASE_URL}`,
    `unicode: ${v.E2E_UNICODE}`,
    `env: ${v.E2E_SERVICE_PASSWORD}`,
    `json: {"url":"${v.E2E_DATABASE_URL}","path":"${v.E2E_PLAIN}/${v.E2E_UNICODE}"}`,
  ].join("\n") + "\n";
}

export function claudeFinalText(v: Record<string, string>): string {
  return `Done. plain=${v.E2E_PLAIN} quoted=${v.E2E_QUOTED} url=${v.E2E_DATABASE_URL} ` +
    `unicode=${v.E2E_UNICODE} env=${v.E2E_SERVICE_PASSWORD}\npem:\n${v.E2E_PEM}`;
}

/** `NAME=ficta_...` / `NAME="ficta_..."` lines of a tool result. */
export function claudeSurrogatesIn(output: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const m of output.matchAll(/^([A-Z0-9_]+)="?(ficta_[A-Za-z0-9]{22})"?$/gm)) {
    found[m[1]] = m[2];
  }
  return found;
}

/** A signed thinking block as the real API sends one (the model never saw a value). */
export function thinkingBlock(turn: number): Block {
  const signature = crypto.getRandomValues(new Uint8Array(96)).toBase64();
  return {
    type: "thinking",
    thinking: `Turn ${turn}: I should use the tools. "quotes" \\ and ünïcode.`,
    signature,
  };
}

export interface ClaudeConversation {
  script: (body: MessagesBody) => Block[];
  seen: Record<string, string>;
  /** The thinking blocks the mock sent, in order, to find again in later requests. */
  thinking: Array<{ thinking: string; signature: string }>;
  turn1Output: string[];
}

/** `credential`: the auth variable of the mode; `project`: the absolute launch directory. */
export function claudeTurns(credential: string, project: string): ClaudeConversation {
  const seen: Record<string, string> = {};
  const thinking: ClaudeConversation["thinking"] = [];
  const turn1Output: string[] = [];
  const withThinking = (turn: number, blocks: Block[]): Block[] => {
    const block = thinkingBlock(turn);
    if (block.type === "thinking") {
      thinking.push({ thinking: block.thinking, signature: block.signature });
    }
    return [block, ...blocks];
  };
  const script = (body: MessagesBody): Block[] => {
    const results = toolResults(body);
    switch (results.length) {
      case 0:
        return withThinking(1, [{
          type: "tool_use",
          name: "Bash",
          input: { command: turn1Command(credential), description: "Read the settings" },
        }]);
      case 1: {
        turn1Output.push(results[0]);
        Object.assign(seen, claudeSurrogatesIn(results[0]));
        const missing = CLAUDE_TURN1_NAMES.filter((name) => !seen[name]);
        if (missing.length) return [{ type: "text", text: `MISSING ${missing.join(",")}` }];
        return withThinking(2, [{
          type: "tool_use",
          name: "Write",
          input: { file_path: `${project}/${WRITE_FILE}`, content: claudeFileText(seen) },
          splits: [3, 1, 2, 5, 1, 1, 7],
        }]);
      }
      case 2:
        return withThinking(3, [{
          type: "tool_use",
          name: "Bash",
          input: {
            command:
              `cat > ${HEREDOC_FILE} <<'FICTA_E2E_EOF'\n${
                claudeFileText(seen)
              }FICTA_E2E_EOF\nprintf '%s\\n' ${seen.E2E_QUOTED} > ${ECHO_FILE}; ` +
              `echo ${seen.E2E_QUOTED}`,
            description: "Write the file again",
          },
          splits: [2, 1, 3],
        }]);
      default:
        return withThinking(4, [{ type: "text", text: claudeFinalText(seen) }]);
    }
  };
  return { script, seen, thinking, turn1Output };
}
