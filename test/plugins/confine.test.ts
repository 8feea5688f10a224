// What a sandbox process may do beyond the wasm sandbox (src/plugins/sandbox/confine.ts): no_new_privs
// and Landlock where the kernel offers it, and files only as the daemon hands them over.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createLogger } from "../../src/core/logger.ts";
import { probeConfinement } from "../../src/plugins/sandbox/confine.ts";
import { SandboxProcess } from "../../src/plugins/sandbox/process.ts";
import { tempDir } from "../helpers/binary.ts";
import { buildFixturePlugins, pluginHarness, SANDBOX_COMMANDS, type Harness } from "../helpers/plugins.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";

beforeAll(buildFixturePlugins, COMPILE_TIMEOUT_MS);

const PROBE = resolve(import.meta.dir, "..", "fixtures", "sandbox", "confine-probe.ts");
const onLinux = process.platform === "linux";
const offered = probeConfinement();
/** The kernel's own answer: where it offers Landlock, a sandbox without it is a failure, here and in CI. */
const landlockAbi = "abi" in offered.landlock ? offered.landlock.abi : undefined;
if (!onLinux) console.warn(`skipping the confinement tests: not Linux (${process.platform})`);
else if (landlockAbi === undefined) console.warn(`skipping the Landlock tests: ${"unavailable" in offered.landlock ? offered.landlock.unavailable : ""}`);

const log = createLogger({ level: "error", format: "text", write: () => {} });

for (const [name, command] of Object.entries(SANDBOX_COMMANDS)) {
  describe(`a sandbox process started ${name === "source" ? "from source" : "from the compiled binary"}`, () => {
    let harness: Harness;
    beforeAll(() => {
      harness = pluginHarness("", { command });
    });
    afterAll(() => harness.close());

    test.skipIf(!onLinux)("runs with no_new_privs and Landlock in force, says so when loaded, and still answers calls", async () => {
      const plugin = harness.setup.registry.plugins.get("testkit")!;
      const load = { type: "load", ident: "testkit", maxPages: 1024, permissions: plugin.manifest.permissions, maxOutputBytes: 1 << 20} as const;
      const sandbox = SandboxProcess.start(command, load, plugin.wasm(), log);
      try {
        expect(await sandbox.loaded).toBeUndefined();
        const result = await sandbox.call("echo", { request: new TextEncoder().encode('{"api_version":1,"input":1}') }, { debug: false, account: null }, 30_000);
        expect(result).toMatchObject({ ok: true });
        expect(sandbox.confinement).toEqual({ noNewPrivs: true, landlock: landlockAbi === undefined ? expect.anything() : { abi: landlockAbi } });
        // The kernel's word for the process the daemon talks to (the second start, same pid).
        expect(readFileSync(`/proc/${sandbox.pid}/status`, "utf8")).toMatch(/^NoNewPrivs:\s*1$/m);
      } finally {
        sandbox.kill();
      }
    });
  });
}

describe("confined as a sandbox process is", () => {
  test.skipIf(!onLinux || landlockAbi === undefined)(
    "a process reads and writes no file outside its allowance, from any thread; DNS and HTTP still work",
    async () => {
      const dir = tempDir("syncer-confine-");
      const secret = join(dir, "secret.txt");
      writeFileSync(secret, "not for plugins");
      const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("hello") });
      try {
        const child = Bun.spawn([process.execPath, PROBE, secret, dir, String(server.port)], { stdout: "pipe", stderr: "pipe" });
        const [out, err] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
        let report: Record<string, unknown>;
        try {
          report = JSON.parse(out) as Record<string, unknown>;
        } catch {
          throw new Error(`the probe did not answer with JSON:\n${out}\n${err}`);
        }
        expect(report).toEqual({
          confinement: { noNewPrivs: true, landlock: { abi: landlockAbi } },
          status: "1",
          readSync: "EACCES",
          readAsync: "EACCES",
          readBunFile: "EACCES",
          write: "EACCES",
          passwd: "EACCES",
          lookup: "ok",
          fetch: "ok",
        });
      } finally {
        server.stop(true);
      }
    },
  );
});

describe("a command's file", () => {
  let harness: Harness;
  let dir: string;
  beforeAll(() => {
    // Outside everything a sandbox may read: the daemon reads it and hands it over.
    dir = tempDir("syncer-handed-");
    mkdirSync(join(dir, "folder"));
    harness = pluginHarness(
      `[accounts.file]\nplugin = "syncfix"\n[accounts.file.custom_fields]\npath = ${JSON.stringify(join(dir, "pages.jsonl"))}\n` +
        `[accounts.folder]\nplugin = "syncfix"\n[accounts.folder.custom_fields]\npath = ${JSON.stringify(join(dir, "folder"))}\n`,
    );
  });
  afterAll(() => harness.close());

  const importPage = (account: string) => harness.call("syncfix", "import_hosts", { accountName: account, input: { page: null, page_size: 10 } });

  test("reaches the plugin from the daemon, and again when it changed", async () => {
    writeFileSync(join(dir, "pages.jsonl"), '[{"hostname":"a"}]\n');
    expect(await importPage("file")).toMatchObject({ ok: true, value: { hosts: [{ hostname: "a" }], next: null } });
    expect(await importPage("file")).toMatchObject({ ok: true, value: { hosts: [{ hostname: "a" }], next: null } });
    writeFileSync(join(dir, "pages.jsonl"), '[{"hostname":"changed"}]\n');
    expect(await importPage("file")).toMatchObject({ ok: true, value: { hosts: [{ hostname: "changed" }], next: null } });
  });

  test("that is not a regular file reaches the plugin as no bytes (it fails the call its own way); the next file still arrives", async () => {
    expect(await importPage("folder")).toMatchObject({ ok: false, error: { kind: "parser", message: "no page 0" } });
    expect(await importPage("file")).toMatchObject({ ok: true });
  });
});
