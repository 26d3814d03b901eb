/**
 * Secret shapes: well-known credential formats found in request text that no source
 * registered (a key pasted into a prompt, printed by a command, read from a non-.env file).
 *
 * Precision first: a false positive rewrites ordinary text the model needs, so every format is
 * a distinctive prefix (or, for AWS secret keys, a distinctive name) plus the published body
 * length and alphabet, word boundaries on both sides, and a check that the body is random rather
 * than a placeholder (`ghp_XXXX…`, `…EXAMPLE`, `0123456789…`, `your-api-key`).
 *
 * Speed: requests are megabytes, re-scanned every turn. The text is searched for a few one- or
 * two-character needles with `indexOf` (memchr-fast), each hit dispatches on its neighbours, and
 * only then is a candidate verified. Text without candidates costs a handful of memchr passes.
 *
 * The text may be a one-char-per-byte view of a UTF-8 JSON body, so a credential may sit inside
 * JSON strings: PEM newlines arrive as `\n` or `\\n`, `/` as `\/`. Spans cover the text as it
 * is; `value` is the decoded credential.
 */

export interface ShapeMatch {
  /** Offsets into the scanned text: the credential as spelled there (escapes included). */
  start: number;
  end: number;
  format: string;
  /** The decoded credential. */
  value: string;
}

/** Format names, as users switch them off with `detect.disabled_formats`. */
export const SHAPE_FORMATS: readonly string[] = [
  "openai",
  "anthropic",
  "github",
  "gitlab",
  "slack",
  "stripe",
  "aws-access-key",
  "aws-secret-key",
  "google-api-key",
  "npm",
  "huggingface",
  "private-key",
  "jwt",
  "url-password",
  "sendgrid",
  "mailgun",
  "slack-webhook",
  "sentry-dsn",
];

type Found = ShapeMatch | null;

// Character classes, as bit flags over ASCII.
const UPPER = 1, LOWER = 2, DIGIT = 4, DASH = 8, UNDERSCORE = 16, USERINFO = 32;
const ALNUM = UPPER | LOWER | DIGIT;
const WORD = ALNUM | UNDERSCORE;
const B64URL = ALNUM | DASH | UNDERSCORE;
const CLASS = new Uint8Array(128);
for (let c = 65; c <= 90; c++) CLASS[c] = UPPER | USERINFO;
for (let c = 97; c <= 122; c++) CLASS[c] = LOWER | USERINFO;
for (let c = 48; c <= 57; c++) CLASS[c] = DIGIT | USERINFO;
CLASS[45] = DASH | USERINFO;
CLASS[95] = UNDERSCORE | USERINFO;
// RFC 3986 userinfo: unreserved, sub-delims (but not the quote, a string delimiter in code), `%`, `:`.
for (const c of ".~!$&()*+,;=%:") CLASS[c.charCodeAt(0)] |= USERINFO;

const BACKSLASH = 92, SLASH = 47, DOT = 46;

function is(text: string, i: number, mask: number): boolean {
  const c = text.charCodeAt(i);
  return c < 128 && (CLASS[c] & mask) !== 0;
}

/** Index after the run of `mask` characters starting at `from`, scanning at most `max`. */
function runEnd(text: string, from: number, mask: number, max: number): number {
  const limit = Math.min(text.length, from + max + 1);
  let i = from;
  while (i < limit && is(text, i, mask)) i++;
  return i;
}

/**
 * True when a token may start at `start`: not glued to a preceding word (or base64url run), but
 * an escape just before (`\n`, `\t`, `\u0027` in JSON, `%3D` in a URL) counts as a separator.
 */
function boundaryBefore(text: string, start: number): boolean {
  if (start === 0 || !is(text, start - 1, B64URL)) return true;
  const c = text.charCodeAt(start - 1);
  if ((c === 110 || c === 116 || c === 114) && text.charCodeAt(start - 2) === BACKSLASH) {
    return true;
  }
  if (text.charCodeAt(start - 3) === 37 /* % */ && is(text, start - 2, DIGIT)) return true;
  return start >= 6 && text.charCodeAt(start - 6) === BACKSLASH &&
    text.charCodeAt(start - 5) === 117;
}

