import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BINARY, cleanEnv, tempDir, writeConfig } from "../helpers/binary.ts";
import { buildFixturePlugins, FIXTURE_PLUGINS } from "../helpers/plugins.ts";
import { COMPILE_TIMEOUT_MS, MANY_PROCESSES_TIMEOUT_MS } from "../helpers/timeouts.ts";

/**
 * Hostile plugins through the compiled binary end to end: `syncer plugins call` is the daemon side,
 * its sandbox the same executable. Each case: the right kind and message, then the same plugin answers.
 */
describe("hostile plugins against dist/syncer", () => {
  let config: string;
  let upstream: ReturnType<typeof Bun.serve>;
  beforeAll(() => {
    buildFixturePlugins();
    upstream = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => (new URL(req.url).pathname === "/out" ? Response.redirect("http://localhost:1/x", 302) : new Response("y".repeat(3 * 1024 * 1024))) });
    config = writeConfig(
      tempDir(),
      // Only the infinite loop runs under the 1 s limit of "quick"; the rest have the default 30 s, far above what
      // they need on any machine. A 32 MiB memory cap is reached in milliseconds (32 allocations of 1 MiB).
      `[plugins]\ndirectories = [${JSON.stringify(FIXTURE_PLUGINS)}]\n[sandbox]\nmax_output_mb = 2\nmemory_mb = 32\n` +
        `[accounts.quick]\nplugin = "testkit"\ntimeout_seconds = 1\n[accounts.roomy]\nplugin = "testkit"\naddress = "http://127.0.0.1:${upstream.port}"\n`,
    );
  }, COMPILE_TIMEOUT_MS);
  afterAll(() => upstream.stop(true));

  /** Asynchronous, so the upstream served by this process can answer while syncer runs. */
  const call = async (name: string, input: unknown = null, account = "roomy") => {
    const child = Bun.spawn([BINARY, "plugins", "call", "testkit", name, account, "--json", "--input", JSON.stringify(input), "--config", config], { env: cleanEnv(), stdout: "pipe", stderr: "pipe" });
    const [stdout, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
    return { code, body: JSON.parse(stdout) as { ok: boolean; value?: unknown; error?: { kind: string; message: string } } };
  };

  const cases: [string, string, unknown, string, RegExp, string?][] = [
    ["an infinite loop", "loop", null, "timeout", /did not finish within 1 s/, "quick"],
    ["allocating until memory runs out", "hog", null, "oom", /out of memory: .*limit 32 MiB/],
    ["an abort with a message", "abort_assert", null, "trap", /aborted: the widget count went negative ✓ at .*index\.ts:\d+:\d+/],
    ["a 3 MiB response over a 2 MiB limit", "big", { mb: 3 }, "abi", /over the limit of 2 MiB/],
  ];
  for (const [what, name, input, kind, message, account] of cases) {
    test(`${what}: kind ${kind}, exit 1, and the next call works`, async () => {
      const { code, body } = await call(name, input, account);
      expect(code).toBe(1);
      expect(body.ok).toBe(false);
      expect(body.error?.kind).toBe(kind);
      expect(body.error?.message).toMatch(message);
      expect((await call("echo")).body.ok).toBe(true);
    }, MANY_PROCESSES_TIMEOUT_MS);
  }

  test("non-ASCII in and out", async () => {
    expect((await call("utf8", { text: "Zürich 🚀" })).body).toMatchObject({ ok: true, value: { text: "Zürich 🚀 → Grüße, 日本, 🚀" } });
  });

  test("HTTP to a host not allowed, a redirect to one, and a response over the cap are refused", async () => {
    expect((await call("fetch", { url: "http://localhost:9/" })).body).toMatchObject({ ok: true, value: { ok: false, error_kind: "permission" } });
    expect((await call("fetch", { url: `http://127.0.0.1:${upstream.port}/out` })).body).toMatchObject({ ok: true, value: { ok: false, error_kind: "permission" } });
    expect((await call("fetch", { url: `http://127.0.0.1:${upstream.port}/big` })).body).toMatchObject({ ok: true, value: { ok: false, error_message: expect.stringContaining("over the limit") } });
  });
});
