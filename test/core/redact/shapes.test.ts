import { describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  findShapes,
  looksLikeCredential,
  SHAPE_FORMATS,
  type ShapeMatch,
} from "../../../src/core/redact/shapes.ts";
import {
  BASE62,
  BASE64,
  fakes,
  password,
  pem,
  prompt,
  random,
  sentryDsn,
  slackWebhook,
  toolCall,
  toolOutput,
} from "./shapes-fakes.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

/** The one match in `text`, checked against the credential and its spelling in `text`. */
function only(text: string, format: string, value: string, spelling = value): ShapeMatch {
  const found = findShapes(text);
  expect(found.map((m) => m.format)).toEqual([format]);
  const [m] = found;
  expect(m.value).toBe(value);
  expect(text.slice(m.start, m.end)).toBe(spelling);
  return m;
}

describe("each format is detected where secrets really leak", () => {
  for (const [format, variant, credential] of fakes()) {
    describe(`${format} (${variant})`, () => {
      test("pasted into a prompt", () => {
        only(
          prompt(`my key is ${credential}, can you wire it into the client?`),
          format,
          credential,
        );
      });

      test("printed by a command (function_call_output, JSON-escaped)", () => {
        const env = `NODE_ENV=production\nSERVICE_TOKEN=${credential}\nPORT=8080\n`;
        only(toolOutput(env), format, credential);
      });

      test("quoted in a config file the model read", () => {
        only(toolOutput(`{\n  "token": "${credential}",\n  "retries": 3\n}`), format, credential);
      });

      test("in a tool call's arguments (JSON inside a JSON string)", () => {
        only(
          toolCall(`curl -H 'Authorization: Bearer ${credential}' https://api.test/v1`),
          format,
          credential,
        );
      });

      test("alone, as a whole value", () => {
        only(credential, format, credential);
        expect(looksLikeCredential(credential)).toBe(true);
        expect(looksLikeCredential(` ${credential}\n`)).toBe(true);
      });

      test("among non-ASCII text, as a string and as the engine's one-char-per-byte view", () => {
        const text = prompt(`🔑 clé: ${credential} — merci`);
        only(text, format, credential);
        only(new TextDecoder("latin1").decode(new TextEncoder().encode(text)), format, credential);
      });

      test("right after an escaped line break or quote", () => {
        only(`"a\\n${credential}\\n"`, format, credential);
        only(`"\\u0027${credential}\\u0027"`, format, credential);
        only(`KEY='${credential}'`, format, credential);
      });
    });
  }

  test("AWS secret keys, when named", () => {
    const secret = random(BASE64, 40);
    const spellings = [
      `aws_secret_access_key = ${secret}`,
      `AWS_SECRET_ACCESS_KEY="${secret}"`,
      `export AWS_SECRET_ACCESS_KEY=${secret}`,
      `{"AccessKeyId": "ASIAX", "SecretAccessKey": "${secret}", "SessionToken": "t"}`,
      `secretAccessKey: '${secret}'`,
      `:secret_access_key => "${secret}"`,
    ];
    for (const line of spellings) {
      only(line, "aws-secret-key", secret);
      only(prompt(line), "aws-secret-key", secret);
      only(toolOutput(`[default]\n${line}\nregion = eu-west-1\n`), "aws-secret-key", secret);
      only(toolCall(`echo '${line}' >> ~/.aws/credentials`), "aws-secret-key", secret);
    }
  });

  test("AWS secret keys with `/` escaped as `\\/`", () => {
    const secret = random(BASE62, 18) + "/" + random(BASE62, 10) + "/" + random(BASE62, 10);
    const escaped = secret.replaceAll("/", "\\/");
    only(`{"aws_secret_access_key":"${escaped}"}`, "aws-secret-key", secret, escaped);
  });

  test("Slack webhooks and Sentry DSNs: the secret part is the match, raw and JSON-escaped", () => {
    for (const { url, secret } of [slackWebhook(), sentryDsn()]) {
      const format = url.includes("slack") ? "slack-webhook" : "sentry-dsn";
      only(prompt(`post errors to ${url} please`), format, secret);
      only(toolOutput(`ALERTS=${url}\n`), format, secret);
      only(JSON.stringify(url), format, secret);
      expect(looksLikeCredential(url)).toBe(true);
      expect(looksLikeCredential(`${url} and more`)).toBe(false);
    }
    // Lookalikes: no secret segment, a placeholder, another host.
    expect(
      findShapes("https://hooks.slack.com/services/TXXXXXXXX/BXXXXXXXX/XXXXXXXXXXXXXXXXXXXXXXXX"),
    )
      .toEqual([]);
    expect(findShapes(`https://${"0".repeat(32)}@o1.ingest.sentry.io/1`)).toEqual([]);
    expect(findShapes(`https://${sentryDsn().secret}@example.com/1`)).toEqual([]);
  });

  test("URLs with an inline password: the password is the match, decoded", () => {
    const pw = password();
    const encoded = encodeURIComponent(pw);
    const url = `postgres://app:${encoded}@db.internal:5432/app`;
    only(prompt(`connect with ${url} please`), "url-password", pw, encoded);
    only(toolOutput(`DATABASE_URL=${url}\n`), "url-password", pw, encoded);
    only(toolCall(`psql '${url}' -c 'select 1'`), "url-password", pw, encoded);
    const plain = random(BASE62, 20);
    only(`redis://:${plain}@cache:6379/0`, "url-password", plain);
    only(`{"url":"https:\\/\\/deploy:${plain}@git.corp.test\\/repo.git"}`, "url-password", plain);
    expect(looksLikeCredential(url)).toBe(true);
    expect(looksLikeCredential(`see ${url}`)).toBe(false);
  });

  test("PEM private keys: raw, JSON-escaped once and twice, CRLF, `\\/`", async () => {
    const block = await pem();
    only(block, "private-key", block);
    expect(looksLikeCredential(block + "\n")).toBe(true);
    for (
      const label of [
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
      ]
    ) {
      const other = (await pem()).replaceAll("PRIVATE KEY", label);
      only(`key:\n${other}\nend`, "private-key", other);
    }

    const once = toolOutput(`$ cat deploy.pem\n${block}\n`);
    const escapedOnce = JSON.stringify(block).slice(1, -1);
    const m = only(once, "private-key", block, escapedOnce);
    expect(once.indexOf("-----BEGIN")).toBe(m.start);

    const twice = toolCall(`cat > key.pem <<'EOF'\n${block}\nEOF`);
    only(
      twice,
      "private-key",
      block,
      JSON.stringify(JSON.stringify(block).slice(1, -1)).slice(1, -1),
    );
    expect(twice).toContain("\\\\n");

    const crlf = block.replaceAll("\n", "\r\n");
    only(JSON.stringify({ key: crlf }), "private-key", crlf, JSON.stringify(crlf).slice(1, -1));

    const slashed = JSON.stringify(block).slice(1, -1).replaceAll("/", "\\/");
    only(`{"key":"${slashed}"}`, "private-key", block, slashed);
  });

  test("a PEM key stored on one line with literal `\\n` (an env var) is a credential", async () => {
    const block = await pem();
    const oneLine = block.replaceAll("\n", "\\n") + "\\n";
    expect(looksLikeCredential(oneLine)).toBe(true);
    only(oneLine, "private-key", block, oneLine.slice(0, -2));
  });

  test("a PEM key cut short (`head key.pem`) is caught up to its last full line", async () => {
    const lines = (await pem()).split("\n");
    const head = lines.slice(0, 3).join("\n");
    only(toolOutput(`${head}\n`), "private-key", head, head.replaceAll("\n", "\\n"));
  });

  test("tokens in URLs, .npmrc lines and form-encoded bodies", () => {
    const gh = `ghp_${random(BASE62, 36)}`;
    only(`git remote add origin https://${gh}@github.com/o/r.git`, "github", gh);
    const npm = `npm_${random(BASE62, 36)}`;
    only(toolOutput(`//registry.npmjs.org/:_authToken=${npm}\n`), "npm", npm);
    only(`grant_type=token&token%3D${npm}%26x=1`, "npm", npm);
    only(`https://api.test/v1?key=${gh}&q=1`, "github", gh);
  });

  test("a token that is also a URL password is reported once, by its own format", () => {
    const token = `ghs_${random(BASE62, 36)}`;
    only(`https://x-access-token:${token}@github.com/o/r.git`, "github", token);
  });
});

