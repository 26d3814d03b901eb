/**
 * Codex's turn in doctor's live self-test (cli/doctor-self-test.ts plays it through the real
 * proxy): a Responses API request with the values as `cat .env` output and inside an echoed
 * `exec_command` call, and the SSE a model would stream back, each surrogate cut across two
 * deltas, with an `exec_command` whose `cmd` holds the quoted value.
 *
 * ```ts
 * const body = codexSelfTest.request({ plain, quoted });
 * const { sse, text, command } = codexSelfTest.answer({ plain: "ficta_…", quoted: "ficta_…" });
 * ```
 */
import type { SelfTestTurn } from "../agent.ts";

/** `s` cut in the middle of `token`. */
function cut(s: string, token: string): string[] {
  const at = s.indexOf(token) + Math.floor(token.length / 2);
  return [s.slice(0, at), s.slice(at)];
}

/** The `cmd` of `exec_command` arguments (JSON text), if they parse. */
function commandOf(args: string | undefined): string | undefined {
  try {
    const cmd = JSON.parse(args ?? "").cmd as unknown;
    return typeof cmd === "string" ? cmd : undefined;
  } catch {
    return undefined;
  }
}

export const codexSelfTest: SelfTestTurn = {
  path: "/v1/responses",

  request: ({ plain, quoted }) =>
    JSON.stringify({
      model: "ficta-doctor",
      stream: true,
      input: [
        {
          type: "function_call_output",
          call_id: "call_prev",
          output: `Output:\n${plain.name}=${plain.value}\n${quoted.name}=${quoted.value}\n`,
        },
        {
          type: "function_call",
          call_id: "call_prev",
          name: "exec_command",
          arguments: JSON.stringify({ cmd: `echo ${plain.value} ${quoted.value}` }),
        },
      ],
    }),

  answer({ plain, quoted }) {
    const text = `the plain value is ${plain} and the quoted one is ${quoted}.`;
    // Inside single quotes the shell takes the value as written, so the restored command holds
    // it verbatim (a bare word would be re-quoted for the shell).
    const command = `printf '%s\\n' '${quoted}'`;
    const args = JSON.stringify({ cmd: command, yield_time_ms: 1000 });
    const events: Record<string, unknown>[] = [
      { type: "response.created", response: { id: "resp_doctor", status: "in_progress" } },
      ...cut(text, plain).flatMap((part) => cut(part, quoted)).filter(Boolean).map((delta) => ({
        type: "response.output_text.delta",
        item_id: "msg_doctor",
        output_index: 0,
        content_index: 0,
        delta,
      })),
      ...cut(args, quoted).map((delta) => ({
        type: "response.function_call_arguments.delta",
        item_id: "fc_doctor",
        output_index: 1,
        delta,
      })),
      {
        type: "response.output_item.done",
        output_index: 1,
        item: {
          type: "function_call",
          id: "fc_doctor",
          call_id: "call_doctor",
          name: "exec_command",
          arguments: args,
        },
      },
      {
        type: "response.completed",
        response: {
          id: "resp_doctor",
          status: "completed",
          usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
        },
      },
    ];
    const sse = events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
    return { sse, text, command };
  },

  /** What Codex would take from the stream: the text deltas and the tool call's arguments. */
  read(sse) {
    let text = "";
    let deltaArgs = "";
    let doneArgs: string | undefined;
    for (const block of sse.split("\n\n")) {
      const data = block.split("\n").find((line) => line.startsWith("data: "));
      if (!data) continue;
      const event = JSON.parse(data.slice("data: ".length));
      if (event.type === "response.output_text.delta") text += event.delta;
      if (event.type === "response.function_call_arguments.delta") deltaArgs += event.delta;
      if (event.type === "response.output_item.done") doneArgs = event.item.arguments;
    }
    return { text, commands: [commandOf(deltaArgs), commandOf(doneArgs)] };
  },
};
