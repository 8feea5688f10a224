import { beforeAll, describe, expect, test } from "bun:test";
import { cpSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildPlugins } from "../../build.ts";
import { pluginFrames, wasmFunctionNames } from "../../src/plugins/host/wasm-frames.ts";
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

/** The line (1-based) and column of `text` in the testkit fixture's source. */
function placeOf(text: string): { line: number; column: number } {
  const lines = readFileSync(join(FIXTURES, "testkit", "src", "index.ts"), "utf8").split("\n");
  const line = lines.findIndex((candidate) => candidate.includes(text));
  return { line: line + 1, column: lines[line]!.indexOf(text) + 1 };
}

/** `syncer plugins call testkit <export>` through the binary, with the plugins of `directory`: the error it printed. */
function abortOf(exportName: string, directory = FIXTURES): { kind: string; message: string; details: Record<string, unknown> } {
  const config = writeConfig(tempDir(), `[plugins]\ndirectories = [${JSON.stringify(directory)}]\n`);
  const result = runSyncer(["plugins", "call", "testkit", exportName, "--json", "--config", config]);
  expect(result.code).toBe(1);
  return (JSON.parse(result.stdout) as { error: { kind: string; message: string; details: Record<string, unknown> } }).error;
}

describe("an abort inside AssemblyScript's library names the plugin's source file and line that led to it", () => {
  test("`Index out of range` at ~lib/array.ts also says where the plugin indexed: its file, line and column, and function (through the binary)", () => {
    const error = abortOf("index_out_of_range");
    const { line, column } = placeOf("names[request()");
    const source = "test/fixtures/plugins/testkit/src/index.ts";
    expect(error.kind).toBe("trap");
    expect(error.message).toMatch(new RegExp(`^aborted: Index out of range at ~lib/array\\.ts:\\d+:\\d+, called from ${source}:${line}:${column} in index_out_of_range$`));
    expect(error.details).toMatchObject({
      file: "~lib/array.ts",
      caller: "test/fixtures/plugins/testkit/src/index/index_out_of_range",
      callee: expect.stringMatching(/^~lib\/array\/Array<.*>#__get$/),
      source: { file: source, line, column },
    });
  });

  test("where -O3 inlined the library's check into the plugin's function, the plugin's last place before it is named, near it", () => {
    const error = abortOf("typed_out_of_range");
    const { line } = placeOf("request().dry_run ? 0 : 7");
    expect(error.message).toMatch(new RegExp(`^aborted: Index out of range at ~lib/typedarray\\.ts:\\d+:\\d+, in typed_out_of_range near test/fixtures/plugins/testkit/src/index\\.ts:${line}:\\d+$`));
    expect(error.details).not.toHaveProperty("callee");
    expect(error.details).toMatchObject({ caller: "test/fixtures/plugins/testkit/src/index/typed_out_of_range", source: { line } });
  });

  test("a module without its source map still names the function that led to the abort", () => {
    const copy = join(tempDir(), "testkit");
    cpSync(join(FIXTURES, "testkit"), copy, { recursive: true });
    rmSync(join(copy, "build", "plugin.wasm.map"));
    const error = abortOf("index_out_of_range", copy);
    expect(error.message).toMatch(/^aborted: Index out of range at ~lib\/array\.ts:\d+:\d+, called from test\/fixtures\/plugins\/testkit\/src\/index\/index_out_of_range$/);
    expect(error.details).not.toHaveProperty("source");
  });

  test("a trap without an abort (unreachable) names the function the engine stopped in, and where it begins", () => {
    const error = abortOf("trap");
    const { line } = placeOf("unreachable();");
    expect(error.kind).toBe("trap");
    expect(error.message).toMatch(new RegExp(`^trap: Unreachable code should not be executed, in trap, which begins at test/fixtures/plugins/testkit/src/index\\.ts:${line}:\\d+$`));
    expect(error.details).toMatchObject({ caller: "test/fixtures/plugins/testkit/src/index/trap", source: { line } });
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
    expect(pluginFrames(["~lib/array/Array<i32>#__get", "~lib/json-as/assembly/deserialize/x", "src/index/pick", "src/index/import_hosts"])).toEqual({
      caller: "src/index/pick",
      callee: "~lib/json-as/assembly/deserialize/x",
    });
    expect(pluginFrames(["src/index/pick", "src/index/import_hosts"])).toEqual({ caller: "src/index/pick" });
    expect(pluginFrames(["~lib/array/Array<i32>#__get"])).toEqual({});
    expect(pluginFrames([])).toEqual({});
  });
});
