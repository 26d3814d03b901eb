/** codexProxy: what the agent-neutral proxy is told about Codex. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { codexProxy } from "../../../src/agents/codex/proxy.ts";
import { schema } from "../../../src/config/schema.ts";

const dir = mkdtempSync(join(tmpdir(), "ficta-codex-proxy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("codexProxy", () => {
  test("binding: auth.json under CODEX_HOME and the API key variables; none known, none", () => {
    const home = mkdtempSync(join(dir, "home-"));
    expect(codexProxy.binding!({ CODEX_HOME: home })).toBeNull();
    const access = `access-${crypto.randomUUID()}`;
    writeFileSync(join(home, "auth.json"), JSON.stringify({ tokens: { access_token: access } }));
    const key = `key-${crypto.randomUUID()}`;
    const binding = codexProxy.binding!({ CODEX_HOME: home, OPENAI_API_KEY: key })!;
    expect(binding.matches(`Bearer ${access}`)).toBe(true);
    expect(binding.matches(`Bearer ${key}`)).toBe(true);
    expect(binding.matches(`Bearer other-${crypto.randomUUID()}`)).toBe(false);
  });

  test("routes by the ChatGPT account header; /backend-api/* is tokenless housekeeping", () => {
    const upstreams = codexProxy.upstreams(schema.parse({}));
    const route = (headers: Record<string, string>) =>
      codexProxy.route(
        { method: "POST", pathname: "/v1/responses", headers: new Headers(headers) },
        upstreams,
      )?.name;
    expect(route({ "chatgpt-account-id": "acct" })).toBe("chatgpt");
    expect(route({})).toBe("openai");
    expect(codexProxy.tokenless("/backend-api/wham/usage")).toBe(true);
    expect(codexProxy.tokenless("/v1/responses")).toBe(false);
    expect(codexProxy.identityHeaders.has("chatgpt-account-id")).toBe(true);
    expect(codexProxy.identityHeaders.has("authorization")).toBe(true);
  });
});
