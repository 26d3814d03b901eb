import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { findShapes, looksLikeCredential } from "../../../src/core/redact/shapes.ts";
import {
  BASE62,
  BASE64,
  BASE64URL,
  DIGITS,
  jwt,
  LOWER,
  random,
  toolOutput,
} from "./shapes-fakes.ts";
import { SLOW_TEST_TIMEOUT_MS } from "../../timeouts.ts";

setDefaultTimeout(SLOW_TEST_TIMEOUT_MS);

function none(text: string): void {
  expect(findShapes(text).map((m) => m.format)).toEqual([]);
  expect(findShapes(toolOutput(text)).map((m) => m.format)).toEqual([]);
}

const x = (n: number, c = "X") => c.repeat(n);

describe("placeholders and documentation examples", () => {
  test.each([
    ["elided", "OPENAI_API_KEY=sk-... and ANTHROPIC_API_KEY=sk-ant-..."],
    ["short stand-ins", "sk-xxxxxxxx sk-proj-xxxx ghp_XXXXXXXX glpat-xxxx npm_xxx hf_xxx"],
    ["words", "sk-your-api-key-here sk-proj-your-project-key xoxb-your-bot-token your-api-key"],
    ["all one character", `ghp_${x(36)} npm_${x(36, "0")} hf_${x(34, "x")} sk-${x(48, "x")}`],
    ["one repeated character, long", `sk-proj-${x(156, "X")} sk_live_${x(24, "x")}`],
    [
      "sequences",
      `ghp_${"1234567890abcdefghijklmnopqrstuvwxyz"} AIza${
        "SyA" + "abcdefghijklmnopqrstuvwxyz01234567"
      }`,
    ],
    ["short repeating pattern", `ghp_${"ab12".repeat(9)} npm_${"Ab1".repeat(12)}`],
    ["AWS docs access key", `aws_access_key_id = ${"AKIA" + "IOSFODNN7" + "EXAMPLE"}`],
    [
      "AWS docs secret key",
      `aws_secret_access_key = ${"wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"}`,
    ],
    ["AWS placeholder ids", `AKIA${x(16)} ASIA${"1234567890ABCDEF"} AKIA${"0000111122223333"}`],
    [
      "placeholder with EXAMPLE",
      `sk_live_${random(BASE62, 17)}EXAMPLE npm_${random(BASE62, 29)}example`,
    ],
    [
      "PEM with an elided body",
      "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
    ],
    ["PEM with a token body", "-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----"],
    ["PEM in prose", "The file starts with -----BEGIN OPENSSH PRIVATE KEY----- and ends with END."],
    [
      "public keys and certificates",
      `-----BEGIN PUBLIC KEY-----\n${random(BASE64, 64)}\n${
        random(BASE64, 64)
      }\n-----END PUBLIC KEY-----`,
    ],
    ["Slack placeholders", "xoxb-0000000000-0000000000-xxxxxxxxxxxxxxxxxxxxxxxx xoxp-123-456-abc"],
  ])("%s", (_name, text) => none(text));

  test("URLs whose password is a placeholder", () => {
    for (
      const url of [
        "postgres://user:password@localhost/db",
        "postgres://app:${DB_PASSWORD}@db/app",
        "mysql://root:$MYSQL_ROOT_PASSWORD@db/app",
        "redis://:<password>@cache:6379",
        "amqp://guest:guest@rabbit:5672",
        "https://admin:****@host.internal",
        "https://me:xxxxxxxx@host.internal",
        "postgres://postgres:postgres@localhost:5432/postgres",
        "ftp://anonymous:guest123@ftp.gnu.test/pub",
        "http://john:p4ssw0rd@127.0.0.1:8180",
        "mongodb://app:changeme@mongo/db",
        "http://u:secret123@proxy.internal:3128",
        "https://abc:xyz123@example.com/path",
        "https://bob:s3cr3tpw@www.example.org",
        "postgresql://app:%s@%s/%s",
        "postgres://app:{{ db_password }}@db/app",
        "http://host:8080@other",
        "cvs://:pserver:anoncvs@sources.test:/cvs/src",
        "https://user:@host.internal",
        "postgres://app:123456@db/app",
        "postgres://dev:pw@db:5432/x",
        "pg://qa:asdf@localhost/db",
      ]
    ) {
      none(url);
      expect(looksLikeCredential(url)).toBe(false);
    }
  });

  test("jwt.io's and PyJWT's stock tokens", () => {
    none(jwt({ sub: "1234567890", name: "John Doe", iat: 1516239022 }));
    none(jwt({ some: "payload" }));
  });
});

