import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { BINARY, cleanEnv, listTree, runSyncer, startDaemon, tempDir, writeConfig } from "../helpers/binary.ts";
import { COMPILE_TIMEOUT_MS, MANY_PROCESSES_TIMEOUT_MS } from "../helpers/timeouts.ts";

/**
 * A new author's path, through the compiled binary: `syncer plugins new --kind …`, build, the plugin's own
 * tests, then a real run of what it provides with no edit. Every kind's plugin is scaffolded and built
 * once; each test reads the folders and changes none (a test that edits a plugin scaffolds its own).
 */

const ROOT = resolve(import.meta.dir, "..", "..");
const KINDS = ["import", "export", "hook", "endpoint"] as const;

/** The environment of a plugin author: asc on PATH and the binary under test as SYNCER_BIN. */
const pluginEnv = () => ({ ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`, SYNCER_BIN: BINARY });

/** Runs `bun run build` in a plugin folder, against the repository's pinned packages; the errors asc printed. */
async function buildPlugin(dir: string): Promise<{ code: number | null; errors: string[] }> {
  const build = Bun.spawn([process.execPath, "run", "build"], { cwd: dir, env: pluginEnv(), stdout: "pipe", stderr: "pipe" });
  const [stderr, code] = await Promise.all([new Response(build.stderr).text(), build.exited]);
  return { code, errors: stderr.split("\n").filter((l) => /ERROR/.test(l)) };
}

/** `bun test` in a plugin folder: the plugin's own tests, through its harness and the binary. */
function pluginTests(dir: string): { code: number | null; output: string } {
  const tests = Bun.spawnSync([process.execPath, "test"], { cwd: dir, env: pluginEnv(), stdout: "pipe", stderr: "pipe" });
  return { code: tests.exitCode, output: tests.stdout.toString() + tests.stderr.toString() };
}

/** A new plugin scaffolded by the binary into `parent`; its node_modules are the repository's (what `npm install` would fetch). */
function scaffold(ident: string, kind: string, parent = tempDir()): string {
  const created = runSyncer(["plugins", "new", ident, "--kind", kind, "--dir", parent]);
  expect(created.stderr).toBe("");
  expect(created.code).toBe(0);
  const dir = join(parent, ident);
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/** Runs the binary asynchronously: a fake upstream served by this process answers meanwhile. */
async function syncer(args: string[], config: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn([BINARY, ...args, "--config", config], { env: cleanEnv(), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, stdout, stderr };
}

/** A stand-in for the API a plugin talks to: what it was sent, and `answer`'s responses. */
function upstream(answer: (request: Request, body: string) => Response) {
  const seen: { method: string; path: string; auth: string | null; body: string }[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const body = await request.text();
      const url = new URL(request.url);
      seen.push({ method: request.method, path: url.pathname, auth: request.headers.get("authorization"), body });
      return answer(request, body);
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, seen, stop: () => server.stop(true) };
}

/** Every kind's plugin, scaffolded into one plugins directory and built. */
const PARENT = tempDir();
const dirOf = (kind: string) => join(PARENT, `my_${kind}`);

beforeAll(async () => {
  for (const kind of KINDS) scaffold(`my_${kind}`, kind, PARENT);
  // Two at a time: the machine's two cores.
  for (const pair of [KINDS.slice(0, 2), KINDS.slice(2)]) {
    const builds = await Promise.all(pair.map((kind) => buildPlugin(dirOf(kind))));
    for (const build of builds) expect(build).toEqual({ code: 0, errors: [] });
  }
}, COMPILE_TIMEOUT_MS);

describe("syncer plugins new: each kind builds, and its own tests pass against the real binary", () => {
  for (const kind of KINDS) {
    test(`--kind ${kind}: the whole SDK, a README, fixtures; every fixture passes \`syncer plugins test\``, () => {
      const dir = dirOf(kind);
      const files = listTree(dir);
      expect(files).toEqual(expect.arrayContaining(["plugin.json", "package.json", "README.md", "src/index.ts", "sdk/index.ts", "sdk/call.ts", "sdk/abi.generated.ts", "sdk/host.ts", "test/plugin.test.ts", "test/harness.ts", "build/plugin.wasm"]));
      // The whole SDK, its subfolders and generated file too, as in the repository.
      for (const file of readdirSync(join(ROOT, "plugins", "sdk"), { recursive: true, encoding: "utf8" })) expect(files).toContain(`sdk/${file}`);
      expect(readFileSync(join(dir, "README.md"), "utf8")).toContain(`# my_${kind}: a Syncer ${kind} plugin`);
      const fixtures = files.filter((file) => /^test\/fixtures\/.+\.json$/.test(file));
      expect(fixtures.length).toBeGreaterThanOrEqual(2);
      const tests = pluginTests(dir);
      expect(tests.output).toContain(` ${fixtures.length} pass`);
      expect(tests.output).toContain(" 0 fail");
      expect(tests.code).toBe(0);
    }, MANY_PROCESSES_TIMEOUT_MS);
  }
});

