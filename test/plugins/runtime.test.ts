import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { CallRequestSchema } from "../../src/plugins/abi.ts";
import { buildFixturePlugins, sandboxProcesses, databaseOf, FIXTURE_PLUGINS, pluginHarness, SANDBOX_COMMANDS, type Harness } from "../helpers/plugins.ts";
import { tempDir } from "../helpers/binary.ts";
import { COMPILE_TIMEOUT_MS, MANY_PROCESSES_TIMEOUT_MS } from "../helpers/timeouts.ts";

/** What a process has open: the targets of its file descriptors. */
function openFiles(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/${pid}/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

beforeAll(buildFixturePlugins, COMPILE_TIMEOUT_MS);

/** Child processes of this test process that are sandboxes. */
function sandboxPids(): number[] {
  const out = Bun.spawnSync(["pgrep", "-P", String(process.pid), "-f", "__sandbox"]).stdout.toString().trim();
  return out ? out.split("\n").map(Number) : [];
}

for (const [name, command] of Object.entries(SANDBOX_COMMANDS)) {
  describe(`plugin runtime, sandbox started ${name === "source" ? "from source" : "from the compiled binary"}`, () => {
    let harness: Harness;
    beforeAll(() => {
      harness = pluginHarness(
        `[sandbox]\nprocesses = 2\n[plugins.testkit]\nrepeat = 3\n[accounts.demo]\nplugin = "testkit"\n[accounts.demo.custom_fields]\nloud = "True"\ntoken = "\${env:TK_TOKEN}"\n[accounts.slow]\nplugin = "testkit"\ntimeout_seconds = 1\n`,
        { command, env: { TK_TOKEN: "tk-secret-value-1" } },
      );
    });
    afterAll(() => harness.close());

    test("a command gets the ABI v1 request: account with typed, resolved options, and its input", async () => {
      const result = await harness.call("testkit", "echo", { accountName: "demo", input: { page: 2 } });
      expect(result.ok).toBe(true);
      const request = (result as { value: Record<string, unknown> }).value;
      // What the plugin received is a valid ABI v1 request (schemas/abi-v1.request.schema.json).
      expect(v.safeParse(CallRequestSchema, request).success).toBe(true);
      expect(request).toMatchObject({ api_version: 1, plugin: "testkit", command: "echo", dry_run: false, input: { page: 2 } });
      expect((request.account as { options: unknown }).options).toEqual({
        greeting: "hello",
        repeat: 3,
        loud: true,
        tags: [],
        mode: "safe",
        token: "tk-secret-value-1",
      });
    });

    test("the SDK's typed option accessors see the same values; logs reach the host", async () => {
      const result = await harness.call("testkit", "hello", { accountName: "demo" });
      expect(result).toMatchObject({ ok: true, value: { greeting: "HELLO, DEMO", repeat: 3, loud: true, mode: "safe", token_length: 17 } });
      expect(result.logs).toEqual([{ level: "info", message: "greeted demo" }]);
    });

    test("non-ASCII input and output survive, an emoji at every offset included", async () => {
      for (let n = 0; n < 12; n++) {
        const text = `${"x".repeat(n)}🚀 Zürich 日本`;
        const result = await harness.call("testkit", "utf8", { input: { text } });
        expect(result).toMatchObject({ ok: true, value: { text: `${text} → Grüße, 日本, 🚀` } });
      }
    });

    test("a plugin's own error keeps its kind and message; an unknown kind becomes runtime", async () => {
      expect(await harness.call("testkit", "fail_auth")).toMatchObject({ ok: false, error: { kind: "auth", message: "token rejected für Zürich" } });
      expect(await harness.call("testkit", "fail_unknown_kind")).toMatchObject({ ok: false, error: { kind: "runtime" } });
      expect(await harness.call("testkit", "nonzero_silent")).toMatchObject({
        ok: false,
        error: { kind: "runtime", message: "nonzero_silent returned 3 without reporting an error" },
      });
    });

    test("an abort reaches the host with its message, file and line; then the next call works", async () => {
      const result = await harness.call("testkit", "abort_assert");
      expect(result).toMatchObject({ ok: false, error: { kind: "trap", details: { file: expect.stringContaining("testkit/src/index.ts"), line: expect.any(Number) } } });
      expect(!result.ok && result.error.message).toContain("aborted: the widget count went negative ✓ at");
      expect((await harness.call("testkit", "echo")).ok).toBe(true);
    });

    test("a trap and a stack overflow are traps; then the next call works", async () => {
      expect(await harness.call("testkit", "trap")).toMatchObject({ ok: false, error: { kind: "trap", message: expect.stringContaining("Unreachable") } });
      expect(await harness.call("testkit", "stack_overflow")).toMatchObject({ ok: false, error: { kind: "trap", message: expect.stringContaining("stack overflow") } });
      expect((await harness.call("testkit", "echo")).ok).toBe(true);
    });

    test("an infinite loop is killed at the time limit (kind timeout); the next call works in a new sandbox", async () => {
      const result = await harness.call("testkit", "loop", { accountName: "slow" });
      expect(result).toMatchObject({ ok: false, error: { kind: "timeout", message: "plugin testkit: loop did not finish within 1 s; its sandbox was killed" } });
      expect((await harness.call("testkit", "hello", { accountName: "demo" })).ok).toBe(true);
    }, MANY_PROCESSES_TIMEOUT_MS);

    test("allocating until memory runs out stops at the cap (kind oom); the next call works", async () => {
      // Apart by construction, not by the machine's speed: a 16 MiB cap is reached in 16 allocations of 1 MiB
      // (milliseconds), the time limit is the default 30 s.
      const small = pluginHarness(`[sandbox]\nprocesses = 1\nmemory_mb = 16\n`, { command });
      try {
        const result = await small.call("testkit", "hog");
        expect(result).toMatchObject({ ok: false, error: { kind: "oom", message: expect.stringContaining("limit 16 MiB") } });
        expect((await small.call("testkit", "echo")).ok).toBe(true);
      } finally {
        small.close();
      }
    }, MANY_PROCESSES_TIMEOUT_MS);

    test("a 50 MiB response is refused (over the 32 MiB limit, kind abi); 20 MiB passes", async () => {
      expect(await harness.call("testkit", "big", { input: { mb: 50 } })).toMatchObject({
        ok: false,
        error: { kind: "abi", message: "the response of 50.0 MiB is over the limit of 32 MiB; return large results in pages" },
      });
      const ok = await harness.call("testkit", "big", { input: { mb: 20 } });
      expect(ok.ok && (ok.value as string).length).toBe(20 * 1024 * 1024 - 2);
    });

    test("a sandbox that crashes fails only the call in flight (kind crash); the next call works", async () => {
      // The call is written to its sandbox before harness.call returns (see PluginPool.call), and the loop
      // has the default 30 s: any moment after this is "in flight".
      const call = harness.call("testkit", "loop");
      const pids = sandboxPids();
      expect(pids.length).toBeGreaterThan(0);
      // SIGABRT, not SIGSEGV: JavaScriptCore handles SIGSEGV itself (wasm memory faults) and turns it into a trap.
      for (const pid of pids) process.kill(pid, "SIGABRT");
      expect(await call).toMatchObject({ ok: false, error: { kind: "crash", message: expect.stringContaining("SIGABRT") } });
      expect((await harness.call("testkit", "echo")).ok).toBe(true);
    }, MANY_PROCESSES_TIMEOUT_MS);

    test("a call sent to a sandbox that died before the daemon saw it go fails with that death (kind crash), not with the pipe's EPIPE; the next call works", async () => {
      expect((await harness.call("testkit", "echo")).ok).toBe(true);
      const pids = sandboxPids();
      expect(pids.length).toBeGreaterThan(0);
      for (const pid of pids) process.kill(pid, "SIGABRT");
      // Waited for here, without giving the event loop a turn: the daemon has not seen them exit, and the
      // call below is written to a pipe nobody reads.
      const dead = (pid: number) => {
        try {
          return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
        } catch {
          return true; // reaped already, off the event loop
        }
      };
      for (const pid of pids) while (!dead(pid)) Bun.sleepSync(5);
      expect(await harness.call("testkit", "echo", { input: { text: "x".repeat(1 << 20) } })).toMatchObject({ ok: false, error: { kind: "crash", message: expect.stringContaining("SIGABRT") } });
      expect((await harness.call("testkit", "echo")).ok).toBe(true);
    }, MANY_PROCESSES_TIMEOUT_MS);

    test("20,000 calls in a row all succeed (Extism's block limit is 16,383 without reset)", async () => {
      for (let i = 0; i < 20_000; i++) {
        const result = await harness.call("testkit", "echo", { input: i });
        if (!result.ok || (result.value as { input: number }).input !== i) throw new Error(`call ${i} failed: ${JSON.stringify(result)}`);
      }
    }, 120_000);

    test("8 concurrent calls all succeed, queued over the pool's 2 processes", async () => {
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => harness.call("testkit", "echo", { input: i })));
      expect(results.map((r) => r.ok && (r.value as { input: number }).input)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(harness.runtime.stats().testkit!.processes).toBeLessThanOrEqual(2);
    });

    test("a flood of log lines is capped per call and counted", async () => {
      const result = await harness.call("testkit", "chatty");
      expect(result.logs.length).toBe(1000);
      expect(result.droppedLogs).toBe(4000);
    });

    test("the key-value cache stores values; an expired key reads as missing", async () => {
      expect((await harness.call("testkit", "kv_put", { input: { key: "k", value: "v ✓" } })).ok).toBe(true);
      expect(await harness.call("testkit", "kv_read", { input: { key: "k" } })).toMatchObject({ ok: true, value: { found: true, value: "v ✓" } });
      await harness.call("testkit", "kv_put", { input: { key: "short", value: "x", ttl: 1 } });
      const sqlite = new Database(databaseOf(harness));
      sqlite.run("UPDATE plugin_kv SET expires_at = ? WHERE key = 'short'", [Date.now() - 1]);
      sqlite.close();
      expect(await harness.call("testkit", "kv_read", { input: { key: "short" } })).toMatchObject({ ok: true, value: { found: false } });
    });

    test("the cache keeps Ansible's contract through the SDK: get, set, contains, keys with a prefix, delete, flush", async () => {
      const steps = [
        { op: "flush" }, // what earlier tests left
        { op: "set", key: "host/web01", value: "ä ✓" },
        { op: "set", key: "host/db01", value: "2" },
        { op: "set", key: "group/web", value: "3" },
        { op: "contains", key: "host/web01" },
        { op: "contains", key: "host/none" },
        { op: "keys", prefix: "host/" },
        { op: "delete", key: "host/db01" },
        { op: "delete", key: "host/db01" },
        { op: "get", key: "host/db01" },
        { op: "get", key: "host/web01" },
        { op: "flush", prefix: "host/" },
        { op: "keys" },
        { op: "flush" },
        { op: "keys" },
      ];
      const result = await harness.call("testkit", "kv_cache", { input: steps });
      expect(result).toMatchObject({ ok: true });
      expect(result.ok && result.value).toEqual([
        { op: "flush", flushed: expect.any(Number) },
        { op: "set" },
        { op: "set" },
        { op: "set" },
        { op: "contains", yes: true },
        { op: "contains", yes: false },
        { op: "keys", keys: ["host/db01", "host/web01"] },
        { op: "delete", yes: true },
        { op: "delete", yes: false },
        { op: "get" },
        { op: "get", value: "ä ✓" },
        { op: "flush", flushed: 1 },
        { op: "keys", keys: ["group/web"] },
        { op: "flush", flushed: 1 },
        { op: "keys", keys: [] },
      ]);
    });

    test("an expired entry reads as missing to contains and keys too", async () => {
      await harness.call("testkit", "kv_cache", { input: [{ op: "flush" }, { op: "set", key: "brief", value: "x", ttl: 60 }, { op: "set", key: "kept", value: "x" }] });
      const sqlite = new Database(databaseOf(harness));
      sqlite.run("UPDATE plugin_kv SET expires_at = ? WHERE key = 'brief'", [Date.now() - 1]);
      sqlite.close();
      const result = await harness.call("testkit", "kv_cache", { input: [{ op: "contains", key: "brief" }, { op: "keys" }, { op: "delete", key: "brief" }] });
      expect(result.ok && result.value).toEqual([{ op: "contains", yes: false }, { op: "keys", keys: ["kept"] }, { op: "delete", yes: false }]);
    });

    test("the cache is the plugin's per account: an account's entries are not another's, nor a call's without one", async () => {
      await harness.call("testkit", "kv_cache", { accountName: "demo", input: [{ op: "set", key: "etag", value: "demo's" }] });
      const without = await harness.call("testkit", "kv_cache", { input: [{ op: "get", key: "etag" }, { op: "keys", prefix: "et" }] });
      expect(without.ok && without.value).toEqual([{ op: "get" }, { op: "keys", keys: [] }]);
      const demo = await harness.call("testkit", "kv_cache", { accountName: "demo", input: [{ op: "get", key: "etag" }, { op: "keys", prefix: "et" }] });
      expect(demo.ok && demo.value).toEqual([{ op: "get", value: "demo's" }, { op: "keys", keys: ["etag"] }]);
    });

    test("a kv request the ABI refuses is the call's error (kind abi), naming the host function", async () => {
      const result = await harness.call("testkit", "kv_cache", { input: [{ op: "contains", key: "" }] });
      expect(result).toMatchObject({ ok: false, error: { kind: "abi" } });
      expect(!result.ok && result.error.message).toMatch(/^kv_contains: invalid request: .*key/);
    });

    test("events are stored with the plugin's name; hosts are read from the inventory", async () => {
      const sqlite = new Database(databaseOf(harness));
      sqlite.run("INSERT INTO hosts (hostname, labels, inventory, first_seen, last_changed) VALUES ('web01', '{\"site\":\"fra\"}', '{}', 1, 1)");
      expect((await harness.call("testkit", "emit", { accountName: "demo" })).ok).toBe(true);
      expect(sqlite.query("SELECT plugin, type, data, account FROM events").all()).toContainEqual({ plugin: "testkit", type: "plugin.testkit.ping", data: '{"n":1}', account: "demo" });
      sqlite.close();
      expect(await harness.call("testkit", "read_hosts")).toMatchObject({ ok: true, value: { hosts: [{ hostname: "web01", labels: { site: "fra" } }], next: null } });
    });

    test("no sandbox process holds the database: the cache, events and host reads are answered by the daemon", async () => {
      expect((await harness.call("testkit", "kv_put", { input: { key: "held", value: "by the daemon" } })).ok).toBe(true);
      expect((await harness.call("testkit", "read_hosts")).ok).toBe(true);
      const sandboxes = sandboxProcesses("testkit");
      expect(sandboxes.length).toBeGreaterThan(0);
      const database = databaseOf(harness);
      for (const pid of sandboxes) expect(openFiles(pid).filter((file) => file.startsWith(database))).toEqual([]);
      // The daemon's side did write it.
      const sqlite = new Database(database, { readonly: true });
      expect(sqlite.query("SELECT value FROM plugin_kv WHERE plugin = 'testkit' AND key = 'held'").get()).toEqual({ value: "by the daemon" });
      sqlite.close();
    });

    test("the secret option's value never reaches the call's logs or errors", async () => {
      const results = [await harness.call("testkit", "hello", { accountName: "demo" }), await harness.call("testkit", "fail_auth", { accountName: "demo" })];
      expect(JSON.stringify(results.map((r) => [r.logs, r.ok ? null : r.error]))).not.toContain("tk-secret-value-1");
    });
  });
}