describe("ordinary code and text", () => {
  test.each([
    ["paths", "/home/dev/task-sk-notes/risk-assessment.md ~/desk-lamp/disk-usage ./ask-a-question"],
    [
      "kebab identifiers",
      "flask-sk-proj-manager-component-with-a-really-long-descriptive-name-here",
    ],
    [
      "snake identifiers",
      "github_pat_env_var_name npm_config_registry npm_package_dependencies_typescript hf_hub_download sk_live_mode ghp_token_name",
    ],
    ["env names", "process.env.NPM_TOKEN process.env.AWS_SECRET_ACCESS_KEY os.environ['HF_TOKEN']"],
    ["AWS name without a value", "aws_secret_access_key = os.environ['AWS_SECRET_ACCESS_KEY']"],
    ["AWS name with a short value", 'SecretAccessKey: "redacted"'],
    [
      "hashes",
      `${random("0123456789abcdef", 40)} sha256:${random("0123456789abcdef", 64)} ${
        random(BASE64, 43)
      }=`,
    ],
    ["integrity strings", `"integrity": "sha512-${random(BASE64, 86)}=="`],
    ["UUIDs", Array.from({ length: 50 }, () => crypto.randomUUID()).join(" ")],
    [
      "git refs and emails",
      "commit a1b2c3d4 by dev@corp.test, see git@github.com:org/repo.git and ssh://git@host/repo",
    ],
    [
      "npm scopes and decorators",
      "@types/node @openai/codex @Component({selector: 'x'}) user@host:~$",
    ],
    [
      "URLs without a password",
      "https://dev@github.com/org/repo https://registry.npmjs.org/@scope%2fpkg http://[::1]:8080/",
    ],
    [
      "regular expressions",
      String.raw`/^(\w+):\/\/([^:]+):([^@]+)@(.+)$/ and "[A-Za-z0-9_-]{36}" /sk-[a-zA-Z0-9]{48}/`,
    ],
    [
      "minified code",
      "var sk=function(e){return e-1},ghp_=a_b,AIza=n=>n;for(t-=1;t>0;t--)AKIA+=o.IA;e.yJ=eyJ;",
    ],
    [
      "prose",
      "Ask-and-tell: the risk-free path is to rotate keys; AWS ASIA region notes; EU/ASIA_PACIFIC.",
    ],
  ])("%s", (_name, text) => none(text));

  test("base64 blobs (standard and URL-safe), hex, random latin1 bytes", () => {
    const bytes = new Uint8Array(1 << 20);
    for (let i = 0; i < bytes.length; i += 65536) {
      crypto.getRandomValues(bytes.subarray(i, i + 65536));
    }
    none(bytes.toBase64());
    none(`"encrypted_content":"gAAAAA${bytes.toBase64({ alphabet: "base64url" })}"`);
    none(bytes.toHex());
    none(new TextDecoder("latin1").decode(bytes));
  });

  test("base64url runs glued to a token-like prefix are not tokens", () => {
    none(`${random(BASE64URL, 40)}ghp_${random(BASE62, 36)}`);
    none(`ghp_${random(BASE62, 36)}_${random(BASE62, 10)}`);
    none(`sk-${random(BASE62, 48)}-suffix`);
    none(`x${"AKIA"}${random("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}`);
    none(`AIza${random(BASE64URL, 36)}`);
  });

  test("a JWT-like string whose header is not a JOSE header", () => {
    const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "");
    none(`${b64({ typ: "JWT", kid: "1" })}.${b64({ sub: "u" })}.${random(BASE64URL, 43)}`);
    none(`eyJ${random(LOWER + DIGITS, 30)}.eyJ${random(LOWER, 20)}.${random(BASE64URL, 43)}`);
  });

  test("the empty string and short text", () => {
    expect(findShapes("")).toEqual([]);
    for (const s of ["-", "_", "@", "sk-", "ghp_", "-----BEGIN ", "eyJ", "IA", "Iz", "sK"]) none(s);
    expect(looksLikeCredential("")).toBe(false);
    expect(looksLikeCredential("hello world")).toBe(false);
  });
});
