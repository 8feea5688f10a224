import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { buildFixturePlugins, pluginHarness, SANDBOX_COMMANDS, type Harness } from "../helpers/plugins.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";

/** This process's sandbox children for a plugin (Linux: by their SYNCER_SANDBOX environment). */
function sandboxProcesses(ident: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const parent = /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
        return Number(parent) === process.pid && readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`SYNCER_SANDBOX=${ident}`);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

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
