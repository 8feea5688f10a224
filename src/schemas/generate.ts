/**
 * Generates the JSON Schemas in schemas/ from the valibot schemas, which stay the single source.
 * `bun src/schemas/generate.ts --write` (npm run schemas) rewrites the files; a test fails when they drift.
 */
import { toJsonSchema } from "@valibot/to-json-schema";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigSchema } from "../config/schema.ts";

export const SCHEMA_DIR = join(import.meta.dir, "..", "..", "schemas");

/** File name → schema text, exactly as committed. */
export function generatedSchemas(): Record<string, string> {
  const config = {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "Syncer configuration (sync.config.toml)",
    ...toJsonSchema(ConfigSchema, { target: "draft-07" }),
  };
  return { "sync.config.schema.json": JSON.stringify(config, null, 2) + "\n" };
}

if (import.meta.main && process.argv.includes("--write")) {
  for (const [name, text] of Object.entries(generatedSchemas())) {
    writeFileSync(join(SCHEMA_DIR, name), text);
    console.log(`wrote schemas/${name}`);
  }
}
