/**
 * The round trip with the real Codex CLI through `ficta codex exec`: the model `cat`s a dotenv
 * file with escaped quotes, a JSON config with an escaped password and a Kubernetes Secret whose
 * `data:` holds base64; writes each back with a here-document; edits the line next to the secret
 * with `apply_patch`; then prints a `$`-containing value with `echo "..."`. Every file must come
 * back byte for byte (except the edited line), and no request may carry any form of any value,
 * the one after the `echo` included (checked by test/leak-check.ts, which decodes what was sent).
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findLeaks, type LeakSecret } from "../leak-check.ts";
import {
  baseEnv,
  fictaCommand,
  OFFLINE_FLAGS,
  removeTempDirs,
  run,
  tempDirs,
  writeLogin,
} from "./harness.ts";
import { type Item, type ResponsesBody, startMockUpstream, toolOutputs } from "./mock-upstream.ts";

afterAll(removeTempDirs);

const SEP = "=====FICTA-SEP=====";

/** What the command printed, after Codex's header lines. */
function printed(output: string): string {
  const at = output.indexOf("Output:\n");
  return at >= 0 ? output.slice(at + "Output:\n".length) : output;
}

const exec = (cmd: string): Item => ({
  type: "function_call",
  name: "exec_command",
  arguments: JSON.stringify({ cmd }),
  deltaSize: 7,
});

test(
  "files read through ficta are written back byte for byte; echoed values stay protected",
  async () => {
    const dirs = tempDirs("round-trip");
    writeLogin(dirs.codexHome, "apikey");
    const id = crypto.randomUUID().replaceAll("-", "");
    // Fake values, generated per run.
    const quoted = `pa"ss\\wo'rd-${id.slice(0, 10)}`;
    const config = `cfg"pw\\x/${id.slice(10, 22)}`;
    const yaml = `yaml-pw-${id.slice(0, 8)}:é-${id.slice(22)}`;
    const dollar = `tok$HOME-\`x\`-${id.slice(4, 20)}`;
    const dotenv = [
      "# fake values for one test run",
      `QUOTED_PASSWORD="${quoted.replace(/[\\"]/g, "\\$&")}"`,
      "DEBUG=1",
      `CONFIG_PASSWORD="${config.replace(/[\\"]/g, "\\$&")}"`,
      `YAML_PASSWORD=${yaml}`,
      `DOLLAR_TOKEN='${dollar}'`,
      "",
    ].join("\n");
    const configJson = JSON.stringify({ db: { host: "db.internal", password: config } }, null, 2) +
      "\n";
    const secretYaml = [
      "apiVersion: v1",
      "kind: Secret",
      "metadata:",
      "  name: demo",
      "data:",
      `  password: ${new TextEncoder().encode(yaml).toBase64()}`,
      "",
    ].join("\n");
    writeFileSync(join(dirs.project, ".env"), dotenv);
    writeFileSync(join(dirs.project, "config.json"), configJson);
    writeFileSync(join(dirs.project, "secret.yaml"), secretYaml);
    const secrets: LeakSecret[] = [
      { name: "QUOTED_PASSWORD", value: quoted },
      { name: "CONFIG_PASSWORD", value: config },
      { name: "YAML_PASSWORD", value: yaml },
      { name: "DOLLAR_TOKEN", value: dollar },
    ];

    let dollarSurrogate = "";
    const script = (body: ResponsesBody): Item[] => {
      const outputs = toolOutputs(body);
      switch (outputs.length) {
        case 0:
          return [exec(`cat .env; echo ${SEP}; cat config.json; echo ${SEP}; cat secret.yaml`)];
        case 1: {
          // What the model saw of each file; it writes each back as it read it.
          const [env, json, secret] = printed(outputs[0]).split(`${SEP}\n`);
          dollarSurrogate = /^DOLLAR_TOKEN='(ficta_[A-Za-z0-9]{22})'$/m.exec(env)?.[1] ?? "";
          const heredoc = (file: string, text: string) =>
            `cat > ${file} <<'FICTA_EOF'\n${text}FICTA_EOF\n`;
          return [
            exec(
              heredoc("copy.env", env) + heredoc("copy.json", json) + heredoc("copy.yaml", secret),
            ),
          ];
        }
        case 2: {
          // The line after the secret changes; the secret's line is the patch's context.
          const env = printed(outputs[0]).split(`${SEP}\n`)[0];
          const secretLine = env.split("\n").find((l) => l.startsWith("QUOTED_PASSWORD="))!;
          const patch = [
            "*** Begin Patch",
            "*** Update File: copy.env",
            "@@",
            ` ${secretLine}`,
            "-DEBUG=1",
            "+DEBUG=0",
            "*** End Patch",
          ].join("\n");
          return [exec(`apply_patch <<'PATCH'\n${patch}\nPATCH`)];
        }
        case 3:
          return [exec(`echo "${dollarSurrogate}" > dollar.txt; echo "${dollarSurrogate}"`)];
        default:
          return [{ type: "message", text: "done" }];
      }
    };
    const upstream = startMockUpstream(script);
    try {
      const env = {
        ...baseEnv(dirs),
        FICTA_OPENAI_UPSTREAM: upstream.origin,
        FICTA_CHATGPT_UPSTREAM: upstream.origin,
      };
      const result = await run(
        [...fictaCommand(), "codex", "exec", "--json", ...OFFLINE_FLAGS, "Copy the settings."],
        { cwd: dirs.project, env, timeoutMs: 60_000 },
      );
      expect(result.code).toBe(0);
      const posts = upstream.received.filter((r) =>
        r.method === "POST" && r.url.endsWith("/responses")
      );
      expect(posts.length).toBe(5);
      expect(dollarSurrogate).toMatch(/^ficta_/);

      // Byte for byte: the copies, the edited line aside.
      const read = (file: string) => readFileSync(join(dirs.project, file), "utf8");
      expect(read("copy.json") === configJson).toBe(true);
      expect(read("copy.yaml") === secretYaml).toBe(true);
      expect(read("copy.env") === dotenv.replace("DEBUG=1", "DEBUG=0")).toBe(true);
      expect(read("dollar.txt") === `${dollar}\n`).toBe(true);

      // Nothing of any value left the machine, in any request; the last one carries the echo of
      // the `echo "..."` call and its output, replaced by the surrogate the model wrote.
      for (const [i, request] of upstream.received.entries()) {
        const sent = `${request.url}\n${JSON.stringify(request.headers)}\n${request.body}`;
        expect(findLeaks(sent, secrets), `request ${i + 1} (${request.url})`).toEqual([]);
      }
      const last = JSON.parse(posts[4].body) as ResponsesBody;
      const echoed = (last.input ?? []).filter((item) => item.type === "function_call").at(-1)!;
      expect(JSON.parse(echoed.arguments as string).cmd).toBe(
        `echo "${dollarSurrogate}" > dollar.txt; echo "${dollarSurrogate}"`,
      );
      expect(printed(toolOutputs(last).at(-1)!)).toBe(`${dollarSurrogate}\n`);
    } finally {
      await upstream.stop();
    }
  },
  90_000,
);
