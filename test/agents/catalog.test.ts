import { expect, test } from "bun:test";
import { catalog } from "../../src/agents/catalog.ts";
import { agents } from "../../src/agents/mod.ts";

test("the catalog lists the agents, in the same order, with the same words", async () => {
  expect(catalog.map((entry) => entry.name)).toEqual(agents.map((agent) => agent.name));
  for (const [i, entry] of catalog.entries()) {
    const agent = await entry.load();
    expect(agent).toBe(agents[i]);
    expect([entry.summary, entry.usage]).toEqual([agent.summary, agent.usage]);
  }
});
