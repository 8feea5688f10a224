import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildFixturePlugins, sandboxProcesses, pluginHarness, SANDBOX_COMMANDS, type Harness } from "../helpers/plugins.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";

beforeAll(buildFixturePlugins, COMPILE_TIMEOUT_MS);

describe("calls that do not spread (an inventory's first pages) wait for the plugin's process instead of starting another", () => {
  let harness: Harness;
  beforeAll(() => {
    harness = pluginHarness(`[sandbox]\nprocesses = 2\n[accounts.demo]\nplugin = "testkit"\n`, { command: SANDBOX_COMMANDS.source! });
  });
  afterAll(() => harness.close());

  const calls = (count: number, spread: boolean) => {
    const plugin = harness.setup.registry.plugins.get("testkit")!;
    const account = harness.setup.accounts.get("demo");
    return Promise.all(Array.from({ length: count }, () => harness.runtime.call(plugin, "hello", { account, spread })));
  };

  test("four at once run one after another in one process, every one answered", async () => {
    const results = await calls(4, false);
    expect(results.map((result) => result.ok)).toEqual([true, true, true, true]);
    expect(sandboxProcesses("testkit")).toHaveLength(1);
  });

  test("calls that spread start the pool's second process", async () => {
    const results = await calls(4, true);
    expect(results.every((result) => result.ok)).toBe(true);
    expect(sandboxProcesses("testkit")).toHaveLength(2);
  });
});
