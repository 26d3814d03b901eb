/**
 * Fake credentials for the shape tests, generated at run time with the published prefixes,
 * lengths and alphabets, so nothing credential-shaped is committed.
 */

export const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const LOWER = "abcdefghijklmnopqrstuvwxyz";
export const DIGITS = "0123456789";
export const BASE62 = UPPER + LOWER + DIGITS;
export const BASE64URL = BASE62 + "-_";
export const BASE64 = BASE62 + "+/";
const BASE32 = UPPER + "234567";
const HEX = "0123456789abcdef";

export function random(alphabet: string, length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

function digits(length: number): string {
  return String(1 + (crypto.getRandomValues(new Uint8Array(1))[0] % 9)) +
    random(DIGITS, length - 1);
}

const base64url = (text: string) =>
  new TextEncoder().encode(text).toBase64({ alphabet: "base64url", omitPadding: true });

export function jwt(
  claims: Record<string, unknown>,
  header: Record<string, unknown> = { alg: "HS256", typ: "JWT" },
): string {
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}.${
    random(BASE64URL, 43)
  }`;
}

/** One fresh fake per format and variant: [format, variant, credential]. */
export function fakes(): [format: string, variant: string, credential: string][] {
  return [
    ["openai", "project key", `sk-proj-${random(BASE64URL, 74)}T3BlbkFJ${random(BASE64URL, 74)}`],
    [
      "openai",
      "service account key",
      `sk-svcacct-${random(BASE64URL, 74)}T3BlbkFJ${random(BASE64URL, 74)}`,
    ],
    ["openai", "admin key", `sk-admin-${random(BASE64URL, 74)}T3BlbkFJ${random(BASE64URL, 74)}`],
    ["openai", "legacy key", `sk-${random(BASE62, 20)}T3BlbkFJ${random(BASE62, 20)}`],
    ["openai", "legacy key without marker", `sk-${random(BASE62, 48)}`],
    ["anthropic", "api key", `sk-ant-api03-${random(BASE64URL, 93)}AA`],
    ["anthropic", "admin key", `sk-ant-admin01-${random(BASE64URL, 93)}AA`],
    ["github", "ghp_", `ghp_${random(BASE62, 36)}`],
    ["github", "gho_", `gho_${random(BASE62, 36)}`],
    ["github", "ghu_", `ghu_${random(BASE62, 36)}`],
    ["github", "ghs_", `ghs_${random(BASE62, 36)}`],
    ["github", "ghr_", `ghr_${random(BASE62, 76)}`],
    ["github", "github_pat_", `github_pat_${random(BASE62, 22)}_${random(BASE62, 59)}`],
    ["gitlab", "legacy", `glpat-${random(BASE64URL, 20)}`],
    ["gitlab", "routable", `glpat-${random(BASE64URL, 37)}.01${random(DIGITS + LOWER, 7)}`],
    [
      "gitlab",
      "routable, dotted",
      `glpat-${random(BASE64URL, 37)}.01.${random(DIGITS + LOWER, 7)}`,
    ],
    ["slack", "bot token", `xoxb-${digits(12)}-${digits(13)}-${random(BASE62, 24)}`],
    ["slack", "user token", `xoxp-${digits(12)}-${digits(12)}-${digits(13)}-${random(HEX, 32)}`],
    ["slack", "rotating token", `xoxp-1-${random(BASE62, 120)}`],
    ["stripe", "secret key", `sk_live_${random(BASE62, 99)}`],
    ["stripe", "restricted key", `rk_live_${random(BASE62, 24)}`],
    ["aws-access-key", "AKIA", `AKIA${random(BASE32, 16)}`],
    ["aws-access-key", "ASIA", `ASIA${random(BASE32, 16)}`],
    ["google-api-key", "AIza", `AIza${random(BASE64URL, 35)}`],
    ["npm", "granular token", `npm_${random(BASE62, 36)}`],
    ["huggingface", "user token", `hf_${random(UPPER + LOWER, 34)}`],
    ["sendgrid", "api key", `SG.${random(BASE64URL, 22)}.${random(BASE64URL, 43)}`],
    ["mailgun", "private api key", `key-${random(HEX, 32)}`],
    ["jwt", "HS256", jwt({ sub: crypto.randomUUID(), iat: 1_700_000_000, exp: 1_900_000_000 })],
    [
      "jwt",
      "encrypted (JWE, as session cookies)",
      `${base64url('{"alg":"dir","enc":"A256GCM"}')}..${random(BASE64URL, 16)}.${
        random(BASE64URL, 180)
      }.${random(BASE64URL, 22)}`,
    ],
  ];
}

/** A Slack incoming webhook URL and its secret last segment. */
export function slackWebhook(): { url: string; secret: string } {
  const secret = random(BASE62, 24);
  return {
    url: `https://hooks.slack.com/services/T${random(UPPER + DIGITS, 10)}/B${
      random(UPPER + DIGITS, 10)
    }/${secret}`,
    secret,
  };
}

/** A Sentry DSN and its key. */
export function sentryDsn(): { url: string; secret: string } {
  const secret = random(HEX, 32);
  return { url: `https://${secret}@o${digits(6)}.ingest.sentry.io/${digits(7)}`, secret };
}

/** A PEM block of a freshly generated key. */
export async function pem(label = "PRIVATE KEY"): Promise<string> {
  const pair = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-384" },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const lines = der.toBase64().match(/.{1,64}/g)!;
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----`;
}

/** A password as a generator would make one, including characters URLs must percent-encode. */
export function password(): string {
  return random(BASE62, 14) + "@/";
}

/** A Codex `function_call_output` item carrying `output` with the exec tool's wrapper. */
export function toolOutput(output: string): string {
  return JSON.stringify({
    type: "function_call_output",
    call_id: `call_${crypto.randomUUID().replaceAll("-", "")}`,
    output:
      `Chunk ID: 8c1f2e\nWall time: 0.0123 seconds\nProcess exited with code 0\nOriginal token count: 187\nOutput:\n${output}`,
  });
}

/** A `function_call` item: `arguments` is JSON text inside a JSON string (escaped twice). */
export function toolCall(command: string): string {
  return JSON.stringify({
    type: "function_call",
    name: "shell",
    call_id: `call_${crypto.randomUUID().replaceAll("-", "")}`,
    arguments: JSON.stringify({ command: ["bash", "-lc", command], workdir: "/repo" }),
  });
}

/** A user message in a Responses API request. */
export function prompt(text: string): string {
  return JSON.stringify({
    model: "gpt-5",
    input: [{ type: "message", role: "user", content: [{ type: "input_text", text }] }],
  });
}
