/**
 * Spellings and transport depth: which surrogate a form gets depends on where it sits; shell
 * spellings match what bash prints; overlapping values are protected over their union.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, test } from "bun:test";
import { jsonTextKeys, transportDepths } from "../../src/core/redact/depth.ts";
import { shellSpellings } from "../../src/core/restore/shell-words.ts";
import { SURROGATE_PATTERN } from "../../src/core/surrogate.ts";
import { findLeaks } from "../leak-check.ts";
import { bytes, engineFor, fakeValue, secret } from "./fakes.ts";

/** Codex's JSON-text key (its dialect's `json` calls). */
const ARGUMENTS = jsonTextKeys(["arguments"]);
const at = (body: string, needle: string) => bytes(body.slice(0, body.indexOf(needle))).length;

describe("transport depth", () => {
  test("0 outside strings, 1 in a body string, 2 in a string of `arguments` JSON", () => {
    const body = JSON.stringify({
      input: [
        { type: "function_call", arguments: JSON.stringify({ cmd: "echo AAA", n: 1 }) },
        { type: "function_call_output", output: '{"password": "BBB"}' },
        { type: "message", content: "CCC" },
      ],
    });
    const starts = ["AAA", "BBB", "CCC", ', "n"'].map((n) => at(body, n)).sort((a, b) => a - b);
    const depths = transportDepths(bytes(body), starts, ARGUMENTS);
    const byNeedle = Object.fromEntries(
      ["AAA", "BBB", "CCC"].map((n) => [n, depths[starts.indexOf(at(body, n))]]),
    );
    // A tool output that is JSON stays content: depth 1.
    expect(byNeedle).toEqual({ AAA: 2, BBB: 1, CCC: 1 });
    expect(transportDepths(bytes("plain AAA"), [6], ARGUMENTS)).toEqual([0]);
  });

  test("a quote escaped inside a nested string does not end it", () => {
    const args = JSON.stringify({ cmd: 'echo "x" AAA' });
    const body = JSON.stringify({ arguments: args });
    expect(transportDepths(bytes(body), [at(body, "AAA")], ARGUMENTS)).toEqual([2]);
  });
});

describe("a surrogate per spelling", () => {
  test("a JSON config's escaped password restores with its escapes; the value without", async () => {
    const value = `cfg"pw\\${fakeValue(12)}`;
    const engine = await engineFor([secret("PW", value)]);
    const config = JSON.stringify({ password: value });
    const out = JSON.parse((await engine.redactText(JSON.stringify({ output: config }))).output);
    const [surrogate] = out.output.match(SURROGATE_PATTERN);
    expect(engine.restoreText(surrogate).output).toBe(JSON.stringify(value).slice(1, -1));
    const raw = (await engine.redactText(JSON.stringify({ text: value }))).output;
    expect(engine.restoreText(JSON.parse(raw).text).output).toBe(value);
  });

  test("PHP's json_encode (`\\/` with `\\u00XX`) is caught and restored as written", async () => {
    const value = `https://é.example/${fakeValue(12)}`;
    const php = value.replaceAll("/", "\\/").replaceAll("é", "\\u00e9");
    const engine = await engineFor([secret("URL", value)]);
    const { output } = await engine.redactText(JSON.stringify({ output: `{"url":"${php}"}` }));
    expect(findLeaks(output, [{ name: "URL", value }])).toEqual([]);
    const [surrogate] = JSON.parse(output).output.match(SURROGATE_PATTERN);
    expect(engine.restoreText(surrogate).output).toBe(php);
  });

  test("overlapping values: the union is replaced, both are counted, it restores as it was", async () => {
    const middle = fakeValue(10);
    const a = fakeValue(10) + middle;
    const b = middle + fakeValue(10);
    const engine = await engineFor([secret("A", a), secret("B", b)]);
    const text = `x ${a}${b.slice(middle.length)} y`;
    const { output, counts } = await engine.redactText(text);
    expect(findLeaks(output, [{ name: "A", value: a }, { name: "B", value: b }])).toEqual([]);
    expect(output).not.toContain(b.slice(-10));
    expect(counts).toEqual({ A: 1, B: 1 });
    expect(engine.gateText(output)).toEqual([]);
    expect(engine.restoreText(output).output).toBe(text);
  });
});

