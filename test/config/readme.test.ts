import { expect, test } from "bun:test";
import { configTable, withConfigTable } from "../../scripts/docs.ts";
import { keys } from "../../src/config/schema.ts";

const readme = await Bun.file(new URL("../../README.md", import.meta.url)).text();

test("README's configuration table is the one the schema generates (run `bun run docs`)", () => {
  expect(withConfigTable(readme)).toBe(readme);
});

test("the table names every key and every environment variable", () => {
  const table = configTable();
  for (const info of keys()) {
    expect(table).toContain(`\`${info.path}\``);
    for (const variable of info.env) expect(readme).toContain(`\`${variable}\``);
  }
});