/** True when a token may end at `end`: the next character does not continue a word or base64url run. */
function boundaryAfter(text: string, end: number): boolean {
  return end >= text.length || !is(text, end, B64URL);
}

/** Case-folded letters or digits that step by one, as in `abcdef`, `ZYXW`, `0123456789`. */
function longestSequence(body: string): number {
  let longest = 1, run = 1, step = 0;
  for (let i = 1; i < body.length; i++) {
    const d = (body.charCodeAt(i) | 32) - (body.charCodeAt(i - 1) | 32);
    if ((d === 1 || d === -1) && (run === 1 || d === step)) {
      step = d;
      run++;
      if (run > longest) longest = run;
    } else run = 1;
  }
  return longest;
}

const PLACEHOLDER_WORDS = /example|placeholder|redacted|your_?(?:api_?)?(?:key|token|secret)/i;

/**
 * A random body rather than a made-up one (`XXXX…`, `0123456789abcdef…`, `abab…`, `…EXAMPLE`).
 * `alphabet` is the format's alphabet size; every limit rejects a genuinely random body with
 * odds below about 1e-7.
 */
function randomBody(body: string, alphabet: number): boolean {
  const n = body.length;
  if (PLACEHOLDER_WORDS.test(body)) return false;
  const seen = new Uint8Array(128);
  let distinct = 0, classes = 0, run = 1, longestRun = 1;
  for (let i = 0; i < n; i++) {
    const c = body.charCodeAt(i);
    if (c >= 128) return false;
    if (!seen[c]) {
      seen[c] = 1;
      distinct++;
    }
    classes |= CLASS[c] & ALNUM;
    if (i > 0 && c === body.charCodeAt(i - 1)) {
      if (++run > longestRun) longestRun = run;
    } else run = 1;
  }
  // The shortest run (sequence) a random body of this size and alphabet shows with odds < 1e-8.
  const odds = Math.log(n * 1e8);
  const runLimit = 2 + Math.floor(odds / Math.log(alphabet));
  const sequenceLimit = 2 + Math.floor(odds / Math.log(alphabet / 2));
  if (longestRun >= runLimit || longestSequence(body) >= sequenceLimit) return false;
  const expected = alphabet * (1 - Math.pow(1 - 1 / alphabet, n));
  if (distinct < expected / 2) return false;
  const kinds = (classes & UPPER ? 1 : 0) + (classes & LOWER ? 1 : 0) + (classes & DIGIT ? 1 : 0);
  if (alphabet >= 36 && n >= 12 && kinds < 2) return false;
  // Letters of both cases in any long mixed-case random body; code identifiers often lack one.
  if (alphabet >= 52 && n >= 30 && (classes & (UPPER | LOWER)) !== (UPPER | LOWER)) return false;
  return true;
}

function token(text: string, start: number, end: number, format: string): ShapeMatch {
  return { start, end, format, value: text.slice(start, end) };
}

/** A prefix of `prefixLength` characters + a random body of `mask` characters, `min`..`max` long. */
function prefixed(
  text: string,
  start: number,
  prefixLength: number,
  mask: number,
  min: number,
  max: number,
  alphabet: number,
  format: string,
): Found {
  if (!boundaryBefore(text, start)) return null;
  const from = start + prefixLength;
  const end = runEnd(text, from, mask, max);
  if (end - from < min || end - from > max || !boundaryAfter(text, end)) return null;
  if (!randomBody(text.slice(from, end), alphabet)) return null;
  return token(text, start, end, format);
}

// ---- dispatch on `-` ------------------------------------------------------------------------