describe("each kind runs for real through the binary, unedited", () => {
  test("import: a real import creates the API's hosts with their labels", async () => {
    const api = upstream((request) =>
      request.headers.get("authorization") === "Bearer s3cret" ? Response.json([{ name: "web01.example.com", site: "fra", role: "web" }, { name: "db01.example.com" }]) : new Response("no", { status: 401 }),
    );
    try {
      const config = writeConfig(tempDir(), `[server]\ndata_dir = "data"\n[plugins]\ndirectories = [${JSON.stringify(dirOf("import"))}]\n[accounts.api]\nplugin = "my_import"\naddress = "${api.url}"\npassword = "s3cret"\n`);
      const imported = await syncer(["my_import", "import_hosts", "api", "--json"], config);
      expect(imported.stderr).toBe("");
      expect(JSON.parse(imported.stdout)).toMatchObject({ ok: true, status: "ok", created: 2 });
      const host = await syncer(["hosts", "show", "web01.example.com", "--json"], config);
      expect(JSON.parse(host.stdout)).toMatchObject({ hostname: "web01.example.com", account: "api", labels: { site: "fra", role: "web" } });
    } finally {
      api.stop();
    }
  }, MANY_PROCESSES_TIMEOUT_MS);

  test("export: a real export PUTs every host of the inventory with its labels and counts the API's answers", async () => {
    const known = new Set(["web01.berlin.example.com"]);
    const api = upstream((request) => (request.headers.get("authorization") !== "Bearer s3cret" ? new Response("no", { status: 401 }) : new Response(null, { status: known.has(new URL(request.url).pathname.split("/").pop()!) ? 200 : 201 })));
    try {
      const csv = join(tempDir(), "hosts.csv");
      writeFileSync(csv, "host,site,role\nweb01.berlin.example.com,ber,web\ndb01.example.com,fra,db\napp01.example.com,muc,app\n");
      const config = writeConfig(
        tempDir(),
        `[server]\ndata_dir = "data"\n[plugins]\ndirectories = [${JSON.stringify(dirOf("export"))}]\n` +
          `[accounts.demo]\nplugin = "csv"\n[accounts.demo.custom_fields]\npath = ${JSON.stringify(csv)}\n` +
          `[accounts.cmdb]\nplugin = "my_export"\naddress = "${api.url}"\npassword = "s3cret"\n`,
      );
      expect((await syncer(["csv", "import_hosts", "demo"], config)).code).toBe(0);
      const hosts = JSON.parse((await syncer(["hosts", "list", "--json"], config)).stdout) as { hosts: { hostname: string; labels: Record<string, string> }[] };
      expect(hosts.hosts.length).toBe(3);
      const exported = await syncer(["my_export", "export_hosts", "cmdb", "--json"], config);
      expect(exported.stderr).toBe("");
      expect(JSON.parse(exported.stdout)).toMatchObject({ ok: true, status: "ok", created: hosts.hosts.length - 1, updated: 1, failed: 0 });
      expect(api.seen.map((request) => `${request.method} ${request.path}`).sort()).toEqual(hosts.hosts.map((host) => `PUT /api/hosts/${host.hostname}`).sort());
      const web01 = hosts.hosts.find((host) => host.hostname === "web01.berlin.example.com")!;
      expect(JSON.parse(api.seen.find((request) => request.path.endsWith("/web01.berlin.example.com"))!.body)).toEqual({ name: web01.hostname, labels: web01.labels });
    } finally {
      api.stop();
    }
  }, MANY_PROCESSES_TIMEOUT_MS);

  test("hook: a real import calls the pre_update hook, and the hosts are stored as it rewrote them", async () => {
    const csv = join(tempDir(), "hosts.csv");
    writeFileSync(csv, "host,site,role\nweb01.example.com,,web\ndb01.example.com,fra,db\n");
    const config = writeConfig(
      tempDir(),
      `[server]\ndata_dir = "data"\n[plugins]\ndirectories = [${JSON.stringify(dirOf("hook"))}]\n[plugins.my_hook]\ndefault_site = "ber"\n` +
        `[accounts.demo]\nplugin = "csv"\n[accounts.demo.custom_fields]\npath = ${JSON.stringify(csv)}\nlabel_columns = ["role"]\n`,
    );
    const imported = await syncer(["csv", "import_hosts", "demo", "--json"], config);
    expect(JSON.parse(imported.stdout)).toMatchObject({ ok: true, created: 2 });
    const web01 = JSON.parse((await syncer(["hosts", "show", "web01.example.com", "--json"], config)).stdout);
    // The csv account imports only the role: the hook filled in the site from [plugins.my_hook].
    expect(web01.labels).toEqual({ role: "web", site: "ber" });
  }, MANY_PROCESSES_TIMEOUT_MS);

  test("endpoint: the daemon serves it, and notes saved through the API are listed back from the cache", async () => {
    const config = writeConfig(tempDir(), `[server]\nlisten = "127.0.0.1:0"\ndata_dir = "data"\n[plugins]\ndirectories = [${JSON.stringify(dirOf("endpoint"))}]\n`);
    expect((await syncer(["migrate"], config)).code).toBe(0);
    const token = JSON.parse((await syncer(["token", "create", "--name", "notes", "--scope", "hosts:write", "--json"], config)).stdout).token as string;
    const daemon = await startDaemon(["--config", config]);
    try {
      const api = (method: string, body?: string, query = "") =>
        fetch(`${daemon.url}/api/v1/plugins/my_endpoint/notes${query}`, { method, body, headers: { authorization: `Bearer ${token}` } });
      const saved = await api("POST", JSON.stringify({ name: "oncall", text: "alice ✓" }));
      expect(saved.status).toBe(201);
      expect(await saved.json()).toEqual({ message: "saved oncall" });
      expect((await api("POST", JSON.stringify({ name: "backup", text: "02:00" }))).status).toBe(201);
      const listed = await api("GET");
      expect(await listed.json()).toEqual({ notes: { backup: "02:00", oncall: "alice ✓" } });
      expect((await api("DELETE", undefined, "?name=backup")).status).toBe(200);
      expect((await api("DELETE", undefined, "?name=backup")).status).toBe(404);
      expect(await (await api("GET")).json()).toEqual({ notes: { oncall: "alice ✓" } });
    } finally {
      await daemon.stop();
    }
  }, MANY_PROCESSES_TIMEOUT_MS);
});

