import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startEarlySandbox, takeEarlySandbox } from "../../src/plugins/sandbox/early.ts";
import { buildFixturePlugins, sandboxProcesses, pluginHarness, SANDBOX_COMMANDS, type Harness } from "../helpers/plugins.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";

beforeAll(buildFixturePlugins, COMPILE_TIMEOUT_MS);

describe("a sandbox process started early (a plugin's command starts it while the CLI loads)", () => {
  const command = SANDBOX_COMMANDS.source!;
  let harness: Harness;
  beforeAll(() => {
    harness = pluginHarness(`[sandbox]\nprocesses = 1\n[accounts.demo]\nplugin = "testkit"\n`, { command });
  });
  afterAll(() => harness.close());

  test("only its plugin's pool, with its command, takes it; then the plugin's first call runs in it", async () => {
    startEarlySandbox(command, "testkit");
    const [early] = sandboxProcesses("testkit");
    expect(early).toBeNumber();
    expect(takeEarlySandbox(command, "csv")).toBeUndefined();
    expect(takeEarlySandbox(["/elsewhere/syncer"], "testkit")).toBeUndefined();

    const result = await harness.call("testkit", "hello", { accountName: "demo" });
    expect(result).toMatchObject({ ok: true });
    // No second process was started: the call ran in the early one, which is now the pool's.
    expect(sandboxProcesses("testkit")).toEqual([early!]);
    expect(takeEarlySandbox(command, "testkit")).toBeUndefined();
  });

  test("one that has died is not taken: the pool starts a fresh one", async () => {
    const ident = "json";
    startEarlySandbox(command, ident);
    const [early] = sandboxProcesses(ident);
    process.kill(early!, "SIGKILL");
    for (let tries = 0; tries < 100 && sandboxProcesses(ident).length > 0; tries++) await Bun.sleep(20);
    // Gone (reaped): taking it gives nothing.
    await Bun.sleep(50);
    expect(takeEarlySandbox(command, ident)).toBeUndefined();
  });
});
