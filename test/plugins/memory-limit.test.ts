import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { capMemory, WasmFormatError } from "../../src/plugins/wasm/memory-limit.ts";

// Tiny modules assembled by hand, so each test shows exactly which bytes the parser meets.

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    const low = n % 0x80;
    n = Math.floor(n / 0x80);
    out.push(n > 0 ? low | 0x80 : low);
  } while (n > 0);
  return out;
}
const str = (s: string): number[] => [...leb(s.length), ...new TextEncoder().encode(s)];
const vec = (...items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const section = (id: number, payload: number[]): number[] => [id, ...leb(payload.length), ...payload];
const wasm = (...sections: number[][]): Uint8Array => Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...sections.flat()]);

/** Limits: flags 0x00 (min only) or 0x01 (min and max), plus the shared bit 0x02 when asked. */
const limits = (min: number, max?: number, shared = false): number[] =>
  [(max === undefined ? 0 : 1) | (shared ? 2 : 0), ...leb(min), ...(max === undefined ? [] : leb(max))];

const I32 = 0x7f;
const types = section(1, vec([0x60, 1, I32, 1, I32])); // type 0: (i32) -> i32
const functions = section(3, vec([0])); // one function of type 0
// (func (param i32) (result i32) local.get 0 memory.grow)
const growBody = [0x00, 0x20, 0x00, 0x40, 0x00, 0x0b];
const code = section(10, vec([...leb(growBody.length), ...growBody]));
const exports = section(7, vec([...str("memory"), 0x02, 0], [...str("grow"), 0x00, 0]));
const custom = (name: string, data: number[]): number[] => section(0, [...str(name), ...data]);

/** A module defining its memory with these limits, exporting it and a `grow` function. */
const definedMemory = (memoryLimits: number[]): Uint8Array =>
  wasm(types, functions, section(5, vec(memoryLimits)), exports, code);

/** A module importing its memory from env.memory after a function, a table and a global, to walk every import kind. */
const importedMemory = (memoryLimits: number[], memoryModule = "env"): Uint8Array =>
  wasm(
    types,
    section(
      2,
      vec(
        [...str("env"), ...str("log"), 0x00, 0], // function of type 0
        [...str("env"), ...str("table"), 0x01, 0x70, ...limits(1)], // funcref table
        [...str("env"), ...str("base"), 0x03, I32, 0x00], // immutable i32 global
        [...str(memoryModule), ...str("memory"), 0x02, ...memoryLimits],
      ),
    ),
    functions,
    section(7, vec([...str("grow"), 0x00, 1])), // function 0 is the import, 1 is ours
    code,
  );

function importsFor(memory: WebAssembly.Memory, memoryModule = "env"): Bun.WebAssembly.Imports {
  const imports: Bun.WebAssembly.Imports = {
    env: {
      log: (x: number) => x,
      table: new WebAssembly.Table({ initial: 1, element: "anyfunc" }),
      base: new WebAssembly.Global({ value: "i32", mutable: false }, 0),
    },
  };
  imports[memoryModule] = { ...imports[memoryModule], memory };
  return imports;
}

interface Exports {
  memory: WebAssembly.Memory;
  grow(pages: number): number;
}
const instantiate = (bytes: Uint8Array, imports: Bun.WebAssembly.Imports = {}): Exports =>
  new WebAssembly.Instance(new WebAssembly.Module(bytes), imports).exports as unknown as Exports;

function formatError(run: () => unknown): WasmFormatError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WasmFormatError);
    return error as WasmFormatError;
  }
  throw new Error("capMemory accepted the module");
}

function sameShape(before: Uint8Array, after: Uint8Array): void {
  const a = new WebAssembly.Module(before);
  const b = new WebAssembly.Module(after);
  expect(WebAssembly.Module.exports(b)).toEqual(WebAssembly.Module.exports(a));
  expect(WebAssembly.Module.imports(b)).toEqual(WebAssembly.Module.imports(a));
}

