/**
 * Generates the JSON Schemas in schemas/ and the SDK's ABI classes (plugins/sdk/abi.generated.ts, see
 * sdk-types.ts) from the valibot schemas, which stay the single source. `bun src/schemas/generate.ts
 * --write` (npm run schemas) rewrites the files; tests fail when they drift.
 */
import { toJsonSchema } from "@valibot/to-json-schema";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { GenericSchema } from "valibot";
import { ConfigSchema } from "../config/schema.ts";
import { ABI_SCHEMAS } from "../plugins/abi.ts";
import { ManifestSchema } from "../plugins/manifest/schema.ts";
import { generateSdkTypes, SDK_TYPES_FILE } from "./sdk-types.ts";

export const SCHEMA_DIR = join(import.meta.dir, "..", "..", "schemas");

function document(title: string, schema: GenericSchema): string {
  // A check across fields (e.g. no body with status 204) has no JSON Schema form: the host enforces it, the schema file leaves it out.
  const json = { $schema: "http://json-schema.org/draft-07/schema#", title, ...toJsonSchema(schema, { target: "draft-07", ignoreActions: ["check"] }) };
  return JSON.stringify(json, null, 2) + "\n";
}

/** File name → schema text, exactly as committed. */
export function generatedSchemas(): Record<string, string> {
  const schemas: Record<string, string> = {
    "sync.config.schema.json": document("Syncer configuration (sync.config.toml)", ConfigSchema),
    "plugin.schema.json": document("Syncer plugin manifest (plugin.json)", ManifestSchema),
  };
  for (const [name, schema] of Object.entries(ABI_SCHEMAS)) {
    schemas[`abi-v1.${name}.schema.json`] = document(`Syncer plugin ABI v1: ${name}`, schema);
  }
  return schemas;
}

if (import.meta.main && process.argv.includes("--write")) {
  for (const [name, text] of Object.entries(generatedSchemas())) {
    writeFileSync(join(SCHEMA_DIR, name), text);
    console.log(`wrote schemas/${name}`);
  }
  writeFileSync(SDK_TYPES_FILE, generateSdkTypes());
  console.log("wrote plugins/sdk/abi.generated.ts");
}
