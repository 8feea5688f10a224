/**
 * Plugins' filters and tests called in their sandbox (the rulefix fixture through the real runtime): many
 * values in one call, one result each; a value the plugin refuses or answers wrongly fails alone; a call
 * that traps or answers garbage as a whole is halved until the values it fails on are found, and only
 * they fail.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { functionCaller, pluginFunctionsOf } from "../../src/plugins/functions.ts";
import type { PluginFunction } from "../../src/rules/plugin-functions.ts";
import type { LogLine } from "../../src/plugins/protocol.ts";
import { buildFixturePlugins, pluginHarness, type Harness } from "../helpers/plugins.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";

let harness: Harness;
let slug: PluginFunction;
let longerThan: PluginFunction;
const logs: LogLine[] = [];

beforeAll(() => {
  buildFixturePlugins();
  harness = pluginHarness("");
  const functions = pluginFunctionsOf(harness.setup.registry.plugins.get("rulefix")!);
  slug = functions.find((fn) => fn.name === "rulefix_slug")!;
  longerThan = functions.find((fn) => fn.name === "rulefix_longer_than")!;
}, COMPILE_TIMEOUT_MS);
afterAll(() => harness.close());
beforeEach(() => void logs.splice(0));

const caller = () => functionCaller(harness.runtime, harness.setup.registry, harness.setup.pluginOptions, { onLogs: (lines) => logs.push(...lines) });
const calls = () => logs.splice(0).map((line) => line.message);
const items = (...values: unknown[]) => values.map((value) => ({ value, args: [] as unknown[] }));

describe("what a manifest declares", () => {
  test("filters and tests named as rules write them, with the arguments they take", () => {
    expect([slug, longerThan]).toEqual([
      { name: "rulefix_slug", plugin: "rulefix", kind: "filter", entry: "slug", manifest: expect.stringMatching(/rulefix\/plugin\.json$/), minArgs: 0, maxArgs: 1 },
      { name: "rulefix_longer_than", plugin: "rulefix", kind: "test", entry: "longer_than", manifest: expect.stringMatching(/rulefix\/plugin\.json$/), minArgs: 1, maxArgs: 1 },
    ]);
  });
});

describe("calls in the sandbox", () => {
  test("every value in one call, each with its arguments, a result each", async () => {
    const results = await caller()(slug, [
      { value: "Bad Homburg", args: [] },
      { value: "Bad Homburg", args: ["_"] },
      { value: 42, args: [] },
      { value: ["a"], args: [] },
    ]);
    expect(results).toEqual([
      { ok: true, value: "bad-homburg" },
      { ok: true, value: "bad_homburg" },
      { ok: true, value: "42" },
      { ok: false, message: "not a string or number" },
    ]);
    expect(calls()).toEqual(["slug: 4 values"]);
  });

  test("a test answers true or false; anything else fails that value only", async () => {
    const results = await caller()(longerThan, [
      { value: "web01", args: [3] },
      { value: "db1", args: [3] },
      { value: "maybe!", args: [3] },
    ]);
    expect(results).toEqual([{ ok: true, value: true }, { ok: true, value: false }, { ok: false, message: 'answered "maybe", not true or false' }]);
  });

  test("a value refused, or answered with neither a value nor an error, fails alone", async () => {
    expect(await caller()(slug, items("a b", "refuse!", "nonsense!"))).toEqual([
      { ok: true, value: "a-b" },
      { ok: false, message: "refused on purpose" },
      { ok: false, message: 'answered {"valu":"nonsense!"}, not {"value": …} or {"error": "why"}' },
    ]);
  });

  test("a call that traps is halved until the value it traps on is found: only that value fails", async () => {
    const values = ["a", "b", "c", "trap!", "e", "f", "g", "h"];
    const results = await caller()(slug, items(...values));
    expect(results.filter((result) => result.ok).map((result) => result.ok && result.value)).toEqual(["a", "b", "c", "e", "f", "g", "h"]);
    expect(results[3]).toEqual({ ok: false, message: expect.stringMatching(/^trap: /) });
    // 8 values, then halves: [a b c trap!] traps, [a b] does not, [c trap!] does, [c] and [trap!], then [e f g h].
    expect(calls()).toEqual(["slug: 8 values", "slug: 4 values", "slug: 2 values", "slug: 2 values", "slug: 1 values", "slug: 1 values", "slug: 4 values"]);
  });

  test("an answer with too few results is garbage as a whole: halved the same way", async () => {
    const results = await caller()(slug, items("a", "short!", "c", "d"));
    expect(results).toEqual([{ ok: true, value: "a" }, { ok: false, message: "abi: answered 0 results for 1 values" }, { ok: true, value: "c" }, { ok: true, value: "d" }]);
  });

  test("values beyond one call's share go in further calls", async () => {
    const many = Array.from({ length: 4500 }, (_, index) => `host ${index}`);
    const results = await caller()(slug, items(...many));
    expect(results).toHaveLength(4500);
    expect(results[4499]).toEqual({ ok: true, value: "host-4499" });
    expect(calls().sort()).toEqual(["slug: 2000 values", "slug: 2000 values", "slug: 500 values"]);
  });
});
