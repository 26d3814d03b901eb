/**
 * Restore where values land in tool calls: JSON inside function-call `arguments` (escaped
 * twice), JavaScript literals in the `exec` tool, patch lines in `apply_patch`; and the `none`
 * policy that keeps surrogates out of tool calls.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { restoreText } from "./whole.ts";
import {
  codexTurn,
  type Event,
  parseSse,
  sessionFor,
  shellQuoted,
  sse,
  tokens,
  trickyValues,
  turnEvents,
} from "./fixtures.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

const values = trickyValues();
const names = Object.keys(values);
const session = sessionFor(Object.values(values));

type Item = { type: string; arguments?: string; input?: string; content?: { text: string }[] };

/** Every place a restored stream carries each text: deltas joined, .done events, items. */
function carried(output: string) {
  const events = parseSse(output) as Event[];
  const join = (type: string) =>
    events.filter((e) => e.type === type).map((e) => String(e.delta)).join("");
  const items = events.filter((e) => e.type === "response.output_item.done").map((e) =>
    e.item as Item
  );
  const completed = events.find((e) => e.type === "response.completed")?.response as {
    output: Item[];
  };
  const byType = (list: Item[], type: string) => list.find((i) => i.type === type)!;
  const pick = (type: string, field: "arguments" | "input") => [
    byType(items, type)[field],
    byType(completed.output, type)[field],
  ];
  const done = (type: string, field: string) => events.find((e) => e.type === type)?.[field];
  return {
    message: [
      join("response.output_text.delta"),
      done("response.output_text.done", "text"),
      byType(items, "message").content?.[0].text,
    ],
    arguments: [
      join("response.function_call_arguments.delta"),
      done("response.function_call_arguments.done", "arguments"),
      ...pick("function_call", "arguments"),
    ],
    input: [
      join("response.custom_tool_call_input.delta"),
      done("response.custom_tool_call_input.done", "input"),
      ...pick("custom_tool_call", "input"),
    ],
  };
}

/** Deltas cut right inside the first surrogate, at `at`. */
const cutAt = (at: number) => (text: string) => {
  const i = text.indexOf("ficta_");
  return i < 0 ? tokens(3)(text) : [text.slice(0, i + at), text.slice(i + at)];
};

describe("function-call arguments", () => {
  for (const [i, name] of names.entries()) {
    test(`decode to the real value at both nesting depths (${name})`, () => {
      const value = values[name];
      for (const at of [0, 1, 6, 7, 27, 28]) {
        const input = sse(turnEvents(codexTurn(() => session.surrogates[i]), cutAt(at)));
        const { output } = restoreText(input, { lookup: session.lookup, restoreIntoTools: "all" });
        const seen = carried(output);
        for (const text of seen.message) {
          expect(text).toBe(`Done. I set \`API_TOKEN\` to ${value} in \`.env\`.`);
        }
        for (const args of seen.arguments) {
          expect(JSON.parse(String(args))).toEqual({
            cmd: `printf '%s' ${shellQuoted(value)} > out.txt`,
            yield_time_ms: 10000,
          });
        }
      }
    });
  }
});

describe("restore_into_tools = none", () => {
  test("keeps surrogates in tool calls, restores text and reasoning, counts what it kept", () => {
    for (const [i, name] of names.entries()) {
      const surrogate = session.surrogates[i];
      for (const at of [3, 6, 17]) {
        const input = sse(turnEvents(codexTurn(() => surrogate), cutAt(at)));
        const { output, stats } = restoreText(input, {
          lookup: session.lookup,
          restoreIntoTools: "none",
          kind: "sse",
        });
        const seen = carried(output);
        for (const text of seen.message) expect(text).toContain(values[name]);
        for (const args of seen.arguments) {
          expect(JSON.parse(String(args)).cmd).toBe(`printf '%s' ${surrogate} > out.txt`);
        }
        for (const patch of seen.input) expect(patch).toContain(`+token: ${surrogate}\n`);
        expect(stats).toEqual({ restored: 10, unknown: 0, keptInTools: 8 });
        // Tool events are left byte for byte as they came.
        const toolEvents = (text: string) =>
          text.split("\n\n").filter((e) =>
            /"(function_call|custom_tool_call)/.test(e) && !e.includes("response.completed")
          );
        expect(toolEvents(output)).toEqual(toolEvents(input));
      }
    }
  });
});

/** Runs restored `exec` tool code (a function body returning a string). */
function run(code: string): string {
  return new Function(code)();
}

describe("the exec tool's JavaScript", () => {
  // Each case: code written with the surrogate S, and what running it must give for value v.
  const cases: [string, (s: string) => string, (v: string) => string][] = [
    ["double quotes", (s) => `return "printf '%s' ${s}";`, (v) => `printf '%s' ${v}`],
    ["single quotes", (s) => `return 'echo ' + '${s}';`, (v) => `echo ${v}`],
    [
      "template with a substitution before",
      (s) => "const k = 'x'; return `K=" + s + " ${k} " + s + "`;",
      (v) => `K=${v} x ${v}`,
    ],
    [
      "template nested in a substitution",
      (s) => "return `a ${'b' + `" + s + "`} c`;",
      (v) => `a b${v} c`,
    ],
    [
      "after comments holding quotes",
      (s) => `// it's "done"\n/* don't */ return "${s}"; // ${s}`,
      (v) => v,
    ],
    [
      "template after an escaped ${",
      (s) => "return `cost \\${ " + s + " }`;",
      (v) => "cost ${ " + v + " }",
    ],
    [
      "escaped quotes before it",
      (s) => `return "say \\"hi\\" to ${s}" + '\\' ${s}';`,
      (v) => `say "hi" to ${v}' ${v}`,
    ],
  ];
  for (const [label, code, expected] of cases) {
    test(`values land as JavaScript string literals: ${label}`, () => {
      for (const [i, name] of names.entries()) {
        const surrogate = session.surrogates[i];
        for (const pieces of [tokens(1), tokens(4), cutAt(5), tokens(1000)]) {
          const turn = {
            ...codexTurn(() => surrogate),
            customName: "exec",
            customInput: code(surrogate),
          };
          const input = sse(turnEvents(turn, pieces));
          const { output } = restoreText(input, {
            lookup: session.lookup,
            restoreIntoTools: "all",
          });
          for (const js of carried(output).input) {
            expect(run(String(js))).toBe(expected(values[name]));
          }
        }
      }
    });
  }
});

