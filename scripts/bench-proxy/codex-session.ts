/**
 * Seeded, turn-by-turn Codex sessions for the proxy benchmark: the request bodies Codex 0.169/0.171
 * sends to a custom provider (`POST /v1/responses`, the whole history every turn, `store:false`,
 * `include:["reasoning.encrypted_content"]`), grown one turn at a time.
 *
 * A turn is what the model did and what came back: a `reasoning` item with a 2,000-character
 * `encrypted_content` blob, then one tool round (an `exec_command` function call whose `arguments`
 * are JSON inside a JSON string, a code-mode `exec` custom tool call, or an `apply_patch` call)
 * with its output in Codex's `Chunk ID / Wall time / Output:` wrapper, sometimes an assistant
 * message and a new user prompt. One output in five prints `NAME=value` lines (`cat .env`), some
 * commands `grep` for prefixes of values, some print JSON files (values JSON-escaped inside the
 * JSON string), some print base64 of a value, and `curl` commands carry values in headers. A
 * compaction item from an earlier compaction sits near the start, as in a long working day.
 *
 * Every value is a generated fake; nothing here is a real credential.
 */
import { seeded } from "../seeded.ts";

export interface BenchSecret {
  name: string;
  value: string;
  /** How the value is written in the `.env` file (the text after `NAME=`). */
  literal: string;
}

/** A line in a dotenv output that the upstream echoes back (so answers carry surrogates). */
export const ECHO_MARKER = "# bench: echo below";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64 = ALNUM + "+/";
const HEX = "0123456789abcdef";

export type Random = () => number;

function pick<T>(rand: Random, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)];
}

function chars(rand: Random, alphabet: string, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
  return s;
}

/** Credential shapes users keep in `.env` files; some have characters that need quoting. */
const SHAPES: { name: string; make: (rand: Random) => string }[] = [
  { name: "OPENAI_API_KEY", make: (r) => `sk-proj-${chars(r, ALNUM + "-_", 156)}` },
  { name: "GITHUB_TOKEN", make: (r) => `ghp_${chars(r, ALNUM, 36)}` },
  {
    name: "AWS_ACCESS_KEY_ID",
    make: (r) => `AKIA${chars(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}`,
  },
  { name: "AWS_SECRET_ACCESS_KEY", make: (r) => chars(r, B64, 40) },
  { name: "STRIPE_SECRET_KEY", make: (r) => `sk_live_${chars(r, ALNUM, 24)}` },
  {
    name: "SLACK_BOT_TOKEN",
    make: (r) => `xoxb-${chars(r, "0123456789", 12)}-${chars(r, ALNUM, 24)}`,
  },
  { name: "GOOGLE_API_KEY", make: (r) => `AIza${chars(r, ALNUM + "-_", 35)}` },
  { name: "SESSION_SECRET", make: (r) => chars(r, HEX, 64) },
  {
    name: "DATABASE_URL",
    make: (r) => `postgres://app:${chars(r, ALNUM, 20)}@db.internal:5432/app_${chars(r, ALNUM, 4)}`,
  },
  {
    name: "JWT_SIGNING_KEY",
    make: (r) => `eyJhbGciOiJIUzI1NiJ9.${chars(r, ALNUM + "-_", 60)}.${chars(r, ALNUM + "-_", 43)}`,
  },
  // Passwords with quotes, backslashes and `$`: quoted in .env, JSON-escaped on the wire.
  {
    name: "DB_PASSWORD",
    make: (r) => `${chars(r, ALNUM, 10)}"${chars(r, ALNUM, 4)}\\${chars(r, ALNUM, 6)}$x`,
  },
  { name: "SMTP_PASSWORD", make: (r) => `${chars(r, ALNUM + "!@#%^&*", 18)}` },
];