/** `sk-…`: Anthropic (`sk-ant-`), OpenAI project/service/admin keys, legacy OpenAI keys. */
function skDash(text: string, start: number): Found {
  if (!boundaryBefore(text, start)) return null;
  const from = start + 3;
  const end = runEnd(text, from, B64URL, 400);
  if (!boundaryAfter(text, end)) return null;
  const body = text.slice(from, end);
  let format = "openai", random = body, alphabet = 64;
  if (body.startsWith("ant-")) {
    // sk-ant-api03-…, sk-ant-admin01-…, sk-ant-oat01-…: about a hundred random characters.
    format = "anthropic";
    random = body.slice(body.indexOf("-", 4) + 1);
    if (!/^ant-[a-z]+\d{2}-/.test(body) || random.length < 80) return null;
  } else if (/^(?:proj|svcacct|admin)-/.test(body)) {
    random = body.slice(body.indexOf("-") + 1);
    if (random.length < 40) return null;
  } else if (body.includes("T3BlbkFJ")) {
    // Every OpenAI key embeds base64("OpenAI"); named service keys put a label before it.
    if (body.length < 40) return null;
  } else {
    // Legacy: 48 base62 characters. Other providers reuse `sk-` + 32..64 base62/hex.
    alphabet = 62;
    if (body.length < 32 || body.length > 64 || !/^[A-Za-z0-9]+$/.test(body)) return null;
  }
  if (!randomBody(random, alphabet)) return null;
  return token(text, start, end, format);
}

/** `glpat-` + 20 (legacy) or 27..300 characters with a routing suffix `.xx.yyyyyyy`. */
const GITLAB_ROUTING = /\.[0-9a-z]{2}\.?[0-9a-z]{7}(?![\w-])/y;

function gitlab(text: string, start: number): Found {
  if (!boundaryBefore(text, start)) return null;
  const from = start + 6;
  let end = runEnd(text, from, B64URL, 300);
  const body = text.slice(from, end);
  if (body.length < 20) return null;
  GITLAB_ROUTING.lastIndex = end;
  if (text.charCodeAt(end) === DOT && GITLAB_ROUTING.test(text)) end = GITLAB_ROUTING.lastIndex;
  if (!boundaryAfter(text, end) || !randomBody(body, 64)) return null;
  return token(text, start, end, "gitlab");
}

/** `xox[abprs]-` + numeric segments + a random last segment (bot, user, app, refresh tokens). */
function slack(text: string, start: number): Found {
  if (!boundaryBefore(text, start)) return null;
  const end = runEnd(text, start + 5, ALNUM | DASH, 250);
  if (!boundaryAfter(text, end)) return null;
  const segments = text.slice(start + 5, end).split("-");
  const last = segments[segments.length - 1];
  if (segments.length < 2 || last.length < 20 || !/^\d+$/.test(segments[0])) return null;
  if (!segments.slice(0, -1).every((s) => /^[0-9A-Za-z]+$/.test(s))) return null;
  if (!randomBody(last, /^[0-9a-f]+$/.test(last) ? 16 : 62)) return null;
  return token(text, start, end, "slack");
}

/**
 * A PEM private-key block, raw or inside JSON strings (line breaks as `\n`, `\\n`, `\r\n`; `/`
 * as `\/`). Lines are walked one by one, so a block cut short (`head -5 key.pem`) is still
 * caught up to its last base64 line.
 */
