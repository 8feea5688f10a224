import { beforeAll, describe, expect, test } from "bun:test";
import { symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { BINARY, cleanEnv, listTree, runSyncer, tempDir, writeConfig } from "../helpers/binary.ts";
import { COMPILE_TIMEOUT_MS, MANY_PROCESSES_TIMEOUT_MS } from "../helpers/timeouts.ts";

const ROOT = resolve(import.meta.dir, "..", "..");

/** Runs `bun run build` in a plugin folder, against the repository's pinned packages; the errors asc printed. */
function buildPlugin(dir: string): { code: number | null; errors: string[] } {
  const build = Bun.spawnSync([process.execPath, "run", "build"], { cwd: dir, env: pluginEnv(), stdout: "pipe", stderr: "pipe" });
  return { code: build.exitCode, errors: build.stderr.toString().split("\n").filter((l) => /ERROR/.test(l)) };
}

/** The environment of a plugin author: asc on PATH and the binary under test as SYNCER_BIN. */
const pluginEnv = () => ({ ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`, SYNCER_BIN: BINARY });

/** `bun test` in a plugin folder: the plugin's own tests, through its harness. */
function pluginTests(dir: string): { code: number | null; output: string } {
  const tests = Bun.spawnSync([process.execPath, "test"], { cwd: dir, env: pluginEnv(), stdout: "pipe", stderr: "pipe" });
  return { code: tests.exitCode, output: tests.stdout.toString() + tests.stderr.toString() };
}

/** A new plugin scaffolded into a fresh folder; its node_modules are the repository's (what `npm install` would fetch). */
function scaffold(ident: string): { parent: string; dir: string } {
  const parent = tempDir();
  const created = runSyncer(["plugins", "new", ident, "--dir", parent]);
  expect(created.code).toBe(0);
  const dir = join(parent, ident);
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return { parent, dir };
}

describe("syncer plugins new", () => {
  // Scaffolded and built once (asc takes seconds on a busy machine); each test reads it, none changes it.
  let fresh: { parent: string; dir: string };
  beforeAll(() => {
    fresh = scaffold("fresh");
    expect(buildPlugin(fresh.dir)).toEqual({ code: 0, errors: [] });
  }, COMPILE_TIMEOUT_MS);

  test("scaffolds a plugin that builds and whose own tests pass against the real binary", () => {
    expect(listTree(fresh.dir)).toEqual(
      expect.arrayContaining(["plugin.json", "package.json", "README.md", "src/index.ts", "sdk/index.ts", "sdk/host.ts", "test/plugin.test.ts", "test/harness.ts", "build/plugin.wasm"]),
    );
    const tests = pluginTests(fresh.dir);
    expect(tests.output).toContain(" 2 pass");
    expect(tests.code).toBe(0);
    // And syncer itself accepts the folder as a plugin.
    const config = writeConfig(tempDir(), `[plugins]\ndirectories = [${JSON.stringify(fresh.parent)}]\n`);
    const info = runSyncer(["plugins", "info", "fresh", "--json", "--config", config]);
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ ident: "fresh", commands: ["import_hosts"] });
  }, MANY_PROCESSES_TIMEOUT_MS);

  test("the freshly built plugin's first real import succeeds: its page has the `next` a run checks for", async () => {
    const upstream = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) =>
        request.headers.get("authorization") === "Bearer s3cret" ? Response.json([{ name: "web01.example.com", site: "fra", role: "web" }, { name: "db01.example.com" }]) : new Response("no", { status: 401 }),
    });
    try {
      const dir = tempDir();
      const config = writeConfig(
        dir,
        `[server]\ndata_dir = "data"\n[plugins]\ndirectories = [${JSON.stringify(fresh.parent)}]\n[accounts.upstream]\nplugin = "fresh"\naddress = "http://127.0.0.1:${upstream.port}"\npassword = "s3cret"\n`,
      );
      // Asynchronous: the fake upstream is served by this process while syncer runs.
      const run = async (args: string[]) => {
        const child = Bun.spawn([BINARY, ...args, "--config", config], { env: cleanEnv(), stdout: "pipe", stderr: "pipe" });
        const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
        return { code, stdout, stderr };
      };
      const imported = await run(["fresh", "import_hosts", "upstream", "--json"]);
      expect(imported.stderr).toBe("");
      expect(imported.code).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ ok: true, status: "ok", created: 2 });
      const hosts = await run(["hosts", "show", "web01.example.com", "--json"]);
      expect(JSON.parse(hosts.stdout)).toMatchObject({ hostname: "web01.example.com", account: "upstream", labels: { site: "fra", role: "web" } });
    } finally {
      upstream.stop(true);
    }
  }, MANY_PROCESSES_TIMEOUT_MS);

  test("the harness checks an import's answer as a run checks each page: a page without `next` fails the plugin's own test", () => {
    // An import written by hand that answers a page without `next` (the SDK's importer always writes it).
    const { dir } = scaffold("nonext");
    const source = [
      `import { JsonApi, fail, outputString, request } from "../sdk/index";`,
      `export function import_hosts(): i32 {`,
      `  const account = request().account!;`,
      `  const answer = new JsonApi(account.address).header("Authorization", "Bearer " + account.password).get("/api/hosts");`,
      `  if (!answer.ok) return fail(answer.errorKind, answer.errorMessage);`,
      `  outputString('{"hosts":[{"hostname":"web01.example.com","labels":{"site":"fra","role":"web"}},{"hostname":"db01.example.com","labels":{}}]}');`,
      `  return 0;`,
      `}`,
    ];
    writeFileSync(join(dir, "src", "index.ts"), source.join("\n") + "\n");
    expect(buildPlugin(dir)).toEqual({ code: 0, errors: [] });
    const tests = pluginTests(dir);
    expect(tests.code).toBe(1);
    expect(tests.output).toContain("1 fail");
    expect(tests.output).toContain('plugin nonext: import_hosts returned an invalid host-page: next: expected "next", found nothing');
  }, COMPILE_TIMEOUT_MS);

  test("refuses an ident that is not one, and a folder that exists, changing nothing", () => {
    const parent = tempDir();
    const bad = runSyncer(["plugins", "new", "Bad-Name", "--dir", parent]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'Bad-Name' is not a plugin ident");
    expect(runSyncer(["plugins", "new", "twice", "--dir", parent]).code).toBe(0);
    const again = runSyncer(["plugins", "new", "twice", "--dir", parent]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already exists");
    expect(listTree(parent).filter((p) => !p.startsWith("twice"))).toEqual([]);
  });
});