describe("the apply_patch tool", () => {
  test("a multi-line value continues on lines with the same marker", () => {
    const surrogate = session.surrogates[names.indexOf("pem")];
    const patch = (s: string) =>
      `*** Begin Patch\n*** Update File: .env\n@@\n DB_KEY="${s}"\n-OLD="${s}"\n+NEW="${s}"\n*** End Patch\n`;
    const marked = (marker: string) => values.pem.replaceAll("\n", "\n" + marker);
    const expected = `*** Begin Patch\n*** Update File: .env\n@@\n DB_KEY="${marked(" ")}"\n-OLD="${
      marked("-")
    }"\n+NEW="${marked("+")}"\n*** End Patch\n`;
    for (const pieces of [tokens(1), tokens(7), tokens(1000)]) {
      const turn = { ...codexTurn(() => surrogate), customInput: patch(surrogate) };
      const { output } = restoreText(sse(turnEvents(turn, pieces)), {
        lookup: session.lookup,
        restoreIntoTools: "all",
      });
      for (const text of carried(output).input) expect(text).toBe(expected);
    }
  });
});

describe("exec_command's shell command", () => {
  /** Runs a command line with bash; its standard output. */
  const bash = (cmd: string) => {
    const run = spawnSync("bash", ["-c", cmd], { env: { PATH: process.env.PATH ?? "" } });
    if (run.status !== 0) throw new Error(`bash failed: ${run.stderr.toString()}`);
    return run.stdout.toString();
  };
  const chomp = (v: string) => v.replace(/\n+$/, "");
  // Each case: a command written with the surrogate S, and what it must print for value v.
  const cases: [string, (s: string) => string, (v: string) => string][] = [
    ["a bare word", (s) => `printf '%s' ${s}`, (v) => v],
    ["an assignment", (s) => `K=${s}; printf '%s' "$K"`, (v) => v],
    ["single quotes", (s) => `printf '%s' 'pre-${s}-post'`, (v) => `pre-${v}-post`],
    ["double quotes", (s) => `printf '%s' "pre ${s}"`, (v) => `pre ${v}`],
    ["$'...' quotes", (s) => `printf '%s' $'${s}'`, (v) => v],
    ["double quotes after an escaped $(", (s) => `printf '%s' "\\$( ${s} )"`, (v) => `$( ${v} )`],
    ["a substitution in double quotes", (s) => `printf '%s' "$(printf '%s' ${s})"`, chomp],
    ["backquotes in double quotes", (s) => `printf '%s' "\`printf '%s' '${s}'\`"`, chomp],
    ["a quoted here-document", (s) => `cat <<'EOF'\n${s}\nEOF`, (v) => v + "\n"],
    ["a here-document", (s) => `cat <<-EOF\n\t${s}\n\tEOF`, (v) => v + "\n"],
    ["after a comment with a quote", (s) => `# it's ${s}\nprintf '%s' "${s}"`, (v) => v],
  ];
  for (const [label, command, expected] of cases) {
    test(`values are quoted for the shell: ${label}`, () => {
      for (const [i, name] of names.entries()) {
        // `cat <<-EOF` strips leading tabs of every line: not a place for values with tabs.
        if (label === "a here-document" && values[name].includes("\n\t")) continue;
        const surrogate = session.surrogates[i];
        const args = JSON.stringify({ cmd: command(surrogate), yield_time_ms: 1000 });
        for (const pieces of [tokens(3), cutAt(9), tokens(1000)]) {
          const turn = { ...codexTurn(() => surrogate), arguments: args };
          const input = sse(turnEvents(turn, pieces));
          const { output } = restoreText(input, {
            lookup: session.lookup,
            restoreIntoTools: "all",
          });
          const seen = carried(output).arguments;
          expect(new Set(seen).size).toBe(1);
          expect(bash(JSON.parse(String(seen[0])).cmd)).toBe(expected(values[name]));
        }
      }
    });
  }
});

describe("the apply_patch function tool", () => {
  test("a multi-line value in its patch input gets the line markers too", () => {
    const surrogate = session.surrogates[names.indexOf("pem")];
    const patch = (s: string) => `*** Begin Patch\n*** Add File: key.pem\n+${s}\n*** End Patch\n`;
    for (const pieces of [tokens(2), cutAt(11), tokens(1000)]) {
      const turn = {
        ...codexTurn(() => surrogate),
        functionName: "apply_patch",
        arguments: JSON.stringify({ input: patch(surrogate) }),
      };
      const { output } = restoreText(sse(turnEvents(turn, pieces)), {
        lookup: session.lookup,
        restoreIntoTools: "all",
      });
      for (const args of carried(output).arguments) {
        const { input } = JSON.parse(String(args));
        expect(input).toBe(patch(values.pem.replaceAll("\n", "\n+")));
        // What the file gets: every added line, markers removed.
        const added = input.split("\n").filter((l: string) => l.startsWith("+"));
        expect(added.map((l: string) => l.slice(1)).join("\n")).toBe(values.pem);
      }
    }
  });
});