const PEM_BEGIN = /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----/y;
const PEM_BREAK = /(?:\r?\n|\\{1,8}r\\{1,8}n|\\{1,8}n|[ \t])+/y;
const PEM_BASE64 = /(?:[A-Za-z0-9+=]|\\{0,8}\/)+/y;
const PEM_HEADER = /[A-Za-z][A-Za-z-]*: [^\\\r\n"]*/y;

function privateKey(text: string, start: number): Found {
  PEM_BEGIN.lastIndex = start;
  const begin = PEM_BEGIN.exec(text);
  if (!begin) return null;
  const endMarker = `-----END ${begin[1]}-----`;
  let pos = PEM_BEGIN.lastIndex, end = pos, base64 = 0, headers = true;
  const body: string[] = [];
  for (;;) {
    PEM_BREAK.lastIndex = pos;
    if (!PEM_BREAK.test(text)) break;
    pos = PEM_BREAK.lastIndex;
    if (text.startsWith(endMarker, pos)) {
      end = pos + endMarker.length;
      break;
    }
    if (headers) {
      PEM_HEADER.lastIndex = pos;
      if (PEM_HEADER.test(text)) {
        pos = end = PEM_HEADER.lastIndex;
        continue;
      }
    }
    PEM_BASE64.lastIndex = pos;
    if (!PEM_BASE64.test(text)) break;
    headers = false;
    body.push(text.slice(pos, PEM_BASE64.lastIndex));
    base64 += PEM_BASE64.lastIndex - pos;
    pos = end = PEM_BASE64.lastIndex;
    if (base64 > 1 << 20) break;
  }
  // Docs show `-----BEGIN … KEY-----\n...\n-----END…`; a real key has at least a line of base64.
  if (base64 < 64 || !hasDistinct(body, 20)) return null;
  return { start, end, format: "private-key", value: unescapeJson(text.slice(start, end)) };
}

/** Whether base64 `parts` hold at least `n` distinct characters; stops as soon as they do. */
function hasDistinct(parts: string[], n: number): boolean {
  const seen = new Uint8Array(128);
  let count = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i) & 127;
      if (seen[c] === 0) {
        seen[c] = 1;
        if (++count >= n) return true;
      }
    }
  }
  return false;
}

/** Undo the JSON string escapes a PEM block can carry, at any nesting depth. */
function unescapeJson(s: string): string {
  if (!s.includes("\\")) return s;
  return s.replace(
    /\\+([nrt/])/g,
    (_, c: string) => c === "n" ? "\n" : c === "r" ? "\r" : c === "t" ? "\t" : "/",
  );
}

function onDash(text: string, i: number, on: Enabled): Found {
  // Most hyphens are in prose and code: decide on the neighbours before any string compare.
  if (
    text.charCodeAt(i + 1) === 45 && text.charCodeAt(i + 5) === 66 && on["private-key"] &&
    text.startsWith("-----BEGIN ", i)
  ) {
    return privateKey(text, i);
  }
  switch (text.charCodeAt(i - 1)) {
    case 107: // sk-
      if (text.charCodeAt(i - 2) === 115 && (on.openai || on.anthropic)) {
        const m = skDash(text, i - 2);
        return m && on[m.format] ? m : null;
      }
      return null;
    case 116: // glpat-
      return on.gitlab && text.charCodeAt(i - 2) === 97 && text.startsWith("glpat-", i - 5)
        ? gitlab(text, i - 5)
        : null;
    case 97: // xoxa- xoxb- xoxp- xoxr- xoxs-
    case 98:
    case 112:
    case 114:
    case 115:
      return on.slack && text.charCodeAt(i - 2) === 120 && text.startsWith("xox", i - 4)
        ? slack(text, i - 4)
        : null;
    case 121: // key-: Mailgun's private API key, 32 hex characters
      return on.mailgun && text.startsWith("key-", i - 3) ? mailgun(text, i - 3) : null;
  }
  return null;
}

const HEX32 = /[0-9a-f]{32}/y;

function mailgun(text: string, start: number): Found {
  if (!boundaryBefore(text, start)) return null;
  HEX32.lastIndex = start + 4;
  if (!HEX32.test(text) || !boundaryAfter(text, start + 36)) return null;
  if (!randomBody(text.slice(start + 4, start + 36), 16)) return null;
  return token(text, start, start + 36, "mailgun");
}