describe("a defined memory gets the cap as its maximum", () => {
  test("no declared max: the cap becomes the max, JS grow past it throws RangeError", () => {
    const input = definedMemory(limits(1));
    const result = capMemory(input, 4);
    expect(result).toMatchObject({ declaredMaxPages: undefined, maxPages: 4, initialPages: 1 });
    sameShape(input, result.bytes);
    const { memory } = instantiate(result.bytes);
    expect(memory.grow(3)).toBe(1);
    expect(() => memory.grow(1)).toThrow(RangeError);
    expect(memory.buffer.byteLength).toBe(4 * 65536);
  });

  test("wasm-side memory.grow past the max returns -1 instead of growing", () => {
    const { grow, memory } = instantiate(capMemory(definedMemory(limits(1)), 4).bytes);
    expect(grow(3)).toBe(1);
    expect(grow(1)).toBe(-1);
    expect(memory.buffer.byteLength).toBe(4 * 65536);
  });

  test("a declared max above the cap is lowered to the cap", () => {
    const result = capMemory(definedMemory(limits(1, 100)), 4);
    expect(result).toMatchObject({ declaredMaxPages: 100, maxPages: 4, initialPages: 1 });
    const { grow } = instantiate(result.bytes);
    expect(grow(3)).toBe(1);
    expect(grow(1)).toBe(-1);
  });

  test("a declared max below the cap is kept, and the bytes come back unchanged", () => {
    const input = definedMemory(limits(1, 2));
    const result = capMemory(input, 4);
    expect(result).toMatchObject({ declaredMaxPages: 2, maxPages: 2, initialPages: 1 });
    expect(result.bytes).toEqual(input);
    expect(result.bytes).not.toBe(input);
    const { grow } = instantiate(result.bytes);
    expect(grow(1)).toBe(1);
    expect(grow(1)).toBe(-1);
  });

  test("a shared memory keeps its shared bit", () => {
    const result = capMemory(definedMemory(limits(1, 100, true)), 4);
    expect(result.maxPages).toBe(4);
    const { memory, grow } = instantiate(result.bytes);
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(grow(3)).toBe(1);
    expect(grow(1)).toBe(-1);
  });

  test("initial pages equal to the cap are allowed; over the cap is an error in pages and MiB", () => {
    expect(capMemory(definedMemory(limits(4)), 4).maxPages).toBe(4);
    expect(formatError(() => capMemory(definedMemory(limits(20)), 16)).message).toBe(
      "the module asks for 20 pages (1.25 MiB) of memory at start, over the limit of 16 pages (1 MiB)",
    );
  });

  test("the input array is not modified", () => {
    const input = definedMemory(limits(1));
    const copy = input.slice();
    const result = capMemory(input, 4);
    expect(input).toEqual(copy);
    expect(result.bytes).not.toEqual(input);
  });
});

describe("an imported memory gets the cap in its import descriptor", () => {
  test("the host's memory must fit the cap; grow past it fails on both sides", () => {
    const input = importedMemory(limits(1));
    const result = capMemory(input, 4);
    expect(result).toMatchObject({ declaredMaxPages: undefined, maxPages: 4, initialPages: 1 });
    sameShape(input, result.bytes);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const { grow } = instantiate(result.bytes, importsFor(memory));
    expect(grow(2)).toBe(1);
    expect(memory.grow(1)).toBe(3);
    expect(grow(1)).toBe(-1);
    expect(() => memory.grow(1)).toThrow(RangeError);
  });

  test("an unbounded host memory no longer links, so the cap cannot be sidestepped", () => {
    const input = importedMemory(limits(1));
    const unbounded = () => importsFor(new WebAssembly.Memory({ initial: 1 }));
    expect(instantiate(input, unbounded()).grow(1)).toBe(1); // links before the cap
    expect(() => instantiate(capMemory(input, 4).bytes, unbounded())).toThrow(WebAssembly.LinkError);
  });

  test("the section size prefix may grow a byte (127 -> 128) and the module still compiles", () => {
    // Pad the memory's module name until the import section payload is exactly 127 bytes.
    let name = "env";
    while (importSectionSize(importedMemory(limits(1), name)) < 127) name += "x";
    const input = importedMemory(limits(1), name);
    expect(importSectionSize(input)).toBe(127);
    const result = capMemory(input, 4);
    expect(result.bytes.length).toBe(input.length + 2); // one byte of max, one of size prefix
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const { grow } = instantiate(result.bytes, importsFor(memory, name));
    expect(grow(3)).toBe(1);
    expect(grow(1)).toBe(-1);
  });
});

/** Size of the import section (the second section, after the 8-byte header and the type section). */
function importSectionSize(bytes: Uint8Array): number {
  const at = 8 + types.length;
  expect(bytes[at]).toBe(2);
  return bytes[at + 1]! < 0x80 ? bytes[at + 1]! : (bytes[at + 1]! & 0x7f) + bytes[at + 2]! * 0x80;
}

