import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SHARED_SPECS_DIR, SPECS_DIR } from "./contract/document.ts";

const contracts = readdirSync(SPECS_DIR).filter((file) => file.endsWith(".yaml"));

test("the repository holds both official contracts", () => {
  expect(contracts.sort()).toEqual(["checkmk-2.4.0p18.openapi.yaml", "netbox-4.2.2.openapi.yaml"]);
});

// The workplace's shared/specs/ is the source; a clean clone elsewhere has only the copies.
test.skipIf(!existsSync(SHARED_SPECS_DIR))("each copy is byte for byte the contract in shared/specs/", () => {
  for (const file of contracts) expect(readFileSync(join(SPECS_DIR, file)).equals(readFileSync(join(SHARED_SPECS_DIR, file)))).toBe(true);
});