/** `SG.` + 22 + `.` + 43 base64url characters: a SendGrid API key. */
function onSG(text: string, i: number, on: Enabled): Found {
  if (!on.sendgrid || !boundaryBefore(text, i)) return null;
  const first = runEnd(text, i + 3, B64URL, 22);
  if (first - (i + 3) !== 22 || text.charCodeAt(first) !== DOT) return null;
  const end = runEnd(text, first + 1, B64URL, 43);
  if (end - (first + 1) !== 43 || !boundaryAfter(text, end)) return null;
  if (!randomBody(text.slice(first + 1, end), 64)) return null;
  return token(text, i, end, "sendgrid");
}

/**
 * `hooks.slack.com/services/T…/B…/<24 characters>`, slashes maybe JSON-escaped: the last
 * segment is the webhook's secret and the match.
 */
const SLACK_WEBHOOK_PATH =
  /(?:\\*\/)services(?:\\*\/)T[A-Z0-9]{6,14}(?:\\*\/)B[A-Z0-9]{6,14}(?:\\*\/)([A-Za-z0-9]{24})(?![A-Za-z0-9])/y;

function onSlackHooks(text: string, i: number, on: Enabled): Found {
  if (!on["slack-webhook"]) return null;
  SLACK_WEBHOOK_PATH.lastIndex = i + "hooks.slack.com".length;
  const m = SLACK_WEBHOOK_PATH.exec(text);
  if (!m || !randomBody(m[1], 62)) return null;
  const end = SLACK_WEBHOOK_PATH.lastIndex;
  return token(text, end - 24, end, "slack-webhook");
}

// ---- dispatch on `_` ------------------------------------------------------------------------

/**
 * AWS secret access keys only when named (`aws_secret_access_key = …`, `"SecretAccessKey": "…"`):
 * 40 base64 characters alone are as common as hashes. `nameEnd` is just after the name.
 */
