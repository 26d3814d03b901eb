import { describe, expect, test } from "bun:test";
import { resolveRoute } from "../../../src/agents/codex/routes.ts";

const upstreams = { chatgpt: "https://chatgpt.test", openai: "https://api.openai.test" };

function target(method: string, path: string, chatgpt: boolean) {
  const route = resolveRoute({ method, pathname: path, chatgpt }, upstreams);
  return route && { name: route.name, kind: route.kind, url: route.upstream.href };
}

describe("routing allowlist (issue 4 table)", () => {
  test.each(
    [
      [
        "POST",
        "/v1/responses",
        true,
        "chatgpt",
        "turn",
        "https://chatgpt.test/backend-api/codex/responses",
      ],
      [
        "POST",
        "/v1/codex/responses",
        true,
        "chatgpt",
        "turn",
        "https://chatgpt.test/backend-api/codex/responses",
      ],
      ["POST", "/v1/responses", false, "openai", "turn", "https://api.openai.test/v1/responses"],
      [
        "GET",
        "/v1/models",
        true,
        "chatgpt",
        "models",
        "https://chatgpt.test/backend-api/codex/models",
      ],
      ["GET", "/v1/models", false, "openai", "models", "https://api.openai.test/v1/models"],
      [
        "GET",
        "/backend-api/wham/accounts/check",
        false,
        "backend-api",
        "housekeeping",
        "https://chatgpt.test/backend-api/wham/accounts/check",
      ],
      [
        "POST",
        "/backend-api/codex/analytics-events",
        true,
        "backend-api",
        "housekeeping",
        "https://chatgpt.test/backend-api/codex/analytics-events",
      ],
      [
        "POST",
        "/v1/responses/compact",
        true,
        "unlisted",
        "unlisted",
        "https://chatgpt.test/backend-api/codex/responses/compact",
      ],
      [
        "POST",
        "/v1/responses/compact",
        false,
        "unlisted",
        "unlisted",
        "https://api.openai.test/v1/responses/compact",
      ],
      [
        "POST",
        "/v1/codex/responses",
        false,
        "unlisted",
        "unlisted",
        "https://api.openai.test/v1/codex/responses",
      ],
    ] as const,
  )("%s %s (chatgpt=%p) -> %s", (method, path, chatgpt, name, kind, url) => {
    expect(target(method, path, chatgpt)).toEqual({ name, kind, url });
  });

  test.each([
    "/",
    "/v1",
    "/responses",
    "/backend-api",
    "/api/v1/responses",
    "/v1/%2e%2e/admin",
    "/v1/%2E%2E%2Fadmin",
    "/v1//responses",
    "/backend-api/..%5cx",
  ])("%s is not forwarded", (path) => {
    expect(target("POST", path, true)).toBeNull();
    expect(target("POST", path, false)).toBeNull();
  });

  test("an upstream base with a path prefix keeps it", () => {
    const route = resolveRoute({ method: "POST", pathname: "/v1/responses", chatgpt: false }, {
      chatgpt: "https://c.test",
      openai: "http://127.0.0.1:9/prefix/",
    });
    expect(route!.upstream.href).toBe("http://127.0.0.1:9/prefix/v1/responses");
  });
});
