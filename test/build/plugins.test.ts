import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildPlugins, PLUGIN_MAX_MEMORY_PAGES } from "../../build.ts";
import { tempDir } from "../helpers/binary.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";

/** A minimal AssemblyScript plugin folder. */
function writePlugin(root: string, ident: string, body: string): void {
  mkdirSync(join(root, ident, "src"), { recursive: true });
  writeFileSync(join(root, ident, "plugin.json"), JSON.stringify({ ident }));
  writeFileSync(join(root, ident, "src", "index.ts"), body);
}

describe("build.ts builds first-party plugins with asc, only when their sources changed", () => {
  const root = tempDir();
  writePlugin(root, "answer", "export function answer(): i32 { return 42; }\n");
  writePlugin(root, "other", "export function other(): i32 { return 7; }\n");
  const wasm = join(root, "answer", "build", "plugin.wasm");

  test("a first build compiles every plugin into a working module with a memory maximum", async () => {
    expect(buildPlugins(root)).toEqual(["answer", "other"]);
    const module = new WebAssembly.Module(readFileSync(wasm));
    const instance = new WebAssembly.Instance(module, { env: { abort: () => {} } });
    expect((instance.exports.answer as () => number)()).toBe(42);
    const memory = WebAssembly.Module.exports(module).find((e) => e.kind === "memory");
    expect(memory).toBeDefined();
    // The declared maximum is what the host relies on to cap a plugin's memory.
    expect(() => (instance.exports.memory as WebAssembly.Memory).grow(PLUGIN_MAX_MEMORY_PAGES + 1)).toThrow();
  }, COMPILE_TIMEOUT_MS);

  test("nothing changed: nothing rebuilt, outputs untouched", () => {
    const before = statSync(wasm).mtimeMs;
    expect(buildPlugins(root)).toEqual([]);
    expect(statSync(wasm).mtimeMs).toBe(before);
  });

  test("one plugin's source changed: only that plugin is rebuilt", async () => {
    writeFileSync(join(root, "answer", "src", "index.ts"), "export function answer(): i32 { return 43; }\n");
    expect(buildPlugins(root)).toEqual(["answer"]);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasm)), { env: { abort: () => {} } });
    expect((instance.exports.answer as () => number)()).toBe(43);
  }, COMPILE_TIMEOUT_MS);

  test("a compile error fails the build with asc's message", () => {
    writePlugin(root, "broken", "export function nope(): i32 { return missing; }\n");
    expect(() => buildPlugins(root)).toThrow(/asc .* failed/);
  }, COMPILE_TIMEOUT_MS);
});
