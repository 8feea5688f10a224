import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { generatedSchemas, SCHEMA_DIR } from "../../src/schemas/generate.ts";

test("schemas/ holds exactly what the valibot schemas generate (run `npm run schemas` after changing one)", () => {
  for (const [name, text] of Object.entries(generatedSchemas())) {
    expect({ name, text: readFileSync(join(SCHEMA_DIR, name), "utf8") }).toEqual({ name, text });
  }
});

test("the example config points editors at the generated schema", () => {
  const example = readFileSync(join(import.meta.dir, "..", "..", "sync.config.toml"), "utf8");
  expect(example.split("\n")[0]).toBe("#:schema ./schemas/sync.config.schema.json");
});
