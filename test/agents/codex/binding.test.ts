import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authorizationBinding } from "../../../src/agents/codex/binding.ts";

const dir = mkdtempSync(join(tmpdir(), "ficta-binding-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function login(file: string, access: string) {
  writeFileSync(
    file,
    JSON.stringify({ auth_mode: "chatgpt", tokens: { access_token: access, refresh_token: "r" } }),
  );
}

describe("authorizationBinding", () => {
  test("Codex's own bearer matches; another, or a bare token, does not", () => {
    const file = join(dir, "auth-1.json");
    const access = `access-${crypto.randomUUID()}`;
    login(file, access);
    const binding = authorizationBinding(file, [])!;
    expect(binding.matches(`Bearer ${access}`)).toBe(true);
    expect(binding.matches(`Bearer ${access}x`)).toBe(false);
    expect(binding.matches(access)).toBe(false);
    expect(binding.matches("Bearer ")).toBe(false);
  });

  test("a token Codex refreshed into auth.json is followed; the old one stops matching", () => {
    const file = join(dir, "auth-2.json");
    const first = `access-${crypto.randomUUID()}`;
    login(file, first);
    const binding = authorizationBinding(file, [])!;
    const second = `access-${crypto.randomUUID()}-refreshed`;
    login(file, second);
    expect(binding.matches(`Bearer ${second}`)).toBe(true);
    expect(binding.matches(`Bearer ${first}`)).toBe(false);
  });

  test("API keys from the environment count; nothing known at all gives no binding", () => {
    const key = `sk-${crypto.randomUUID()}`;
    const binding = authorizationBinding(join(dir, "missing.json"), [undefined, key])!;
    expect(binding.matches(`Bearer ${key}`)).toBe(true);
    expect(authorizationBinding(join(dir, "missing.json"), [undefined, ""])).toBeNull();
  });

  test("holds no credential in a printable form", () => {
    const file = join(dir, "auth-3.json");
    const access = `access-${crypto.randomUUID()}`;
    login(file, access);
    const binding = authorizationBinding(file, [])!;
    expect(Bun.inspect(binding)).not.toContain(access);
  });
});
