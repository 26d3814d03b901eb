/**
 * The three-turn conversation the mock model plays: read the secrets, write a file with the
 * surrogates it received, answer with them. It only ever sees surrogates, so it learns them
 * from the tool output, exactly as a real model would.
 */
import { PROXY_TOKEN_ENV as TOKEN_ENV } from "../../src/agents/codex/overrides.ts";
import { type Item, type ResponsesBody, type Script, toolOutputs } from "./mock-upstream.ts";

export const OUTPUT_FILE = "written-by-codex.txt";

/** Names the model must have received a surrogate for in the tool output of turn 1. */
export const TURN1_NAMES = [
  "E2E_PLAIN",
  "E2E_QUOTED",
  "E2E_PEM",
  "E2E_DATABASE_URL",
  "E2E_UNICODE",
  "E2E_SERVICE_PASSWORD",
  "FICTA_KEY_FILE",
];

export const TURN1_COMMAND =
  'cat .env .env.local; echo "E2E_SERVICE_PASSWORD=$E2E_SERVICE_PASSWORD"; ' +
  `echo "${TOKEN_ENV}=$${TOKEN_ENV}"; echo "FICTA_KEY_FILE=$(cat "$FICTA_HOME/key")"`;

/** The file the model writes in turn 2, given each name's text (surrogates, or real values). */
export function fileText(v: Record<string, string>): string {
  return [
    `plain: ${v.E2E_PLAIN}`,
    `quoted: ${v.E2E_QUOTED}`,
    "pem:",
    v.E2E_PEM,
    `url: ${v.E2E_DATABASE_URL}`,
    `unicode: ${v.E2E_UNICODE}`,
    `env: ${v.E2E_SERVICE_PASSWORD}`,
    `json: {"url":"${v.E2E_DATABASE_URL}","path":"${v.E2E_PLAIN}/${v.E2E_UNICODE}"}`,
  ].join("\n");
}

/** The model's final answer in turn 3. */
export function finalText(v: Record<string, string>): string {
  return `Done. plain=${v.E2E_PLAIN} quoted=${v.E2E_QUOTED} url=${v.E2E_DATABASE_URL} ` +
    `unicode=${v.E2E_UNICODE} env=${v.E2E_SERVICE_PASSWORD}\npem:\n${v.E2E_PEM}`;
}

/** `NAME=ficta_...` or `NAME="ficta_..."` lines of a tool output. */
export function surrogatesIn(output: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const m of output.matchAll(/^([A-Z0-9_]+)="?(ficta_[A-Za-z0-9]{22})"?$/gm)) {
    found[m[1]] = m[2];
  }
  return found;
}

export interface Conversation {
  script: Script;
  /** Surrogates the model saw in turn 1's tool output, by name. */
  seen: Record<string, string>;
  /** Turn 1's tool output as the model received it. */
  turn1Output: string[];
}

/** `beforeTurn2` runs while Codex waits for turn 2, once the surrogates are known. */
export function threeTurns(
  beforeTurn2: (seen: Record<string, string>) => Promise<void> = () => Promise.resolve(),
): Conversation {
  const seen: Record<string, string> = {};
  const turn1Output: string[] = [];
  const script = async (body: ResponsesBody): Promise<Item[]> => {
    const outputs = toolOutputs(body);
    if (outputs.length === 0) {
      return [{
        type: "function_call",
        name: "exec_command",
        arguments: JSON.stringify({ cmd: TURN1_COMMAND }),
      }];
    }
    if (outputs.length === 1) {
      turn1Output.push(outputs[0]);
      Object.assign(seen, surrogatesIn(outputs[0]));
      const missing = TURN1_NAMES.filter((name) => !seen[name]);
      if (missing.length) return [{ type: "message", text: `MISSING ${missing.join(",")}` }];
      await beforeTurn2(seen);
      const heredoc = `cat > ${OUTPUT_FILE} <<'FICTA_E2E_EOF'\n${fileText(seen)}\nFICTA_E2E_EOF`;
      return [{
        type: "function_call",
        name: "exec_command",
        arguments: JSON.stringify({ cmd: heredoc }),
        deltaSize: 3,
      }];
    }
    return [{ type: "message", text: finalText(seen) }];
  };
  return { script, seen, turn1Output };
}