describe("everything but the memory limits is copied byte for byte", () => {
  test("a module without memory comes back unchanged with maxPages 0", () => {
    const input = wasm(types, functions, section(7, vec([...str("id"), 0x00, 0])), section(10, vec([4, 0x00, 0x20, 0x00, 0x0b])));
    const result = capMemory(input, 4);
    expect(result).toEqual({ bytes: input, declaredMaxPages: undefined, maxPages: 0, initialPages: 0 });
    new WebAssembly.Module(result.bytes);
  });

  test("custom sections before and after survive, in place", () => {
    const before = custom("before", [1, 2, 3]);
    const after = custom("after", [4, 5, 6, 7]);
    const input = wasm(before, types, functions, section(5, vec(limits(1))), exports, code, after);
    const result = capMemory(input, 4);
    const bytes = Array.from(result.bytes);
    expect(bytes.slice(8, 8 + before.length)).toEqual(before);
    expect(bytes.slice(-after.length)).toEqual(after);
    const module = new WebAssembly.Module(result.bytes);
    expect(new Uint8Array(WebAssembly.Module.customSections(module, "before")[0]!)).toEqual(Uint8Array.of(1, 2, 3));
    expect(new Uint8Array(WebAssembly.Module.customSections(module, "after")[0]!)).toEqual(Uint8Array.of(4, 5, 6, 7));
  });
});

describe("malformed or unsupported modules are WasmFormatErrors that say what and where", () => {
  test("wrong magic, wrong version, a cut header", () => {
    expect(formatError(() => capMemory(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 1, 0, 0, 0), 4)).message).toContain("wrong magic at byte 0");
    expect(formatError(() => capMemory(Uint8Array.of(0, 0x61, 0x73, 0x6d, 2, 0, 0, 0), 4)).message).toContain("wrong version at byte 4");
    expect(formatError(() => capMemory(Uint8Array.of(0, 0x61, 0x73), 4)).message).toContain("ends inside the header at byte 3");
  });

  test("a module cut inside a section names the section and its offset", () => {
    const input = definedMemory(limits(1));
    const memoryAt = 8 + types.length + functions.length;
    const error = formatError(() => capMemory(input.subarray(0, memoryAt + 3), 4));
    expect(error.message).toBe(`section 5 at byte ${memoryAt} runs past the end of the module (3 bytes declared, 1 left)`);
  });

  test("a module cut inside a section header names the offset", () => {
    const input = wasm(types, section(0, [...str("pad"), ...new Array<number>(200).fill(0)]));
    const customAt = 8 + types.length;
    expect(formatError(() => capMemory(input.subarray(0, customAt + 2), 4)).message).toBe(`unexpected end of the module at byte ${customAt + 2}`);
  });

  test("a LEB128 over 5 bytes", () => {
    const input = wasm([5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    expect(formatError(() => capMemory(input, 4)).message).toBe("LEB128 number longer than 5 bytes at byte 9");
  });

  test("limits that run past their section", () => {
    const input = wasm(section(5, [1, 0x01, 1]), custom("next", [])); // has-max flag, but no max
    expect(formatError(() => capMemory(input, 4)).message).toBe("unexpected end of a section at byte 13");
  });

  test("64-bit memories are not supported", () => {
    expect(formatError(() => capMemory(wasm(section(5, vec([0x04, 1]))), 4)).message).toContain("64-bit memories are not supported");
    expect(formatError(() => capMemory(importedMemory([0x05, 1, 2]), 4)).message).toContain("64-bit memories are not supported");
  });

  test("more than one memory, defined or imported", () => {
    expect(formatError(() => capMemory(wasm(section(5, vec(limits(1), limits(1)))), 4)).message).toContain("more than one memory");
    const both = wasm(section(2, vec([...str("env"), ...str("memory"), 0x02, ...limits(1)])), section(5, vec(limits(1))));
    expect(formatError(() => capMemory(both, 4)).message).toContain("more than one memory");
  });
});

describe("a real AssemblyScript module", () => {
  const dir = mkdtempSync(join(tmpdir(), "syncer-memory-limit-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test(
    "capped at 8 pages, memory.grow past the max returns -1",
    () => {
      writeFileSync(join(dir, "index.ts"), "export function grow(n: i32): i32 { return memory.grow(n); }\n");
      const asc = resolve(import.meta.dir, "..", "..", "node_modules", ".bin", "asc");
      const built = Bun.spawnSync([asc, "index.ts", "--outFile", "x.wasm", "--runtime", "stub"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
      expect(built.stderr.toString()).toBe("");
      expect(built.exitCode).toBe(0);

      const input = new Uint8Array(readFileSync(join(dir, "x.wasm")));
      const result = capMemory(input, 8);
      expect(result.maxPages).toBe(8);
      expect(result.declaredMaxPages).toBeUndefined();
      sameShape(input, result.bytes);
      const { grow, memory } = instantiate(result.bytes, { env: { abort() {} } });
      expect(grow(8 - result.initialPages)).toBe(result.initialPages);
      expect(grow(1)).toBe(-1);
      expect(memory.buffer.byteLength).toBe(8 * 65536);
    },
    30_000,
  );
});