/** `n` fake secrets of the shapes above, named `<SHAPE>_<i>`, with their dotenv spellings. */
export function benchSecrets(n: number, seed = 0xf1c7a): BenchSecret[] {
  const rand = seeded(seed);
  return Array.from({ length: n }, (_, i) => {
    const shape = SHAPES[i % SHAPES.length];
    const value = shape.make(rand);
    const literal = /^[A-Za-z0-9_\-:/@.+=]*$/.test(value)
      ? value
      : `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
    return { name: `${shape.name}_${i}`, value, literal };
  });
}

export function dotenvText(secrets: readonly BenchSecret[]): string {
  return secrets.map((s) => `${s.name}=${s.literal}\n`).join("");
}

/**
 * Credential-shaped values nobody registered (a token printed by a command): ficta learns them
 * by shape. A fixed set, as a real session keeps meeting the same few.
 */
function unregistered(rand: Random): string[] {
  return Array.from(
    { length: 12 },
    (_, i) =>
      i % 2 === 0 ? `ghp_${chars(rand, ALNUM, 36)}` : `sk-ant-api03-${chars(rand, ALNUM, 93)}AA`,
  );
}

const WORDS = ("the a to of and in is it for on that with as this be are by file function return " +
  "const value error test config import export default async await string number if else " +
  "null undefined path request response token module build run output line src index").split(" ");

function prose(rand: Random, n: number): string {
  let s = "";
  while (s.length < n) s += pick(rand, WORDS) + (rand() < 0.1 ? ".\n" : " ");
  return s.slice(0, n);
}

function code(rand: Random, lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const indent = "  ".repeat(Math.floor(rand() * 3));
    const id = `${pick(rand, WORDS)}${chars(rand, ALNUM, 3)}`;
    out.push(
      pick(rand, [
        `${indent}const ${id} = await ${pick(rand, WORDS)}(${pick(rand, WORDS)}, "${id}");`,
        `${indent}if (${id} === null) return { error: "${prose(rand, 20).trim()}" };`,
        `${indent}// ${prose(rand, 50).trim()}`,
        `${indent}export function ${id}(input: string): number {`,
        `${indent}}`,
      ]),
    );
  }
  return out.join("\n");
}

function toolOutput(rand: Random, text: string): string {
  return `Chunk ID: ${chars(rand, HEX, 6)}\nWall time: 0.${
    chars(rand, "0123456789", 4)
  } seconds\n` +
    `Process exited with code 0\nOriginal token count: ${
      Math.ceil(text.length / 4)
    }\nOutput:\n${text}`;
}

function b64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

export interface SessionOptions {
  secrets: readonly BenchSecret[];
  seed?: number;
  /**
   * Average bytes a turn adds (default 6,000): turns that added less read a source file of the
   * missing size, as a model reading code does.
   */
  turnBytes?: number;
}

/**
 * One growing conversation. `turn()` adds one turn; `body()` is the next request, every item so
 * far included. Items are kept serialized, so a body costs a join, not a re-serialization.
 */
export class CodexSession {
  private readonly rand: Random;
  private readonly secrets: readonly BenchSecret[];
  private readonly foreign: string[];
  private readonly items: string[] = [];
  private readonly turnBytes: number;
  private readonly baseSize: number;
  private size = 0;
  private turns = 0;
  private call = 0;
  /** Next value to print in a dotenv output; walks the registry so every value shows up. */
  private cursor = 0;