for (const [name, command] of Object.entries(SANDBOX_COMMANDS)) describe(`HTTP through the host, sandbox from ${name}`, () => {
  const hits: string[] = [];
  let upstream: ReturnType<typeof Bun.serve>;
  let other: ReturnType<typeof Bun.serve>;
  let harness: Harness;
  beforeAll(() => {
    other = Bun.serve({ hostname: "localhost", port: 0, fetch: (req) => (hits.push(`other ${new URL(req.url).pathname}`), new Response("other")) });
    upstream = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        const url = new URL(req.url);
        hits.push(`${req.method} ${url.pathname}`);
        if (url.pathname === "/redirect-out") return Response.redirect(`http://localhost:${other.port}/stolen`, 302);
        if (url.pathname === "/redirect-in") return Response.redirect(`/hello`, 302);
        if (url.pathname === "/huge") return new Response("y".repeat(2 * 1024 * 1024));
        return Response.json({ hello: "wörld" });
      },
    });
    harness = pluginHarness(`[sandbox]\nmax_output_mb = 1\n[accounts.web]\nplugin = "testkit"\naddress = "http://127.0.0.1:${upstream.port}"\n`, { command });
  });
  afterAll(() => {
    harness.close();
    upstream.stop(true);
    other.stop(true);
  });
  const fetchVia = (path: string, extra: { method?: string; dryRun?: boolean; url?: string } = {}) =>
    harness.call("testkit", "fetch", { accountName: "web", dryRun: extra.dryRun, input: { url: extra.url ?? `http://127.0.0.1:${upstream.port}${path}`, method: extra.method ?? "GET" } });

  test("a request to the account's address host is answered", async () => {
    expect(await fetchVia("/hello")).toMatchObject({ ok: true, value: { ok: true, status: 200, body: '{"hello":"wörld"}' } });
  });

  test("a host not allowed is refused (permission) and nothing is sent", async () => {
    hits.length = 0;
    expect(await fetchVia("", { url: `http://localhost:${other.port}/direct` })).toMatchObject({ ok: true, value: { ok: false, error_kind: "permission" } });
    expect(hits).toEqual([]);
  });

  test("a redirect from the allowed host to one not allowed is refused, and the other host never sees a request", async () => {
    hits.length = 0;
    const result = await fetchVia("/redirect-out");
    expect(result).toMatchObject({ ok: true, value: { ok: false, error_kind: "permission", error_message: expect.stringContaining("localhost") } });
    expect(hits).toEqual(["GET /redirect-out"]);
  });

  test("a redirect within the allowed host is followed", async () => {
    expect(await fetchVia("/redirect-in")).toMatchObject({ ok: true, value: { ok: true, status: 200, url: `http://127.0.0.1:${upstream.port}/hello` } });
  });

  test("a response over the size cap is an error, not a buffer", async () => {
    expect(await fetchVia("/huge")).toMatchObject({ ok: true, value: { ok: false, error_kind: "runtime", error_message: expect.stringContaining("over the limit") } });
  });

  test("in a dry run, a POST is answered with a fake 200 and not sent", async () => {
    hits.length = 0;
    expect(await fetchVia("/create", { method: "POST", dryRun: true })).toMatchObject({ ok: true, value: { ok: true, status: 200, body: '{"dry_run":true}' } });
    expect(hits).toEqual([]);
  });
});

