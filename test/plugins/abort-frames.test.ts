import { beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { buildPlugins } from "../../build.ts";
import { pluginCaller, wasmFunctionNames } from "../../src/plugins/host/wasm-frames.ts";
import { runSyncer, tempDir, writeConfig } from "../helpers/binary.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";

const FIXTURES = resolve(import.meta.dir, "..", "fixtures", "plugins");

/**
 * A module whose export `g` (function 1) calls the imported `env.f` (function 0); with `name`, its `name`
 * section calls function 1 that. Written out byte by byte: what the engine shows depends only on these bytes.
 */
function callerModule(name?: string): Uint8Array {
  const text = (s: string) => [s.length, ...new TextEncoder().encode(s)];
  const section = (id: number, content: number[]) => [id, content.length, ...content];
  const names = name ? section(0, [...text("name"), ...section(1, [1, 1, ...text(name)])]) : [];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 0, 0]), // one type: () -> ()
    ...section(2, [1, ...text("env"), ...text("f"), 0, 0]), // import env.f: function 0
    ...section(3, [1, 0]), // function 1 of type 0
    ...section(7, [1, ...text("g"), 0, 1]), // export g = function 1
    ...section(10, [1, 4, 0, 0x10, 0, 0x0b]), // its body: call 0
    ...names,
  ]);
}

/** What wasmFunctionNames() sees from inside an import called by the module's `g`. */
function namesSeenFrom(module: Uint8Array): string[] {
  let seen: string[] = [];
  const instance = new WebAssembly.Instance(new WebAssembly.Module(module), { env: { f: () => void (seen = wasmFunctionNames()) } });
  (instance.exports.g as () => void)();
  return seen;
}

beforeAll(() => {
  buildPlugins(FIXTURES);
}, COMPILE_TIMEOUT_MS);

describe("an abort inside AssemblyScript's library names the plugin's function that led to it", () => {
  test("`Index out of range` at ~lib/array.ts also says which of the plugin's functions indexed (through the binary)", () => {
    const config = writeConfig(tempDir(), `[plugins]\ndirectories = [${JSON.stringify(FIXTURES)}]\n`);
    const result = runSyncer(["plugins", "call", "testkit", "index_out_of_range", "--json", "--config", config]);
    expect(result.code).toBe(1);
    const { error } = JSON.parse(result.stdout) as { error: { kind: string; message: string; details: Record<string, unknown> } };
    expect(error.kind).toBe("trap");
    expect(error.message).toMatch(/^aborted: Index out of range at ~lib\/array\.ts:\d+:\d+, called from test\/fixtures\/plugins\/testkit\/src\/index\/index_out_of_range$/);
    expect(error.details).toMatchObject({ file: "~lib/array.ts", caller: "test/fixtures/plugins/testkit/src/index/index_out_of_range" });
  });

  test("an abort in the plugin's own code already says where: no caller is added", () => {
    const config = writeConfig(tempDir(), `[plugins]\ndirectories = [${JSON.stringify(FIXTURES)}]\n`);
    const result = runSyncer(["plugins", "call", "testkit", "abort_assert", "--json", "--config", config]);
    expect(result.code).toBe(1);
    const { error } = JSON.parse(result.stdout) as { error: { message: string; details: Record<string, unknown> } };
    expect(error.message).toMatch(/^aborted: the widget count went negative ✓ at test\/fixtures\/plugins\/testkit\/src\/index\.ts:\d+:\d+$/);
    expect(error.details).not.toHaveProperty("caller");
  });

  test("the engine names a wasm frame from the module's name section, and a module without one names none", () => {
    expect(namesSeenFrom(callerModule("src/index/g"))).toEqual(["src/index/g"]);
    expect(namesSeenFrom(callerModule())).toEqual([]);
  });

  test("the caller is the innermost frame outside ~lib/ (library packages such as json-as included)", () => {
    expect(pluginCaller(["~lib/array/Array<i32>#__get", "~lib/json-as/assembly/deserialize/x", "src/index/pick", "src/index/import_hosts"])).toBe("src/index/pick");
    expect(pluginCaller(["~lib/array/Array<i32>#__get"])).toBeUndefined();
    expect(pluginCaller([])).toBeUndefined();
  });
});