const AWS_SECRET_VALUE =
  /[\s"'\\]{0,12}(?:=|:|=>)[\s"'\\]{0,12}((?:[A-Za-z0-9+]|\\{0,3}\/){40})(?![A-Za-z0-9+/=]|\\+\/)/y;

function awsSecret(text: string, nameEnd: number): Found {
  AWS_SECRET_VALUE.lastIndex = nameEnd;
  const m = AWS_SECRET_VALUE.exec(text);
  if (!m) return null;
  const end = AWS_SECRET_VALUE.lastIndex;
  const start = end - m[1].length;
  const value = m[1].replace(/\\+\//g, "/");
  if (!randomBody(value, 64)) return null;
  return { start, end, format: "aws-secret-key", value };
}

function onUnderscore(text: string, i: number, on: Enabled): Found {
  const p = text.charCodeAt(i - 1);
  switch (p) {
    case 112: // ghp_
    case 111: // gho_
    case 117: // ghu_
    case 115: // ghs_
    case 114: // ghr_
      if (on.github && text.startsWith("gh", i - 3)) {
        // 36 base62 today; GitHub reserves up to 255.
        return prefixed(text, i - 3, 4, ALNUM, 36, 251, 62, "github");
      }
      break;
    case 98: // github_pat_: 22 + `_` + 59
      if (on.github && text.startsWith("github_pat_", i - 6)) {
        return prefixed(text, i - 6, 11, WORD, 82, 240, 63, "github");
      }
      return null;
    case 107: // sk_live_, rk_live_
      if (on.stripe && text.startsWith("_live_", i)) {
        const s = text.charCodeAt(i - 2);
        if (s === 115 || s === 114) return prefixed(text, i - 2, 8, ALNUM, 24, 247, 62, "stripe");
      }
      return null;
    case 109: // npm_
      if (on.npm && text.startsWith("np", i - 3)) {
        return prefixed(text, i - 3, 4, ALNUM, 36, 36, 62, "npm");
      }
      return null;
    case 102: // hf_
      if (on.huggingface && text.charCodeAt(i - 2) === 104) {
        return prefixed(text, i - 2, 3, ALNUM, 34, 40, 52, "huggingface");
      }
      return null;
  }
  // secret_access_key / SECRET_ACCESS_KEY: at the `_` before `key`.
  if (
    on["aws-secret-key"] && (p === 115 || p === 83) && (text.charCodeAt(i + 1) | 32) === 107 &&
    /^key$/i.test(text.slice(i + 1, i + 4)) &&
    /secret_?access$/i.test(text.slice(Math.max(0, i - 13), i))
  ) {
    return awsSecret(text, i + 4);
  }
  return null;
}

/** `secretAccessKey` / `SecretAccessKey`, at the `sK`. */
function onCamelKey(text: string, i: number, on: Enabled): Found {
  if (!on["aws-secret-key"] || !text.startsWith("ecretAccess", i - 10)) return null;
  if (!text.startsWith("Key", i + 1) || (text.charCodeAt(i - 11) | 32) !== 115) return null;
  return awsSecret(text, i + 4);
}

// ---- AWS access key ids, Google API keys ------------------------------------------------------

/** `AKIA` / `ASIA` + 16 base32-ish capitals; AWS's documentation keys end in `EXAMPLE`. */
function onIA(text: string, i: number, on: Enabled): Found {
  if (!on["aws-access-key"] || text.charCodeAt(i - 2) !== 65) return null;
  const k = text.charCodeAt(i - 1);
  if (k !== 75 && k !== 83) return null;
  const start = i - 2;
  if (!boundaryBefore(text, start)) return null;
  const end = runEnd(text, i + 2, UPPER | DIGIT, 16);
  if (end - i - 2 !== 16 || !boundaryAfter(text, end)) return null;
  if (!randomBody(text.slice(i + 2, end), 32)) return null;
  return token(text, start, end, "aws-access-key");
}

function onIz(text: string, i: number, on: Enabled): Found {
  if (!on["google-api-key"] || text.charCodeAt(i - 1) !== 65 || text.charCodeAt(i + 2) !== 97) {
    return null;
  }
  return prefixed(text, i - 1, 4, B64URL, 35, 35, 64, "google-api-key");
}

// ---- JWT ---------------------------------------------------------------------------------------

/** Signed (JWS: header.payload.signature) and encrypted (JWE: five parts) compact tokens. */
const JOSE_HEADER = /eyJ[A-Za-z0-9_-]{8,2048}(?=\.)/y;
const JWS = /eyJ[A-Za-z0-9_-]{8,2048}\.(eyJ[A-Za-z0-9_-]{5,})\.[A-Za-z0-9_-]{16,}/y;
const JWE =
  /eyJ[A-Za-z0-9_-]{8,2048}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/y;

function base64UrlJson(segment: string): unknown {
  try {
    return JSON.parse(atob(segment.replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    return undefined;
  }
}

const REGISTERED_CLAIMS = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

/**
 * Claims of an issued token: a JSON object with a registered claim or several claims. Docs'
 * stock tokens are not: jwt.io's default (`"sub": "1234567890"`), PyJWT's `{"some": "payload"}`.
 */
function realClaims(claims: unknown): boolean {
  if (typeof claims !== "object" || claims === null) return false;
  const keys = Object.keys(claims);
  if ((claims as { sub?: unknown }).sub === "1234567890") return false;
  return keys.length >= 2 || keys.some((k) => REGISTERED_CLAIMS.includes(k));
}

/**
 * A JOSE header (a JSON object naming its `alg`), then either a JWS whose payload holds real
 * claims or a JWE (`enc` in the header; its payload is encrypted and cannot be checked).
 */
function onYJ(text: string, i: number, on: Enabled): Found {
  const start = i - 1;
  if (!on.jwt || text.charCodeAt(start) !== 101 || !boundaryBefore(text, start)) return null;
  JOSE_HEADER.lastIndex = start;
  if (!JOSE_HEADER.test(text)) return null;
  const header = base64UrlJson(text.slice(start, JOSE_HEADER.lastIndex)) as {
    alg?: unknown;
    enc?: unknown;
  };
  if (typeof header !== "object" || header === null || typeof header.alg !== "string") return null;
  const encrypted = typeof header.enc === "string";
  const pattern = encrypted ? JWE : JWS;
  pattern.lastIndex = start;
  const m = pattern.exec(text);
  if (!m) return null;
  const end = pattern.lastIndex;
  if (!boundaryAfter(text, end) || text.charCodeAt(end) === DOT) return null;
  if (!encrypted && !realClaims(base64UrlJson(m[1]))) return null;
  return token(text, start, end, "jwt");
}

// ---- URLs with an inline password --------------------------------------------------------------

const PLACEHOLDER_PASSWORDS = new Set([
  "changeme",
  "changeit",
  "foobar",
  "hunter2",
  "letmein",
  "qwerty",
  "welcome",
  "username",
  "apikey",
  "api_key",
  "testing",
  "dummy123",
]);

const LEET: Record<string, string> = {
  "4": "a",
  "@": "a",
  "0": "o",
  "1": "i",
  "3": "e",
  "$": "s",
  "5": "s",
};

/** Hosts reserved for documentation (RFC 2606) and their stand-ins. */
const EXAMPLE_HOST =
  /^(?:[\w-]+\.)*(?:example(?:\.(?:com|org|net))?|host|hostname|server)(?![\w.-])/i;

/** A value someone typed to show the shape of a URL, not a password. */
function placeholderPassword(password: string, user: string): boolean {
  // Tests and docs use `pw`, `asdf`, `1234`; real passwords are longer.
  if (password.length < 6) return true;
  // `p4ssw0rd` is `password` too.
  const lower = password.toLowerCase().replace(/[4@013$5]/g, (c) => LEET[c]);
  if (PLACEHOLDER_PASSWORDS.has(lower) || lower === user.toLowerCase()) return true;
  // Docs' stand-in users; anonymous FTP-style logins take any password; CVS `:pserver:` paths.
  if (/^(?:user|username|anonymous)$/i.test(user) || (user === "" && password.includes(":"))) {
    return true;
  }
  if (/pass(?:wo?r?d)?|pwd|secret|placeholder|example|^your|^my_?pass/.test(lower)) return true;
  // `****`, `xxxx`, `...`, `${PASSWORD}`, `$DB_PASSWORD`, `%s`, `%(password)s`
  if (/^(.)\1*$/.test(password) || /^[*x.•#_-]+$/i.test(password)) return true;
  if (longestSequence(password) === password.length) return true; // `123456`, `abcd`
  return /\$[A-Za-z_{(]|%s|%\(|\{\{|\}\}/.test(password);
}

/** At an `@`: `scheme://user:password@host`; the match is the password alone. */
function onAt(text: string, at: number, on: Enabled): Found {
  if (
    (!on["url-password"] && !on["sentry-dsn"]) ||
    (!is(text, at + 1, ALNUM) && text.charCodeAt(at + 1) !== 91)
  ) {
    return null;
  }
  const floor = Math.max(0, at - 256);
  let from = at;
  while (from > floor && is(text, from - 1, USERINFO)) from--;
  // `//` just before the userinfo, maybe JSON-escaped as `\/\/`, then `:` and a scheme.
  let k = from;
  for (let slash = 0; slash < 2; slash++) {
    if (text.charCodeAt(k - 1) !== SLASH) return null;
    k--;
    while (text.charCodeAt(k - 1) === BACKSLASH) k--;
  }
  if (text.charCodeAt(k - 1) !== 58 /* : */) return null;
  const schemeStart = k - 1 -
    (/[A-Za-z][A-Za-z0-9+.-]{1,31}$/.exec(text.slice(Math.max(0, k - 33), k - 1))?.[0].length ?? 0);
  if (schemeStart === k - 1) return null;
  const colon = text.indexOf(":", from);
  if (colon < 0 || colon >= at - 1) return sentryDsn(text, from, at, on);
  if (!on["url-password"]) return null;
  const start = colon + 1;
  const raw = text.slice(start, at);
  let password = raw;
  if (raw.includes("%")) {
    try {
      password = decodeURIComponent(raw);
    } catch {
      // Not valid percent-encoding: the text is the password.
    }
  }
  if (placeholderPassword(password, text.slice(from, colon))) return null;
  if (EXAMPLE_HOST.test(text.slice(at + 1, at + 80))) return null;
  return { start, end: at, format: "url-password", value: password };
}

/** `https://<32 hex>@o123.ingest.sentry.io/456`: a Sentry DSN's key, the user part. */
const SENTRY_HOST = /(?:o\d+\.)?ingest\.(?:[a-z]{2}\.)?sentry\.io(?![\w-])|sentry\.io(?![\w.-])/y;

function sentryDsn(text: string, from: number, at: number, on: Enabled): Found {
  if (!on["sentry-dsn"] || at - from !== 32 || !/^[0-9a-f]{32}$/.test(text.slice(from, at))) {
    return null;
  }
  SENTRY_HOST.lastIndex = at + 1;
  if (!SENTRY_HOST.test(text) || !randomBody(text.slice(from, at), 16)) return null;
  return token(text, from, at, "sentry-dsn");
}

// ---- driver -------------------------------------------------------------------------------------

type Enabled = Record<string, boolean>;
type Probe = (text: string, at: number, on: Enabled) => Found;

/** Needles, the formats behind each, and the probe that verifies a hit. */
const NEEDLES: readonly { needle: string; formats: string[]; probe: Probe }[] = [
  {
    needle: "-",
    formats: ["openai", "anthropic", "gitlab", "slack", "private-key", "mailgun"],
    probe: onDash,
  },
  { needle: "SG.", formats: ["sendgrid"], probe: onSG },
  { needle: "hooks.slack.com", formats: ["slack-webhook"], probe: onSlackHooks },
  {
    needle: "_",
    formats: ["github", "stripe", "npm", "huggingface", "aws-secret-key"],
    probe: onUnderscore,
  },
  { needle: "sK", formats: ["aws-secret-key"], probe: onCamelKey },
  { needle: "IA", formats: ["aws-access-key"], probe: onIA },
  { needle: "Iz", formats: ["google-api-key"], probe: onIz },
  { needle: "yJ", formats: ["jwt"], probe: onYJ },
  { needle: "@", formats: ["url-password", "sentry-dsn"], probe: onAt },
];

/**
 * Credentials of a known format in `text`, sorted by `start`, non-overlapping (on overlap the
 * earlier, then the longer, wins). Formats in `disabled` are not reported.
 */
export function findShapes(text: string, disabled?: ReadonlySet<string>): ShapeMatch[] {
  const on: Enabled = {};
  for (const format of SHAPE_FORMATS) on[format] = !disabled?.has(format);
  const found: ShapeMatch[] = [];
  for (const { needle, formats, probe } of NEEDLES) {
    if (!formats.some((f) => on[f])) continue;
    let i = text.indexOf(needle);
    while (i >= 0) {
      const m = probe(text, i, on);
      if (m) found.push(m);
      i = text.indexOf(needle, m && m.end > i ? m.end : i + 1);
    }
  }
  if (found.length < 2) return found;
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: ShapeMatch[] = [];
  for (const m of found) {
    if (kept.length === 0 || m.start >= kept[kept.length - 1].end) kept.push(m);
  }
  return kept;
}

/** Formats whose match is one part of a URL: the URL as a whole is the credential. */
const URL_PARTS = new Set(["url-password", "slack-webhook", "sentry-dsn"]);

/**
 * True when `value` as a whole is a credential of a known shape (surrounding whitespace and
 * escaped line breaks aside); a URL counts when it carries a password.
 */
export function looksLikeCredential(value: string): boolean {
  const text = value.trim();
  const rest = (s: string) => /^(?:\s|\\+[rn])*$/.test(s);
  return findShapes(text).some((m) =>
    URL_PARTS.has(m.format)
      ? /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s]*$/.test(text)
      : rest(text.slice(0, m.start)) && rest(text.slice(m.end))
  );
}