describe("loading refuses modules that ask for more than they are granted", () => {
  /** The testkit module under a manifest without some permission, or with other bytes. */
  function variant(ident: string, edit: (manifest: Record<string, unknown>) => void, wasm?: Uint8Array): string {
    const dir = join(tempDir(), ident);
    mkdirSync(join(dir, "build"), { recursive: true });
    const manifest = JSON.parse(readFileSync(join(FIXTURE_PLUGINS, "testkit", "plugin.json"), "utf8"));
    manifest.ident = ident;
    edit(manifest);
    writeFileSync(join(dir, "plugin.json"), JSON.stringify(manifest));
    if (wasm) writeFileSync(join(dir, "build", "plugin.wasm"), wasm);
    else copyFileSync(join(FIXTURE_PLUGINS, "testkit", "build", "plugin.wasm"), join(dir, "build", "plugin.wasm"));
    return dir;
  }

  test("importing http without the http permission is refused naming the permission; other plugins still work", async () => {
    const harness = pluginHarness("", { directories: [variant("nohttp", (m) => delete (m.permissions as Record<string, unknown>).http)] });
    const result = await harness.call("nohttp", "echo");
    expect(result).toMatchObject({ ok: false, error: { kind: "permission", message: "plugin nohttp imports syncer:v1.http, which needs the 'http' permission in its plugin.json" } });
    expect((await harness.call("testkit", "echo")).ok).toBe(true);
    harness.close();
  });

  test("bytes that are not WebAssembly are refused (kind abi)", async () => {
    const harness = pluginHarness("", { directories: [variant("garbage", () => {}, new TextEncoder().encode("not wasm at all"))] });
    expect(await harness.call("garbage", "echo")).toMatchObject({ ok: false, error: { kind: "abi", message: expect.stringContaining("not a usable WebAssembly module") } });
    harness.close();
  });

  test("an export that does not exist is named with the ones that do", async () => {
    const harness = pluginHarness("");
    expect(await harness.call("testkit", "nope")).toMatchObject({ ok: false, error: { kind: "abi", message: expect.stringContaining("has no export 'nope' (it has: hello, echo") } });
    harness.close();
  });
});

