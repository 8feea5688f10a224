import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildFixturePlugins, FIXTURE_PLUGINS, pluginHarness, SANDBOX_COMMANDS, type Harness } from "../helpers/plugins.ts";
import { readBuiltinPlugins } from "../../src/plugins/builtin-files.ts";
import { discoverPlugins } from "../../src/plugins/registry.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";

beforeAll(buildFixturePlugins, COMPILE_TIMEOUT_MS);

describe("a plugin written against Extism's own PDK (its kernel: input, output, error_set)", () => {
  let harness: Harness;
  beforeAll(() => {
    harness = pluginHarness("[sandbox]\nprocesses = 1\n", { command: SANDBOX_COMMANDS.compiled });
  });
  afterAll(() => harness.close());

  test("20,000 calls in a row work: the host resets Extism's kernel after every call (it fails at call 16,383 without)", async () => {
    for (let i = 0; i < 20_000; i++) {
      const result = await harness.call("pdk_echo", "echo", { input: i });
      if (!result.ok || (result.value as { input: number }).input !== i) throw new Error(`call ${i}: ${JSON.stringify(result)}`);
    }
  }, 120_000);

  // @extism/as-pdk 1.0.0's Host.outputString allocates the string's UTF-16 length and stores its UTF-8 bytes:
  // the host keeps what runs past the block (see src/plugins/host/kernel-overflow.ts).
  const texts = { "2-byte": "Grüße, Köln", "3-byte": "5 € und 3 ₤", "4-byte (emoji)": "ok 😀🎉", mixed: "ü € 😀 a" };
  for (const [what, text] of Object.entries(texts)) {
    test(`non-ASCII input comes back unchanged through Host.inputString and Host.outputString: ${what}`, async () => {
      const result = await harness.call("pdk_echo", "echo", { input: { text, [text]: [text] } });
      expect(result).toMatchObject({ ok: true, value: { input: { text, [text]: [text] } } });
    });
  }

  test("non-ASCII output of the plugin's own arrives whole", async () => {
    expect(await harness.call("pdk_echo", "greet")).toMatchObject({ ok: true, value: { greeting: "Grüße aus Köln, 5 € 😀" } });
  });

  test("the plugin reads its input as UTF-8: an emoji is 2 code units and 4 bytes, € 1 unit and 3 bytes, ü 1 unit and 2 bytes", async () => {
    const measure = async (input: string) => {
      const result = await harness.call("pdk_echo", "measure", { input });
      if (!result.ok) throw new Error(result.error.message);
      return result.value as { units: number; bytes: number };
    };
    const ascii = await measure("ab");
    expect(await measure("😀")).toEqual({ units: ascii.units, bytes: ascii.bytes + 2 });
    expect(await measure("€b")).toEqual({ units: ascii.units, bytes: ascii.bytes + 2 });
    expect(await measure("üb")).toEqual({ units: ascii.units, bytes: ascii.bytes + 1 });
  });

  test("a store far past the end of a kernel block is still a trap, and the next call works", async () => {
    expect(await harness.call("pdk_echo", "overrun")).toMatchObject({ ok: false, error: { kind: "trap", message: expect.stringContaining("a 1-byte store at offset 100 of a 4-byte Extism block") } });
    expect(await harness.call("pdk_echo", "greet")).toMatchObject({ ok: true });
  });

  test("its error_set arrives as a runtime error with its message", async () => {
    expect(await harness.call("pdk_echo", "complain")).toMatchObject({ ok: false, error: { kind: "runtime", message: expect.stringContaining("complaint from the PDK") } });
    expect((await harness.call("pdk_echo", "echo", { input: "after" })).ok).toBe(true);
  });
});

describe("built-in plugins are embedded at build time", () => {
  test("the embedding reads each plugin folder's manifest and module; discovery loads them as builtin", () => {
    const embedded = readBuiltinPlugins(FIXTURE_PLUGINS);
    expect(Object.keys(embedded)).toEqual(expect.arrayContaining(["pdk_echo", "testkit"]));
    expect(embedded.testkit!.wasmBase64).not.toBeNull();
    const registry = discoverPlugins([], embedded);
    const testkit = registry.plugins.get("testkit")!;
    expect(testkit).toMatchObject({ origin: "builtin", location: "builtin:testkit" });
    expect(WebAssembly.validate(testkit.wasm())).toBe(true);
  });

  test("a built-in plugin and a directory plugin with one ident is an error naming both", () => {
    const registry = discoverPlugins([FIXTURE_PLUGINS], readBuiltinPlugins(FIXTURE_PLUGINS));
    expect(registry.errors.map((e) => e.message)).toContainEqual(expect.stringContaining(`builtin:testkit and ${FIXTURE_PLUGINS}/testkit`));
  });
});