  constructor(options: SessionOptions) {
    this.rand = seeded(options.seed ?? 0x5e55);
    this.secrets = options.secrets;
    this.turnBytes = options.turnBytes ?? 6_000;
    this.foreign = unregistered(this.rand);
    const r = this.rand;
    // Base instructions and tools (Codex 0.171 sends tools inside input as `additional_tools`).
    this.push({
      type: "message",
      role: "developer",
      content: [{ type: "input_text", text: prose(r, 14_000) }],
    });
    this.push({
      type: "additional_tools",
      tools: ["exec_command", "write_stdin", "apply_patch", "exec", "wait", "update_plan"].map((
        name,
      ) => ({
        type: "function",
        name,
        description: prose(r, 1_200),
        parameters: {
          type: "object",
          properties: { cmd: { type: "string", description: prose(r, 200) } },
        },
      })),
    });
    this.push({
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: `<environment_context>${prose(r, 600)}` }],
    });
    // What an earlier compaction left behind.
    this.push({ type: "compaction", encrypted_content: chars(r, B64, 6_000) });
    this.push({
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: prose(r, 800) }],
    });
    this.baseSize = this.size;
  }

  get turnCount(): number {
    return this.turns;
  }

  /** Size of `body()` in bytes (all ASCII but for a few escapes: close enough to steer by). */
  get approximateBytes(): number {
    return this.size + 300;
  }

  body(): string {
    return `{"model":"gpt-5.3-codex","instructions":"","input":[${this.items.join(",")}],` +
      `"tools":[],"tool_choice":"auto","parallel_tool_calls":false,` +
      `"reasoning":{"effort":"medium","summary":"auto"},"store":false,"stream":true,` +
      `"include":["reasoning.encrypted_content"],"prompt_cache_key":"0d1c2b3a-4f5e-6d7c-8b9a"}`;
  }

  /** Adds turns until the body reaches `bytes`. */
  growTo(bytes: number): this {
    while (this.approximateBytes < bytes) this.turn();
    return this;
  }

  turn(): void {
    const r = this.rand;
    this.turns++;
    this.push({
      type: "reasoning",
      id: `rs_${chars(r, HEX, 24)}`,
      summary: [{ type: "summary_text", text: prose(r, 120) }],
      content: null,
      encrypted_content: chars(r, B64, 2_000),
    });
    const kind = this.turns % 5 === 1
      ? "dotenv"
      : pick(r, ["exec", "exec", "code", "patch", "grep"]);
    switch (kind) {
      case "dotenv":
        this.execCommand("cat .env", this.dotenvOutput());
        break;
      case "exec": {
        const s = this.secret();
        const which = r();
        if (which < 0.3) {
          this.execCommand(
            `curl -sS -H "Authorization: Bearer ${s.value}" https://api.example.test/v1/items`,
            `{"items":[],"next":null}\n`,
          );
        } else if (which < 0.5) {
          // A JSON file printed: its values JSON-escaped once, then again in the output string.
          const config = JSON.stringify({ name: s.name.toLowerCase(), secret: s.value }, null, 2);
          this.execCommand("cat config/local.json", config);
        } else if (which < 0.6) {
          this.execCommand(`printf %s "$${s.name}" | base64`, `${b64(s.value)}\n`);
        } else if (which < 0.7) {
          this.execCommand("gh auth status", `Token: ${pick(r, this.foreign)}\n`);
        } else this.execCommand(`sed -n 1,120p src/${pick(r, WORDS)}.ts`, code(r, 80));
        break;
      }
      case "grep": {
        // A prefix of a value: never the value, so nothing to replace, but the matcher sees it.
        const s = this.secret();
        const prefix = s.value.slice(0, Math.min(12, s.value.length - 2)).replace(/["\\$]/g, "");
        this.execCommand(
          `grep -rn "${prefix}" src config`,
          `config/settings.ts:12:  const ${s.name.toLowerCase()} = process.env.${s.name};\n`,
        );
        break;
      }
      case "code":
        this.customExec(code(r, 60));
        break;
      case "patch":
        this.applyPatch();
        break;
    }
    if (r() < 0.3) {
      this.push({
        type: "message",
        role: "assistant",
        content: [{ type: "output_text", text: prose(r, 400) }],
      });
    }
    const missing = this.baseSize + this.turns * this.turnBytes - this.size;
    if (missing > 1_000) {
      this.execCommand(`sed -n 1,400p src/${pick(r, WORDS)}.ts`, code(r, Math.ceil(missing / 52)));
    }
    if (this.turns % 10 === 0) {
      this.push({
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: prose(r, 300) }],
      });
    }
  }

  private push(item: unknown): void {
    const json = JSON.stringify(item);
    this.items.push(json);
    this.size += json.length + 1;
  }

  private secret(): BenchSecret {
    return pick(this.rand, this.secrets);
  }

  private dotenvOutput(): string {
    const lines = [ECHO_MARKER];
    for (let i = 0; i < 16 && this.secrets.length; i++) {
      const s = this.secrets[this.cursor++ % this.secrets.length];
      lines.push(`${s.name}=${s.literal}`);
    }
    lines.push(`LOG_LEVEL=debug`, `PORT=8080`);
    return lines.join("\n") + "\n";
  }

  private execCommand(cmd: string, output: string): void {
    const callId = `call_${++this.call}_${chars(this.rand, ALNUM, 16)}`;
    this.push({
      type: "function_call",
      name: "exec_command",
      arguments: JSON.stringify({ cmd, workdir: "/home/dev/project", yield_time_ms: 10_000 }),
      call_id: callId,
    });
    this.push({
      type: "function_call_output",
      call_id: callId,
      output: toolOutput(this.rand, output),
    });
  }

  private customExec(output: string): void {
    const callId = `call_${++this.call}_${chars(this.rand, ALNUM, 16)}`;
    const s = this.secret();
    this.push({
      type: "custom_tool_call",
      name: "exec",
      call_id: callId,
      input: `const r = await tools.exec_command({ cmd: ${
        JSON.stringify(`API_KEY=${s.value} npm test -- --grep config`)
      } });\ntext(r.output);`,
    });
    this.push({
      type: "custom_tool_call_output",
      call_id: callId,
      output: [{ type: "input_text", text: toolOutput(this.rand, output) }],
    });
  }

  private applyPatch(): void {
    const callId = `call_${++this.call}_${chars(this.rand, ALNUM, 16)}`;
    const s = this.secret();
    const file = `src/${pick(this.rand, WORDS)}.ts`;
    this.push({
      type: "custom_tool_call",
      name: "apply_patch",
      call_id: callId,
      input: `*** Begin Patch\n*** Update File: ${file}\n@@\n${
        code(this.rand, 6).split("\n").map((l) => ` ${l}`).join("\n")
      }\n-const fallback = "";\n+const fallback = process.env.${s.name} ?? ${
        JSON.stringify(s.value)
      };\n*** End Patch`,
    });
    this.push({
      type: "custom_tool_call_output",
      call_id: callId,
      output: [{
        type: "input_text",
        text: toolOutput(this.rand, `Success. Updated: M ${file}\n`),
      }],
    });
  }
}