describe("the plugin's tests check what a real run checks", () => {
  test("a page without `next` fails the plugin's own test, as a run would refuse it", async () => {
    // An import written by hand that answers a page without `next` (the SDK's importer always writes it).
    const dir = scaffold("nonext", "import");
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
    expect(await buildPlugin(dir)).toEqual({ code: 0, errors: [] });
    const tests = pluginTests(dir);
    expect(tests.code).toBe(1);
    expect(tests.output).toContain("1 fail");
    expect(tests.output).toContain("plugin nonext: import_hosts returned an invalid host-page: next: expected");
  }, COMPILE_TIMEOUT_MS);

  test("an index out of range in the author's code names src/index.ts, its line and the function", async () => {
    const dir = scaffold("aborting", "import");
    const source = join(dir, "src", "index.ts");
    const lines = readFileSync(source, "utf8").split("\n");
    const at = lines.findIndex((line) => line.includes("const item = items[i];"));
    lines[at] = lines[at]!.replace("items[i]", "items[i + 1]");
    writeFileSync(source, lines.join("\n"));
    expect(await buildPlugin(dir)).toEqual({ code: 0, errors: [] });
    const result = runSyncer(["plugins", "test", dir, "--only", "lists-hosts", "--json"]);
    const [problem] = (JSON.parse(result.stdout) as { fixtures: { problems: string[] }[] }).fixtures[0]!.problems;
    // Called from the line, or, where -O3 inlined Array#__get into the importer's fetch, near it: the line either way.
    const line = `src/index\\.ts:${at + 1}:\\d+`;
    expect(problem).toMatch(new RegExp(`^the call failed \\(trap\\): page 1: aborted: Index out of range at ~lib/array\\.ts:\\d+:\\d+, (called from ${line} in ApiHosts#fetch|in ApiHosts#fetch near ${line})$`));
  }, COMPILE_TIMEOUT_MS);

  test("a plugin using a host function its manifest does not grant is refused, as a run refuses it", () => {
    const parent = tempDir();
    const dir = join(parent, "ungranted");
    // The endpoint plugin (built, uses kv) under a manifest that grants nothing.
    runSyncer(["plugins", "new", "ungranted", "--kind", "endpoint", "--dir", parent]);
    const manifest = JSON.parse(readFileSync(join(dir, "plugin.json"), "utf8"));
    manifest.permissions = {};
    writeFileSync(join(dir, "plugin.json"), JSON.stringify(manifest));
    symlinkSync(join(dirOf("endpoint"), "build"), join(dir, "build"));
    const result = runSyncer(["plugins", "test", dir, "--json"]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { fixtures: { problems: string[] }[] };
    expect(report.fixtures[0]!.problems.join("\n")).toMatch(/^the call failed \(permission\): plugin ungranted imports syncer:v1\.kv_\w+, which needs the 'kv' permission in its plugin\.json/m);
  }, MANY_PROCESSES_TIMEOUT_MS);

  test("a manifest syncer refuses stops `syncer plugins test`, naming the file and field", () => {
    const parent = tempDir();
    runSyncer(["plugins", "new", "badmanifest", "--kind", "hook", "--dir", parent]);
    const path = join(parent, "badmanifest", "plugin.json");
    writeFileSync(path, readFileSync(path, "utf8").replace('"event": "host.pre_update"', '"event": "host.pre_updat"'));
    const result = runSyncer(["plugins", "test", join(parent, "badmanifest")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${path}: hooks[0].event: expected one of`);
  });
});

describe("syncer plugins test records fixtures from a real upstream", () => {
  let api: ReturnType<typeof upstream>;
  afterAll(() => api?.stop());

  test("--update --record-from writes the exchanges and the answer; the fixture then passes on its own, and fails when the plugin changes", async () => {
    api = upstream((request) => (request.headers.get("authorization") === "Bearer r3al" ? Response.json([{ name: "app01.example.com", site: "muc" }]) : new Response("no", { status: 401 })));
    const dir = scaffold("recorded", "import");
    symlinkSync(join(dirOf("import"), "build"), join(dir, "build"), "dir");
    const fixture = join(dir, "test", "fixtures", "from-real.json");
    writeFileSync(fixture, JSON.stringify({ call: "import_hosts", account: { password: "r3al" }, expect: {} }));
    const recorded = Bun.spawn([BINARY, "plugins", "test", dir, "--only", "from-real", "--update", "--record-from", api.url], { env: cleanEnv(), stdout: "pipe", stderr: "pipe" });
    expect(await recorded.exited).toBe(0);
    expect(api.seen).toEqual([{ method: "GET", path: "/api/hosts", auth: "Bearer r3al", body: "" }]);
    const written = JSON.parse(readFileSync(fixture, "utf8"));
    expect(written.http).toEqual([{ request: { method: "GET", path: "/api/hosts" }, response: { status: 200, headers: { "content-type": "application/json;charset=utf-8" }, body: [{ name: "app01.example.com", site: "muc" }] } }]);
    expect(written.expect).toEqual({ pages: [{ hosts: [{ hostname: "app01.example.com", labels: { site: "muc" }, inventory: {} }], next: null }] });
    // No credential is written: the account's password stays where the author put it, and no header is recorded.
    expect(JSON.stringify(written.http)).not.toContain("r3al");
    api.stop();
    expect(runSyncer(["plugins", "test", dir, "--only", "from-real"]).code).toBe(0);
    writeFileSync(fixture, readFileSync(fixture, "utf8").replace('"site": "muc"', '"site": "fra"'));
    const changed = runSyncer(["plugins", "test", dir, "--only", "from-real"]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain('pages[0].hosts[0].labels.site: "fra"; the fixture expects "muc"');
  }, MANY_PROCESSES_TIMEOUT_MS);
});

describe("syncer plugins new refuses", () => {
  test("an ident that is not one, a folder that exists, and a kind there is none of, changing nothing", () => {
    const parent = tempDir();
    const bad = runSyncer(["plugins", "new", "Bad-Name", "--dir", parent]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'Bad-Name' is not a plugin ident");
    const kind = runSyncer(["plugins", "new", "fine", "--kind", "inventory", "--dir", parent]);
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain("no plugin kind 'inventory': choose endpoint, export, hook, import");
    expect(runSyncer(["plugins", "new", "twice", "--dir", parent]).code).toBe(0);
    const again = runSyncer(["plugins", "new", "twice", "--dir", parent]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already exists");
    expect(listTree(parent).filter((p) => !p.startsWith("twice"))).toEqual([]);
  });
});
