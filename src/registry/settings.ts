/**
 * Not everything in a `.env` is a secret: `OPENAI_MODEL=gpt-5.1-codex`, `PORT=3000`,
 * `CONTENT_TYPE=application/json` are settings. Registering them turns the agent's own protocol
 * fields (the body's `model`, a `Content-Type` header) into surrogates and breaks every turn.
 *
 * `settingReason` is pure and source-neutral: any source (dotenv, a secret manager's output) can
 * ask it. It never skips a value a credential-shape check or a secret-ish name marks: a
 * `DB_PASSWORD=true` stays protected, because guessing wrong there leaks.
 */
import { looksLikeCredential } from "../core/mod.ts";
import { isSecretishName } from "./process-env.ts";

const BOOLEANS = new Set(["true", "false", "yes", "no", "on", "off", "enabled", "disabled"]);
const LOG_LEVELS = new Set([
  "trace",
  "debug",
  "info",
  "notice",
  "warn",
  "warning",
  "error",
  "fatal",
  "critical",
  "silent",
  "verbose",
  "none",
]);
const NUMBER = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:e[+-]?\d+)?$/i;
/** `type/subtype` with optional parameters: `application/json; charset=utf-8`. */
const MIME_TYPE =
  /^(?:application|audio|font|image|message|model|multipart|text|video)\/[a-z0-9][a-z0-9.+-]*(?:\s*;\s*[a-z0-9-]+=[a-z0-9._-]+)*$/i;
/**
 * Model families of every provider, not of one agent: a `.env` names the models of whatever
 * the project calls (OpenAI's `codex-mini-latest` is a model name, like `claude-sonnet-4-5`).
 * Patterns, as the regular expression below reads them.
 */
const MODEL_FAMILIES = [
  "gpt",
  "chatgpt",
  "codex",
  "o\\d",
  "text-embedding",
  "claude",
  "gemini",
  "gemma",
  "llama",
  "mistral",
  "mixtral",
  "deepseek",
  "qwen",
  "grok",
  "phi",
];
/**
 * Model names: a family, then short lower-case parts after `-`, `.`, `:` or `/`
 * (`gpt-5.1-codex-mini`, `o3`, `claude-sonnet-4-5`, `llama3.1:8b`). A random token that merely
 * starts with a family's letters has no separator after them, or a part too long.
 */
const MODEL_SLUG = new RegExp(
  `^(?:${MODEL_FAMILIES.join("|")})(?:\\d[a-z0-9.]{0,6})?(?:[-.:/][a-z0-9.]{1,12})*$`,
);
/** A URL whose user-info part is absent: a credential in it makes the value a secret. */
const PLAIN_URL = /^[a-z][a-z0-9+.-]*:\/\/[^\s@/?#]+(?:[/?#][^\s@]*)?$/i;
/**
 * Ordinary lower-case words and identifiers: `production`, `us-east-1`, `my_app`. Each part is
 * at most 10 letters, a quarter of them vowels, with no run of four consonants (word-like), or at
 * most three digits. A heuristic, not a dictionary: a random lower-case token usually fails it,
 * and a value under a secret-ish name is never asked.
 */
const SHORT_WORD = /^[a-z]+(?:[-_](?:[a-z]+|\d{1,3}))*$/;
const WORD_PART = /^(?!.*[b-df-hj-np-tv-xz]{4})[a-z]{1,10}$/;
/** Longer than this, a word-like value may be a passphrase; protected. */
const SHORT_WORD_MAX = 16;
const MAX_SETTING_DIGITS = 9;
/**
 * A URL whose path carries a token (webhooks: `/api/webhooks/123/<random>`): a long segment mixing
 * letters and digits, or any very long segment.
 */
function tokenInPath(url: string): boolean {
  return url.split(/[/?#&=.]/).some((part) =>
    part.length >= 24 || (part.length >= 16 && /\d/.test(part) && /[a-z]/i.test(part))
  );
}

/**
 * A lower-case DNS name with a letters-only top-level label, maybe a port: `db.internal`,
 * `redis.prod.example.com:6379` (secret managers hold these next to the secrets).
 */
const HOST_NAME = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?::\d{1,5})?$/;
/** Query parameters that carry credentials, so the URL is not "without credentials". */
const SECRET_QUERY = /[?&](?:[a-z_]*(?:key|token|secret|sig|signature|password|pass|pwd|auth))=/i;

/**
 * Why `value` under `name` is plainly a setting (a short reason for reports), or undefined when it
 * must be protected.
 */
export function settingReason(name: string, value: string): string | undefined {
  const reason = settingShape(name, value.trim());
  // The protective checks cost more than the shapes: asked only when a shape matched.
  if (!reason || isSecretishName(name) || looksLikeCredential(value)) return undefined;
  return reason;
}

function settingShape(name: string, text: string): string | undefined {
  const lower = text.toLowerCase();
  if (BOOLEANS.has(lower)) return "a boolean";
  // Ports, counts, timeouts, rates; a long run of digits may be an account number or a PIN-like
  // token, so it stays protected.
  if (NUMBER.test(text) && text.replace(/\D/g, "").length <= MAX_SETTING_DIGITS) {
    return /port/i.test(name) ? "a port" : "a number";
  }
  if (LOG_LEVELS.has(lower)) return "a log level";
  if (MIME_TYPE.test(text)) return "a MIME type";
  if (MODEL_SLUG.test(text) && text.length <= 64) return "a model name";
  if (PLAIN_URL.test(text) && !SECRET_QUERY.test(text) && !tokenInPath(text)) {
    return "a URL without credentials";
  }
  if (HOST_NAME.test(text)) return "a host name";
  if (
    text.length <= SHORT_WORD_MAX && SHORT_WORD.test(text) &&
    text.split(/[-_]/).every((part) =>
      /^\d+$/.test(part) ||
      (WORD_PART.test(part) && (part.match(/[aeiouy]/g)?.length ?? 0) * 4 >= part.length)
    )
  ) {
    return "a short word";
  }
  return undefined;
}