describe("shell spellings", () => {
  const value = `a$b"c\\d\`e'f g(h)é${fakeValue(8)}`;

  function bash(script: string, env: Record<string, string>): string {
    const run = spawnSync("bash", ["-c", script], { env: { PATH: "/usr/bin:/bin", ...env } });
    return new TextDecoder().decode(run.stdout);
  }

  test("the text inside bash's own quoting is among them", () => {
    const spellings = shellSpellings(value);
    const declared = bash("declare -p X", { X: value, LANG: "C.UTF-8" });
    const inner = declared.slice(declared.indexOf('"') + 1, declared.lastIndexOf('"'));
    expect(spellings).toContain(inner);
    expect(spellings).toContain(bash('printf %q "$X"', { X: value, LANG: "C.UTF-8" }));
    const multi = `${value}\n\x01end`;
    const ansi = bash("declare -p X", { X: multi, LANG: "C" });
    expect(shellSpellings(multi)).toContain(ansi.slice(ansi.indexOf("$'") + 2, -2));
  });

  test("a `declare -p` line copied through a here-document comes back as printed", async () => {
    const engine = await engineFor([secret("X", value)]);
    const printed = bash("declare -p X", { X: value });
    const body = JSON.stringify({ input: [{ type: "function_call_output", output: printed }] });
    const seen = JSON.parse((await engine.redactText(body)).output).input[0].output;
    expect(seen).not.toContain("$b");
    const cmd = `cat <<'EOF'\n${seen}EOF`;
    const item = {
      type: "function_call",
      name: "exec_command",
      arguments: JSON.stringify({ cmd }),
    };
    const sse = `event: response.output_item.done\ndata: ${
      JSON.stringify({ type: "response.output_item.done", item })
    }\n\n`;
    const restored = JSON.parse(engine.restoreText(sse).output.split("data: ")[1]).item;
    expect(bash(JSON.parse(restored.arguments).cmd, {})).toBe(printed);
  });
});

describe("closed under restore", () => {
  const value = `a$b"c\\d\`e'f\n${fakeValue(8)}`;
  const contexts = [
    (s: string) => `echo "${s}"`,
    (s: string) => `echo '${s}'`,
    (s: string) => `echo ${s}`,
    (s: string) => `echo $'${s}'`,
    (s: string) => `cat <<EOF\n${s}\nEOF`,
    (s: string) => `cat <<'EOF'\n${s}\nEOF`,
    (s: string) => 'echo `printf %s "' + s + '"`',
    (s: string) => `echo "$(printf %s "${s}")"`,
  ];

  test("whatever ficta writes into a shell command is replaced when Codex echoes it", async () => {
    const engine = await engineFor([secret("V", value)]);
    const surrogate = (await engine.redactText(value)).output;
    for (const [i, context] of contexts.entries()) {
      const item = {
        type: "function_call",
        name: "exec_command",
        arguments: JSON.stringify({ cmd: context(surrogate) }),
      };
      const sse = `event: response.output_item.done\ndata: ${
        JSON.stringify({ type: "response.output_item.done", item })
      }\n\n`;
      const restored = JSON.parse(engine.restoreText(sse).output.split("data: ")[1]).item;
      expect(restored.arguments).not.toContain("ficta_");
      const echo = JSON.stringify({ input: [restored] });
      const { output } = await engine.redactText(echo);
      expect(findLeaks(output, [{ name: "V", value }]), `context ${i}`).toEqual([]);
      expect(JSON.parse(output).input[0].arguments, `context ${i}`).toContain(surrogate);
    }
  });
});