describe("calls sent ahead to a busy process", () => {
  test("a call sent behind one that asks the daemon for data waits its turn, and the first gets its own answers", async () => {
    const harness = pluginHarness(`[sandbox]\nprocesses = 1\n`);
    // Both written at once: the second call's frames reach the process while the first waits for kv answers.
    const [put, echo, read] = await Promise.all([
      harness.call("testkit", "kv_put", { input: { key: "ahead", value: "first" } }),
      harness.call("testkit", "echo", { input: { n: 2 } }),
      harness.call("testkit", "kv_read", { input: { key: "ahead" } }),
    ]);
    expect(put.ok).toBe(true);
    expect(echo).toMatchObject({ ok: true });
    expect(read).toMatchObject({ ok: true, value: { found: true, value: "first" } });
    expect(harness.runtime.stats().testkit).toEqual({ processes: 1, idle: 1, queued: 0 });
    harness.close();
  });

  test("a call sent behind one that overruns its time limit never began: it runs in a fresh process", async () => {
    const harness = pluginHarness(`[sandbox]\nprocesses = 1\n[accounts.slow]\nplugin = "testkit"\ntimeout_seconds = 2\n`);
    const busy = harness.call("testkit", "loop", { accountName: "slow" });
    const behind = harness.call("testkit", "echo", { input: { n: 1 } });
    expect(await busy).toMatchObject({ ok: false, error: { kind: "timeout" } });
    expect(await behind).toMatchObject({ ok: true });
    harness.close();
  });
});

describe("the pool's queue is bounded", () => {
  test("with one process busy and no room to wait (a call sent ahead counts as waiting), a call is refused as overloaded at once", async () => {
    const harness = pluginHarness(`[sandbox]\nprocesses = 1\nqueue_limit = 0\n[accounts.slow]\nplugin = "testkit"\ntimeout_seconds = 2\n`);
    // The loop is handed to the one process before harness.call returns (see PluginPool.call): the echo finds it busy.
    const busy = harness.call("testkit", "loop", { accountName: "slow" });
    expect(await harness.call("testkit", "echo")).toMatchObject({ ok: false, error: { kind: "overloaded" } });
    expect(await busy).toMatchObject({ ok: false, error: { kind: "timeout" } });
    expect((await harness.call("testkit", "echo")).ok).toBe(true);
    harness.close();
  });
});
