import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { isSecretishName, nameWords, readProcessEnv } from "../../src/registry/process-env.ts";
import { looksLikeCredential } from "../../src/core/redact/shapes.ts";

const fake = (n = 32) =>
  (crypto.randomUUID() + crypto.randomUUID()).replaceAll("-", "").slice(0, n);

describe("names split into words", () => {
  test("underscores, dashes, dots, camelCase, acronyms, digits", () => {
    expect(nameWords("awsSecretAccessKey")).toEqual(["AWS", "SECRET", "ACCESS", "KEY"]);
    expect(nameWords("OPENAI_API_KEY")).toEqual(["OPENAI", "API", "KEY"]);
    expect(nameWords("myAPIKey2")).toEqual(["MY", "API", "KEY", "2"]);
    expect(nameWords("AUTH0_CLIENT_ID")).toEqual(["AUTH", "0", "CLIENT", "ID"]);
    expect(nameWords("db.password-prod")).toEqual(["DB", "PASSWORD", "PROD"]);
  });
});

describe("secret-ish names", () => {
  const secret = [
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "NPM_TOKEN",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "awsSecretAccessKey",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "DATABASE_PASSWORD",
    "DB_PASS",
    "MYSQL_PWD",
    "PGPASSWORD",
    "REDISPASSWORD",
    "OPENAIAPIKEY",
    "clientSecret",
    "SECRET_KEY_BASE",
    "JWT_SECRET",
    "NEXTAUTH_SECRET",
    "SESSION_SECRET",
    "BASIC_AUTH",
    "DOCKER_AUTH_CONFIG",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "SENTRY_DSN",
    "STRIPE_PRIVATE_KEY",
    "SIGNING_KEY",
    "WEBHOOK_SIGNATURE",
    "SLACK_WEBHOOK_URL",
    "ADVENT_OF_CODE_SESSION",
    "COOKIE",
    "GPG_PASSPHRASE",
    "AZURE_STORAGE_CONNECTION_STRING",
    "API_KEY_2",
    "KEY",
    // Issue 19's list, each of which reached the model verbatim before.
    "SOME_SERVICE_PW",
    "DB_PW",
    "SMTP_PW",
    "DB_PWD",
    "SLACK_HOOK_URL",
    "SENDGRID_API",
    "MAILGUN_API",
    "KUBE_CONFIG_DATA",
    "KUBECONFIG",
    "SIGNING_KEYSTORE_B64",
    "ENCRYPTION_MASTER",
    "DD_API",
    "HEROKU_API",
    "ALGOLIA_ADMIN",
    "APP_SIGNING",
    "ANDROID_KEYSTORE",
  ];
  const notSecret = [
    "PWD",
    "OLDPWD",
    "HOME",
    "PATH",
    "USER",
    "SHELL",
    "TERM",
    "AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "ZIP_CODE",
    "KEYMAP",
    "XKB_DEFAULT_KEYMAP",
    "KEYBOARD_LAYOUT",
    "PASSENGER_APP_ENV",
    "COMPASS_HOME",
    "BYPASS_CACHE",
    "MONKEY_PATCH",
    "SSH_AUTH_SOCK",
    "SSH_ASKPASS",
    "GIT_ASKPASS",
    "TERM_SESSION_ID",
    "XDG_SESSION_TYPE",
    "XDG_SESSION_ID",
    "XDG_SESSION_CLASS",
    "DBUS_SESSION_BUS_ADDRESS",
    "DESKTOP_SESSION",
    "SESSION_MANAGER",
    "KDE_SESSION_VERSION",
    "NEXTAUTH_URL",
    "AUTH_URL",
    "AUTH0_DOMAIN",
    "AUTH0_CLIENT_ID",
    "AUTH_MODE",
    "TOKEN_URL",
    "OAUTH_TOKEN_ENDPOINT",
    "KEY_ID",
    "AWS_ACCESS_KEY_ID",
    "PRIVATE_KEY_PATH",
    "SSH_KEY_FILE",
    "PASSWORD_STORE_DIR",
    "PASSWORD_MIN_LENGTH",
    "JWT_EXPIRES_IN",
    "JWT_ALGORITHM",
    "TOKEN_TTL",
    "COOKIE_DOMAIN",
    "SESSION_TIMEOUT",
    "GIT_CREDENTIAL_HELPER",
    "DATABASE_URL",
    "API_URL",
    "OPENAI_API_BASE",
    "API_VERSION",
    "ADMIN_EMAIL",
    "ADMIN_USER",
    "MASTER_BRANCH",
    "GIT_HOOKS_PATH",
    "KEYSTORE_PATH",
    "SIGNING_KEY_ID",
  ];
  test.each(secret)("%s is secret-ish", (name) => expect(isSecretishName(name)).toBe(true));
  test.each(notSecret)("%s is not", (name) => expect(isSecretishName(name)).toBe(false));
});

/** Random text over `alphabet`: credential bodies must look random to count as credentials. */
function random(
  n: number,
  alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
) {
  return Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => alphabet[b % alphabet.length])
    .join("");
}
const b64url = (s: string) => btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

