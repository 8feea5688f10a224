import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type * as v from "valibot";
import type { HttpResultSchema } from "../../src/plugins/abi.ts";
import type { HttpResult } from "../../src/plugins/host/http-client.ts";
import { generateSdkTypes, SDK_TYPES_FILE } from "../../src/schemas/sdk-types.ts";

test("plugins/sdk/abi.generated.ts is exactly what the ABI's valibot schemas generate (run `npm run schemas` after changing one)", () => {
  expect(readFileSync(SDK_TYPES_FILE, "utf8")).toBe(generateSdkTypes());
});

test("no hand-written mirror of the ABI's classes is left in the SDK, the scaffold or its templates", () => {
  const sdk = new Bun.Glob("plugins/sdk/**/*.ts");
  const generated = [...generateSdkTypes().matchAll(/^export class (\w+)/gm)].map((m) => m[1]!);
  expect(generated).toEqual(expect.arrayContaining(["Request", "Account", "HostRecord", "HostPage", "ExportResult", "HostResult", "ErrorEnvelope", "HttpResponse"]));
  const sources = [...sdk.scanSync({ cwd: `${import.meta.dir}/../..` })].filter((path) => !path.endsWith("abi.generated.ts"));
  sources.push("src/plugins/author/scaffold.ts", ...new Bun.Glob("src/plugins/author/templates/**/*.ts").scanSync({ cwd: `${import.meta.dir}/../..` }));
  expect(sources).toContain("src/plugins/author/templates/hook/src/index.ts");
  for (const path of sources) {
    const text = readFileSync(`${import.meta.dir}/../../${path}`, "utf8");
    for (const name of generated) expect({ path, declares: new RegExp(`class ${name}\\b`).test(text) }).toEqual({ path, declares: false });
  }
});

test("the host's HTTP answers are what the SDK's HttpResponse is generated from", () => {
  // A type-level check: tsc fails here when http-client's HttpResult stops being an HttpResultSchema value.
  const answer: HttpResult = { ok: true, status: 200, headers: {}, body: "", url: "http://x/", attempts: 1 };
  const checked: v.InferOutput<typeof HttpResultSchema> = answer;
  expect(checked).toBe(answer);
});