describe("several credentials in one request", () => {
  test("all found, sorted, offsets exact", async () => {
    const all = fakes();
    const block = await pem();
    const text = toolOutput(all.map(([, , c]) => `X=${c}`).join("\n") + `\n${block}\n`);
    const found = findShapes(text);
    expect(found.map((m) => m.value)).toEqual([...all.map(([, , c]) => c), block]);
    for (let i = 1; i < found.length; i++) {
      expect(found[i].start).toBeGreaterThanOrEqual(found[i - 1].end);
    }
    for (const m of found.slice(0, -1)) expect(text.slice(m.start, m.end)).toBe(m.value);
  });
});

describe("disabled formats", () => {
  test("each format can be switched off alone", async () => {
    const all: [string, string][] = fakes().map(([format, , credential]) => [format, credential]);
    all.push(["private-key", await pem()], [
      "url-password",
      `mysql://root:${random(BASE62, 16)}@db/x`,
    ]);
    all.push(["aws-secret-key", `AWS_SECRET_ACCESS_KEY=${random(BASE64, 40)}`]);
    all.push(["slack-webhook", slackWebhook().url], ["sentry-dsn", sentryDsn().url]);
    const text = all.map(([, c]) => c).join("\n");
    expect(new Set(findShapes(text).map((m) => m.format))).toEqual(new Set(SHAPE_FORMATS));
    for (const format of SHAPE_FORMATS) {
      const formats = findShapes(text, new Set([format])).map((m) => m.format);
      expect(formats).not.toContain(format);
      expect(new Set(formats).size).toBe(SHAPE_FORMATS.length - 1);
    }
    expect(findShapes(text, new Set(SHAPE_FORMATS))).toEqual([]);
  });

  test("names are the ones users write in detect.disabled_formats", () => {
    expect([...SHAPE_FORMATS].sort()).toEqual([
      "anthropic",
      "aws-access-key",
      "aws-secret-key",
      "github",
      "gitlab",
      "google-api-key",
      "huggingface",
      "jwt",
      "mailgun",
      "npm",
      "openai",
      "private-key",
      "sendgrid",
      "sentry-dsn",
      "slack",
      "slack-webhook",
      "stripe",
      "url-password",
    ]);
  });
});

describe("random bodies are never mistaken for placeholders", () => {
  test("2000 fresh fakes of every format are all detected", () => {
    let missed = 0;
    for (let i = 0; i < 2000; i++) {
      for (const [format, , credential] of fakes()) {
        const found = findShapes(`"${credential}"`);
        if (found.length !== 1 || found[0].format !== format) missed++;
      }
    }
    expect(missed).toBe(0);
  });
});