describe("values of a credential shape count whatever the name (core/redact/shapes.ts)", () => {
  const shaped = [
    `ghp_${random(36)}`,
    `AKIA${random(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}`,
    `sk_live_${random(24)}`,
    `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(`{"sub":"${random(12)}"}`)}.${random(43)}`,
    `postgres://app:${random(20)}@db.internal:5432/app`,
    `-----BEGIN PRIVATE KEY-----\n${random(64)}\n${random(64)}\n${
      random(24)
    }\n-----END PRIVATE KEY-----\n`,
  ];
  const plain = [
    "sk-short",
    "ghp_tooShort",
    "https://example.com/path",
    "postgres://localhost:5432/app",
    "/usr/local/bin:/usr/bin",
    "xterm-256color",
    `task ghp_${random(36)} embedded in text`,
  ];
  test.each(shaped)("shaped #%#", (value) => expect(looksLikeCredential(value)).toBe(true));
  test.each(plain)("plain %s", (value) => expect(looksLikeCredential(value)).toBe(false));
});

describe("readProcessEnv", () => {
  test("secret-ish: names and shapes in, the rest counted as skipped", () => {
    const token = fake();
    const shaped = `ghp_${random(36)}`;
    const output = readProcessEnv({
      GITHUB_TOKEN: token,
      SOME_VAR: shaped,
      HOME: "/home/someone",
      AUTHOR_NAME: "Some Body Longer",
      EMPTY_TOKEN: "",
    }, "secret-ish");
    expect(output.status).toBe("loaded");
    expect(output.found).toEqual([
      { name: "GITHUB_TOKEN", value: token },
      { name: "SOME_VAR", value: shaped },
    ]);
    expect(output.skipped).toEqual({ "not secret-ish": 2 });
  });

  test("a secret-ish name holding an existing path is skipped as a path", () => {
    const dir = mkdtempSync(`${tmpdir()}/ficta-env-`);
    const base64ish = `/${fake(39)}`; // an AWS secret key may start with a slash
    const output = readProcessEnv({
      GOOGLE_APPLICATION_CREDENTIALS: dir,
      AWS_SECRET_ACCESS_KEY: base64ish,
    }, "secret-ish");
    expect(output.found).toEqual([{ name: "AWS_SECRET_ACCESS_KEY", value: base64ish }]);
    expect(output.skipped).toEqual({ "a path": 1 });
  });

  test("all takes every variable; off takes none; FICTA_* never", () => {
    const env = {
      HOME: "/home/someone",
      APP_SETTING: "some plain value",
      FICTA_SURROGATE_KEY: fake(64),
      FICTA_HOME: "/x/y/z/w",
    };
    // HOME is the system's own: skipped, like the CI platform's variables (ci-platforms.ts).
    const all = readProcessEnv(env, "all");
    expect(all.found).toEqual([{ name: "APP_SETTING", value: "some plain value" }]);
    expect(all.skipped).toEqual({ "CI or system variable": 1 });
    const off = readProcessEnv(env, "off");
    expect(off.status).toBe("disabled");
    expect(off.found).toEqual([]);
  });
});

describe("readProcessEnv for CI", () => {
  test("include_names forces names and patterns; empty secret-ish variables are listed", () => {
    const env = {
      APP_CONFIG: "plain-looking-value",
      CUSTOM_THING: "another-plain-value",
      DB_PASSWORD: "",
      STRIPE_KEY: "",
      EMPTY_PLAIN: "",
      APP_EMPTY: "",
    };
    const read = readProcessEnv(env, "secret-ish", { include: ["APP_*", "CUSTOM_THING"] });
    expect(read.found.map((f) => f.name).sort()).toEqual(["APP_CONFIG", "CUSTOM_THING"]);
    expect(read.empty).toEqual(["DB_PASSWORD", "STRIPE_KEY", "APP_EMPTY"]);
  });

  test("all under GitHub Actions skips the runner's own variables, never a secret-ish one", () => {
    const token = fake(40);
    const env = {
      GITHUB_ACTIONS: "true",
      CI: "true",
      HOME: "/home/runner",
      PATH: "/usr/local/bin:/usr/bin:/bin",
      GITHUB_WORKSPACE: "/home/runner/work/app/app",
      GITHUB_REPOSITORY: "someone/app",
      RUNNER_TEMP: "/home/runner/work/_temp",
      ACTIONS_RUNTIME_TOKEN: token,
      GITHUB_TOKEN: token + "x",
      APP_DATABASE_URL: "postgres://db.internal/app",
    };
    const read = readProcessEnv(env, "all");
    expect(read.found.map((f) => f.name).sort()).toEqual([
      "ACTIONS_RUNTIME_TOKEN",
      "APP_DATABASE_URL",
      "GITHUB_TOKEN",
    ]);
    // Without the platform detected, its variables are protected like any other.
    const { GITHUB_ACTIONS: _, ...elsewhere } = env;
    expect(readProcessEnv(elsewhere, "all").found.map((f) => f.name)).toContain(
      "GITHUB_WORKSPACE",
    );
  });
});
