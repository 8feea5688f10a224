import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { startEarlySandbox, takeEarlySandbox } from "../../src/plugins/sandbox/early.ts";
import { buildFixturePlugins, sandboxProcesses, pluginHarness, SANDBOX_COMMANDS, type Harness } from "../helpers/plugins.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";
import { until } from "../helpers/until.ts";

/** The early sandbox's process, once it runs as a sandbox (a spawned child shows its environment only after exec). */
const started = (ident: string) =>
  until(`the early sandbox process of ${ident}`, () => {
    const [pid] = sandboxProcesses(ident);
    return pid;
  });

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
    const early = await started("testkit");
    expect(takeEarlySandbox(command, "csv")).toBeUndefined();
    expect(takeEarlySandbox(["/elsewhere/syncer"], "testkit")).toBeUndefined();

    const result = await harness.call("testkit", "hello", { accountName: "demo" });
    expect(result).toMatchObject({ ok: true });
    // No second process was started: the call ran in the early one, which is now the pool's.
    expect(sandboxProcesses("testkit")).toEqual([early]);
    expect(takeEarlySandbox(command, "testkit")).toBeUndefined();
  });

  test("one that has died is not taken: the pool starts a fresh one", async () => {
    const ident = "json";
    startEarlySandbox(command, ident);
    const early = await started(ident);
    process.kill(early, "SIGKILL");
    // Gone (reaped, so its exit is known here): taking it gives nothing.
    await until("the killed sandbox to be reaped", () => !existsSync(`/proc/${early}`));
    await Bun.sleep(50);
    expect(takeEarlySandbox(command, ident)).toBeUndefined();
  });
});
