import { Database } from "bun:sqlite";
import { beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runSyncer, tempDir, writeConfig } from "../helpers/binary.ts";
import { buildFixturePlugins, FIXTURE_PLUGINS } from "../helpers/plugins.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";

/**
 * Import, inventorize and export runs through the compiled binary, with the syncfix fixture: its
 * import returns the lines of a file as pages (one JSON array of records per line), its export
 * answers per host from labels, and its hooks act on labels (reject, hook_add, hook_drop, protected).
 */

type Json = Record<string, any>;

interface World {
  dir: string;
  config: string;
  /** Writes the pages an account's import returns. */
  pages(account: string, ...pages: unknown[][]): void;
  run(...args: string[]): { code: number; json: Json; stderr: string; stdout: string };
  cli(...args: string[]): { code: number; stdout: string; stderr: string };
  query<T = Json>(sql: string): T[];
}

function world(extra = "", pluginDirectories: string[] = []): World {
  const dir = tempDir("syncer-runs-");
  const config = writeConfig(
    dir,
    `[server]\ndata_dir = "data"\n[plugins]\ndirectories = ${JSON.stringify([FIXTURE_PLUGINS, ...pluginDirectories])}\n` +
      ["a", "b", "master"].map((name) => `[accounts.${name}]\nplugin = "syncfix"\n${name === "master" ? "is_master = true\n" : ""}[accounts.${name}.custom_fields]\npath = "${name}.pages"\n`).join("") +
      extra,
  );
  const cli = (...args: string[]) => runSyncer([...args, "--config", config]);
  return {
    dir,
    config,
    pages: (account, ...pages) => writeFileSync(join(dir, `${account}.pages`), pages.map((page) => JSON.stringify(page)).join("\n") + "\n"),
    run: (...args) => {
      const result = cli(...args, "--json");
      let json: Json = {};
      try {
        json = JSON.parse(result.stdout);
      } catch {
        throw new Error(`not JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
      }
      return { ...result, json };
    },
    cli,
    query: <T,>(sql: string) => {
      const db = new Database(join(dir, "data", "syncer.db"), { readonly: true });
      try {
        return db.query(sql).all() as T[];
      } finally {
        db.close();
      }
    },
  };
}

const host = (hostname: string, labels: Record<string, string> = {}, extra: Json = {}) => ({ hostname, labels, ...extra });

beforeAll(() => buildFixturePlugins(), COMPILE_TIMEOUT_MS);

describe("import runs", () => {
  test("a first import creates hosts across pages; its counts come as JSON fields and in the run log", () => {
    const w = world();
    w.pages("a", [host(" Web01 ", { site: "berlin" }, { row: 2 }), host("web02", { site: "hamburg" })], [host("web03")]);
    const { code, json } = w.run("syncfix", "import_hosts", "a");
    expect(code).toBe(0);
    expect(json).toMatchObject({ ok: true, status: "ok", created: 3, updated: 0, unchanged: 0, skipped: 0, deleted: 0 });
    expect(w.query("SELECT hostname, account, labels FROM hosts ORDER BY hostname")).toEqual([
      { hostname: "Web01", account: "a", labels: '{"site":"berlin"}' },
      { hostname: "web02", account: "a", labels: '{"site":"hamburg"}' },
      { hostname: "web03", account: "a", labels: "{}" },
    ]);
    const runs = w.run("runs", "list").json.runs;
    expect(runs[0]).toMatchObject({ id: json.run, plugin: "syncfix", command: "import_hosts", account: "a", status: "ok", created: 3 });
    expect(w.run("runs", "show", String(json.run)).json).toMatchObject({ id: json.run, created: 3, error: null });
  });

  test("a re-import of the same data changes nothing but last_seen; a real change updates, logs old → new and sets last_changed", () => {
    const w = world();
    w.pages("a", [host("web01", { site: "berlin", os: "linux" }), host("web02", { site: "hamburg" })]);
    w.run("syncfix", "import_hosts", "a");
    const [before] = w.query<{ last_seen: number; last_changed: number }>("SELECT last_seen, last_changed FROM hosts JOIN host_seen ON host_id = id WHERE hostname = 'web01'");
    Bun.sleepSync(5);
    // Key order differs from the stored labels: still unchanged.
    w.pages("a", [host("web01", { os: "linux", site: "berlin" }), host("web02", { site: "hamburg" })]);
    expect(w.run("syncfix", "import_hosts", "a").json).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
    const [after] = w.query<{ last_seen: number; last_changed: number }>("SELECT last_seen, last_changed FROM hosts JOIN host_seen ON host_id = id WHERE hostname = 'web01'");
    expect(after!.last_seen).toBeGreaterThan(before!.last_seen);
    expect(after!.last_changed).toBe(before!.last_changed);

    w.pages("a", [host("web01", { site: "munich", rack: "r1" }), host("web02", { site: "hamburg" })]);
    const changed = w.run("syncfix", "import_hosts", "a").json;
    expect(changed).toMatchObject({ updated: 1, unchanged: 1 });
    const shown = w.run("hosts", "show", "web01").json;
    expect(shown.labels).toEqual({ site: "munich", rack: "r1" });
    expect(shown.changes[0]).toMatchObject({ run: changed.run, changes: { labels: { old: { site: "berlin", os: "linux" }, new: { site: "munich", rack: "r1" } } } });
    // The label index follows the labels.
    expect(w.run("hosts", "list", "--label", "site=munich").json.hosts.map((h: Json) => h.hostname)).toEqual(["web01"]);
    expect(w.run("hosts", "list", "--label", "os=linux").json.hosts).toEqual([]);
  });

  test("an account owning more hosts than a page: unchanged hosts are settled from its stored labels, the rest still update and are taken over", () => {
    // page_size = 1: every account with two hosts goes through the one-query path for its own hosts.
    const w = world("[inventory]\npage_size = 1\n");
    w.pages("a", [host("web01", { site: "berlin", os: "linux" }), host("web02", { site: "hamburg" })]);
    w.pages("b", [host("web03", { site: "bonn" })]);
    w.run("syncfix", "import_hosts", "a");
    w.run("syncfix", "import_hosts", "b");
    const seen = () => w.query<{ hostname: string; last_seen: number }>("SELECT hostname, last_seen FROM hosts JOIN host_seen ON host_id = id ORDER BY hostname");
    const before = seen();
    Bun.sleepSync(5);
    // web01: same labels in another key order (unchanged); web02: new labels; web03: taken over from b.
    w.pages("a", [host("web01", { os: "linux", site: "berlin" }), host("web02", { site: "kiel" })], [host("web03", { site: "bonn" })]);
    const { json } = w.run("syncfix", "import_hosts", "a");
    expect(json).toMatchObject({ created: 0, updated: 2, unchanged: 1, skipped: 0 });
    expect(w.query("SELECT hostname, account, labels FROM hosts ORDER BY hostname")).toEqual([
      { hostname: "web01", account: "a", labels: '{"site":"berlin","os":"linux"}' },
      { hostname: "web02", account: "a", labels: '{"site":"kiel"}' },
      { hostname: "web03", account: "a", labels: '{"site":"bonn"}' },
    ]);
    const after = seen();
    for (let i = 0; i < 3; i++) expect(after[i]!.last_seen).toBeGreaterThan(before[i]!.last_seen);
    // The byte-identical re-import settles every host without a change.
    expect(w.run("syncfix", "import_hosts", "a").json).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
  });

  test("--dry-run prints every change, old → new, and writes nothing, not even a run-log row", () => {
    const w = world();
    w.pages("a", [host("web01", { site: "berlin" }), host("web02")]);
    w.run("syncfix", "import_hosts", "a");
    w.pages("a", [host("web01", { site: "hamburg" }), host("web03", { site: "x" })]);
    const text = w.cli("run", "syncfix", "import_hosts", "a", "--dry-run");
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("~ web01  labels site: berlin → hamburg");
    expect(text.stdout).toContain("+ web03  site=x");
    expect(text.stdout).toContain("dry run, nothing written");
    const { json } = w.run("syncfix", "import_hosts", "a", "--dry-run");
    expect(json).toMatchObject({ run: null, dry_run: true, created: 1, updated: 1 });
    expect(json.diff.updated).toEqual([{ hostname: "web01", changes: { labels: { old: { site: "berlin" }, new: { site: "hamburg" } } } }]);
    expect(w.query("SELECT hostname, labels FROM hosts ORDER BY hostname")).toEqual([
      { hostname: "web01", labels: '{"site":"berlin"}' },
      { hostname: "web02", labels: "{}" },
    ]);
    expect(w.query("SELECT count(*) AS n FROM runs")).toEqual([{ n: 1 }]);
  });

  test("ownership: another account takes a host over, unless a master account owns it; then it is skipped and counted", () => {
    const w = world();
    w.pages("master", [host("db01", { site: "m" })]);
    w.pages("a", [host("web01", { site: "a" })]);
    w.run("syncfix", "import_hosts", "master");
    w.run("syncfix", "import_hosts", "a");
    w.pages("b", [host("db01", { site: "b" }), host("web01", { site: "b" })]);
    const { json } = w.run("syncfix", "import_hosts", "b");
    expect(json).toMatchObject({ updated: 1, skipped: 1 });
    expect(json.details).toContainEqual({ level: "info", message: "db01: skipped, owned by master account master" });
    expect(w.query("SELECT hostname, account, labels FROM hosts ORDER BY hostname")).toEqual([
      { hostname: "db01", account: "master", labels: '{"site":"m"}' },
      { hostname: "web01", account: "b", labels: '{"site":"b"}' },
    ]);
    expect(w.run("hosts", "show", "web01").json.changes[0].changes.account).toEqual({ old: "a", new: "b" });
  });

  test("inventory is replaced per account namespace; an inventorize run only sets its namespace of hosts that exist", () => {
    const w = world();
    w.pages("a", [host("web01", {}, { inventory: { ram: 16, cpu: 4 } })]);
    w.run("syncfix", "import_hosts", "a");
    w.pages("b", [host("web01", {}, { inventory: { os: "debian" } }), host("ghost", {}, { inventory: { os: "x" } })]);
    const { json } = w.run("syncfix", "inventorize_hosts", "b");
    expect(json).toMatchObject({ updated: 1, skipped: 1, created: 0 });
    w.pages("a", [host("web01", {}, { inventory: { ram: 32 } })]);
    w.run("syncfix", "import_hosts", "a");
    expect(w.run("hosts", "show", "web01").json.inventory).toEqual({ b__os: "debian", a__ram: 32 });
    expect(w.query("SELECT count(*) AS n FROM hosts")).toEqual([{ n: 1 }]);
  });

  test("[inventory] lowercase_hostnames lower-cases names on import", () => {
    const w = world("[inventory]\nlowercase_hostnames = true\n");
    w.pages("a", [host("  WEB01.Example.COM ")]);
    w.run("syncfix", "import_hosts", "a");
    expect(w.query("SELECT hostname FROM hosts")).toEqual([{ hostname: "web01.example.com" }]);
  });
});

describe("a failing run writes nothing", () => {
  const seeded = () => {
    const w = world();
    w.pages("a", [host("web01", { site: "berlin" })]);
    w.run("syncfix", "import_hosts", "a");
    return w;
  };
  const unchanged = (w: World) => {
    expect(w.query("SELECT hostname, labels, deleted_at FROM hosts")).toEqual([{ hostname: "web01", labels: '{"site":"berlin"}', deleted_at: null }]);
    expect(w.query("SELECT count(*) AS n FROM host_changes")).toEqual([{ n: 0 }]);
  };

  test("a record failing validation on page 2 names the page, record, row and field", () => {
    const w = seeded();
    w.pages("a", [host("web01", { site: "hamburg" }), host("web02")], [host("web03"), { hostname: "web04", labels: { site: 5 }, row: 7 }]);
    const { code, json } = w.run("syncfix", "import_hosts", "a");
    expect(code).toBe(1);
    expect(json.error.kind).toBe("validation");
    expect(json.error.message).toContain('record 2 of page 2 (row 7), hostname "web04": labels.site: expected a string, found an integer');
    unchanged(w);
    expect(w.run("runs", "list").json.runs[0]).toMatchObject({ status: "failed", created: 0, updated: 0, error: { kind: "validation" } });
  });

  test("a page that is not {hosts, next}, or not JSON at all, fails the run naming the page; nothing is written", () => {
    const w = seeded();
    writeFileSync(join(w.dir, "a.pages"), `${JSON.stringify([host("web01", { site: "new" })])}\n{"web02": {}}\n`);
    const shape = w.run("syncfix", "import_hosts", "a");
    expect(shape.code).toBe(1);
    expect(shape.json.error.kind).toBe("validation");
    expect(shape.json.error.message).toMatch(/^plugin syncfix returned an invalid page 2: hosts: expected an array.*\(expected \{"hosts": \[\.\.\.\], "next": cursor or null\}\)$/);
    unchanged(w);
    writeFileSync(join(w.dir, "a.pages"), `${JSON.stringify([host("web01", { site: "new" })])}\n[{"hostname": "web02",\n`);
    const broken = w.run("syncfix", "import_hosts", "a");
    expect(broken.code).toBe(1);
    expect(broken.json.error.kind).toBe("abi");
    expect(broken.json.error.message).toStartWith("syncfix import_hosts, page 2: plugin syncfix: import_hosts returned something that is not UTF-8 JSON");
    unchanged(w);
  });

  test("a label named __proto__ is refused, naming the record, not dropped", () => {
    const w = seeded();
    w.pages("a", [host("web01", { site: "berlin" }), { hostname: "web05", labels: { ["__proto__"]: "x", site: "y" }, row: 4 }]);
    const { code, json } = w.run("syncfix", "import_hosts", "a");
    expect(code).toBe(1);
    expect(json.error).toEqual({ kind: "validation", message: 'plugin syncfix returned an invalid host record: record 2 of page 1 (row 4), hostname "web05": labels.__proto__: a reserved name' });
    unchanged(w);
  });

  test("labels or inventory as an array are refused, naming the record, not stored as an object", () => {
    const w = seeded();
    w.pages("a", [host("web01", { site: "berlin" }), { hostname: "web06", labels: ["site", "y"], row: 5 }]);
    const labels = w.run("syncfix", "import_hosts", "a");
    expect(labels.code).toBe(1);
    expect(labels.json.error.message).toBe('plugin syncfix returned an invalid host record: record 2 of page 1 (row 5), hostname "web06": labels: expected an object of strings, found an array');
    w.pages("a", [{ hostname: "web07", inventory: [1, 2] }]);
    const inventory = w.run("syncfix", "import_hosts", "a");
    expect(inventory.code).toBe(1);
    expect(inventory.json.error.message).toContain('hostname "web07": inventory: expected an object of strings, numbers, booleans or nulls, found an array');
    unchanged(w);
  });

  test("a hostname returned twice is an error naming both records", () => {
    const w = seeded();
    w.pages("a", [host("web01", { site: "x" }), host("web02", {}, { row: 3 })], [host("web02 ", {}, { row: 9 })]);
    const { code, json } = w.run("syncfix", "import_hosts", "a");
    expect(code).toBe(1);
    expect(json.error.message).toBe('plugin syncfix returned hostname "web02" twice: record 2 of page 1 (row 3) and record 1 of page 2 (row 9)');
    unchanged(w);
  });

  test("a plugin error on a later page fails the run with its kind; earlier pages are not written", () => {
    const w = seeded();
    // The import fails when asked for a page past the end: the fixture's file says there is a next page.
    writeFileSync(join(w.dir, "a.pages"), `${JSON.stringify([host("web01", { site: "new" })])}\n`);
    w.pages("a", [host("web01", { site: "new" })]);
    const good = w.run("syncfix", "import_hosts", "a");
    expect(good.code).toBe(0);
    const w2 = seeded();
    w2.pages("a", [host("web01", { site: "new" })], [{ hostname: "" }]);
    const { code, json } = w2.run("syncfix", "import_hosts", "a");
    expect(code).toBe(1);
    expect(json.error.kind).toBe("validation");
    expect(json.error.message).toContain("hostname: expected a hostname");
    unchanged(w2);
  });

  test("pages staged on disk before a later page fails are not written, and no staging is left in the temporary directory", () => {
    const w = seeded();
    const temporary = tempDir("syncer-tmp-");
    const env = { TMPDIR: temporary, SQLITE_TMPDIR: temporary };
    const many = (from: number) => Array.from({ length: 50 }, (_, i) => host(`host${from + i}`, { site: "x" }));
    // Pages 1-3 are planned and staged; page 4 fails its check.
    w.pages("a", [host("web01", { site: "hamburg" }), ...many(0)], many(100), many(200), [{ hostname: "web09", labels: { site: 5 } }]);
    const failed = runSyncer(["syncfix", "import_hosts", "a", "--json", "--config", w.config], { env });
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout).error.message).toContain("record 1 of page 4");
    unchanged(w);
    expect(readdirSync(temporary)).toEqual([]);
    // The same pages without the bad one: all of them are written, and again nothing is left behind.
    w.pages("a", [host("web01", { site: "hamburg" }), ...many(0)], many(100), many(200));
    const done = runSyncer(["syncfix", "import_hosts", "a", "--json", "--config", w.config], { env });
    expect(JSON.parse(done.stdout)).toMatchObject({ created: 150, updated: 1 });
    expect(w.query("SELECT count(*) AS n FROM hosts")).toEqual([{ n: 151 }]);
    expect(readdirSync(temporary)).toEqual([]);
  });

  test("a pre_update hook rejection aborts the run; its message is the run's error", () => {
    const w = seeded();
    w.pages("a", [host("web01", { site: "hamburg" }), host("bad", { reject: "yes" })]);
    const { code, json } = w.run("syncfix", "import_hosts", "a");
    expect(code).toBe(1);
    expect(json.error).toEqual({ kind: "rejected", message: "hook syncfix.pre_update (host.pre_update) rejected the changes: host bad may not be imported" });
    unchanged(w);
    // post_update never ran for the rolled-back run.
    expect(w.query("SELECT count(*) AS n FROM events WHERE plugin IS NOT NULL AND run_id = " + json.run)).toEqual([{ n: 0 }]);
  });
});

describe("hooks", () => {
  test("pre_update rewrites and drops changes in one call per page; post_update runs after the commit", () => {
    const w = world();
    w.pages("a", [host("web01", { hook_add: "1" }), host("web02", { hook_drop: "1" }), host("web03")]);
    const { json } = w.run("syncfix", "import_hosts", "a");
    expect(json).toMatchObject({ created: 2 });
    expect(w.query("SELECT hostname, labels FROM hosts ORDER BY hostname")).toEqual([
      { hostname: "web01", labels: '{"hook_add":"1","hooked":"yes"}' },
      { hostname: "web03", labels: "{}" },
    ]);
    expect(w.query("SELECT type, data FROM events WHERE plugin IS NOT NULL")).toEqual([{ type: "plugin.syncfix.post_update", data: '{"changes":2}' }]);
  });

  /** A second hook plugin: syncfix's module under another ident, with only its pre_update hook, at `priority`. */
  const hookPlugin = (ident: string, priority: number): string => {
    const root = tempDir("syncer-hookplugin-");
    const manifest = JSON.parse(readFileSync(join(FIXTURE_PLUGINS, "syncfix", "plugin.json"), "utf8"));
    Object.assign(manifest, { ident, commands: {}, options: {}, hooks: [{ event: "host.pre_update", export: "pre_update", priority }] });
    mkdirSync(join(root, ident, "build"), { recursive: true });
    writeFileSync(join(root, ident, "plugin.json"), JSON.stringify(manifest));
    copyFileSync(join(FIXTURE_PLUGINS, "syncfix", "build", "plugin.wasm"), join(root, ident, "build", "plugin.wasm"));
    return root;
  };

  test("pre_update hooks of several plugins run in priority order, lower first: the first one's rejection is the run's error", () => {
    // syncfix's own hook has the default priority, 100.
    for (const [priority, first] of [[10, "early"], [200, "syncfix"]] as const) {
      const w = world("", [hookPlugin("early", priority)]);
      w.pages("a", [host("web01", { reject: "1" })]);
      const { code, json } = w.run("syncfix", "import_hosts", "a");
      expect(code).toBe(1);
      expect(json.error).toMatchObject({ kind: "rejected", message: `hook ${first}.pre_update (host.pre_update) rejected the changes: host web01 may not be imported` });
      expect(w.query("SELECT count(*) AS n FROM hosts")).toEqual([{ n: 0 }]);
    }
  });

  test("a change the first hook drops never reaches the next one", () => {
    const w = world("", [hookPlugin("early", 10)]);
    w.pages("a", [host("web01", { hook_drop: "1" }), host("web02", { hook_add: "1" })]);
    const { json } = w.run("syncfix", "import_hosts", "a");
    expect(json).toMatchObject({ status: "ok", created: 1 });
    const dropped = json.details.map((detail: Json) => detail.message).filter((message: string) => message.includes("dropped"));
    // Both hooks drop hook_drop changes; only the first one saw web01.
    expect(dropped).toEqual(["hook early.pre_update (host.pre_update) dropped the changes of 1 host(s): web01"]);
    expect(w.query("SELECT hostname, labels FROM hosts")).toEqual([{ hostname: "web02", labels: '{"hook_add":"1","hooked":"yes"}' }]);
  });
});

describe("deleting hosts an import no longer returns", () => {
  const extra = (limit: string) => `[accounts.d]\nplugin = "syncfix"\ndelete_missing = true\ndelete_limit = ${limit}\n[accounts.d.custom_fields]\npath = "d.pages"\n`;

  test("soft-deletes the account's hosts not seen, within delete_limit; a re-import restores one", () => {
    const w = world(extra("1"));
    w.pages("d", [host("web01"), host("web02"), host("web03")]);
    w.run("syncfix", "import_hosts", "d");
    w.pages("d", [host("web01"), host("web02")]);
    const { json } = w.run("syncfix", "import_hosts", "d");
    expect(json).toMatchObject({ deleted: 1, unchanged: 2 });
    const [gone] = w.query<Json>("SELECT deleted_at, delete_reason FROM hosts WHERE hostname = 'web03'");
    expect(gone!.deleted_at).toBeGreaterThan(0);
    expect(gone!.delete_reason).toBe("not seen by syncfix import_hosts of account d");
    expect(w.run("hosts", "list").json.hosts.map((h: Json) => h.hostname)).toEqual(["web01", "web02"]);
    w.pages("d", [host("web01"), host("web02"), host("web03")]);
    expect(w.run("syncfix", "import_hosts", "d").json).toMatchObject({ updated: 1, deleted: 0 });
    expect(w.query("SELECT deleted_at FROM hosts WHERE hostname = 'web03'")).toEqual([{ deleted_at: null }]);
  });

  test("refuses to delete more than delete_limit unless --force; a pre_delete hook may refuse", () => {
    const w = world(extra('"50%"'));
    w.pages("d", [host("web01"), host("web02"), host("web03", { protected: "yes" }), host("web04")]);
    w.run("syncfix", "import_hosts", "d");
    w.pages("d", [host("web01")]);
    const refused = w.run("syncfix", "import_hosts", "d");
    expect(refused.code).toBe(1);
    expect(refused.json.error.kind).toBe("delete_limit");
    expect(refused.json.error.message).toContain("would delete 3 of the 4 hosts of account d, more than its delete_limit (50%)");
    const protectedHost = w.run("syncfix", "import_hosts", "d", "--force");
    expect(protectedHost.json.error.message).toContain("web03 is protected");
    w.pages("d", [host("web01"), host("web03", { protected: "yes" })]);
    expect(w.run("syncfix", "import_hosts", "d", "--force").json).toMatchObject({ deleted: 2 });
    expect(w.query("SELECT hostname FROM hosts WHERE deleted_at IS NULL ORDER BY hostname")).toEqual([{ hostname: "web01" }, { hostname: "web03" }]);
  });
});

describe("hosts made by hand (owner manual)", () => {
  const extra = `[accounts.d]\nplugin = "syncfix"\ndelete_missing = true\ndelete_limit = "100%"\n[accounts.d.custom_fields]\npath = "d.pages"\n`;

  test("`hosts set` creates a host the manual owner owns, with its creation in the change log", () => {
    const w = world();
    expect(w.cli("migrate").code).toBe(0);
    const { code, json } = w.run("hosts", "set", "hand01", "--label", "site=lab", "--label", "role=db", "--inventory", "rack=r9");
    expect(code).toBe(0);
    expect(json).toMatchObject({ outcome: "created", host: { hostname: "hand01", account: "manual", labels: { site: "lab", role: "db" }, inventory: { manual__rack: "r9" } } });
    const shown = w.run("hosts", "show", "hand01").json;
    expect(shown.changes).toEqual([
      { run: null, at: expect.any(String), changes: { created: { old: null, new: "manual" }, labels: { old: {}, new: { site: "lab", role: "db" } }, inventory: { old: {}, new: { manual__rack: "r9" } } } },
    ]);
    expect(w.run("hosts", "set", "hand01", "--label", "site=lab", "--label", "role=db").json.outcome).toBe("unchanged");
    expect(w.run("hosts", "set", "hand01", "--label", "site=lab2").json).toMatchObject({ outcome: "updated", host: { labels: { site: "lab2" } } });
    const asAccount = w.run("hosts", "set", "acct01", "--account", "a", "--label", "x=1");
    expect(asAccount.json).toMatchObject({ outcome: "created", host: { account: "a" } });
  });

  test("an import with delete_missing leaves it alone; a non-master import does not take it over, a master import does", () => {
    const w = world(extra);
    w.pages("d", [host("web01"), host("web02")]);
    w.run("syncfix", "import_hosts", "d");
    expect(w.run("hosts", "set", "hand01", "--label", "site=lab").code).toBe(0);
    // d no longer returns web02 and never returned hand01: web02 goes, hand01 stays.
    w.pages("d", [host("web01")]);
    expect(w.run("syncfix", "import_hosts", "d").json).toMatchObject({ deleted: 1 });
    expect(w.query("SELECT hostname, account, deleted_at FROM hosts WHERE hostname = 'hand01'")).toEqual([{ hostname: "hand01", account: "manual", deleted_at: null }]);
    // d returns hand01: skipped (counted, with the reason in the run log), not taken over.
    w.pages("d", [host("web01"), host("hand01", { site: "imported" })]);
    const skipped = w.run("syncfix", "import_hosts", "d").json;
    expect(skipped).toMatchObject({ skipped: 1 });
    expect(JSON.stringify(w.run("runs", "show", String(skipped.run)).json.details)).toContain("hand01: skipped, created by hand (owner manual); only a master account takes it over");
    expect(w.query("SELECT account, labels FROM hosts WHERE hostname = 'hand01'")).toEqual([{ account: "manual", labels: '{"site":"lab"}' }]);
    // Once more without it: still there.
    w.pages("d", [host("web01")]);
    w.run("syncfix", "import_hosts", "d");
    expect(w.query("SELECT deleted_at FROM hosts WHERE hostname = 'hand01'")).toEqual([{ deleted_at: null }]);
    // A master account takes it over.
    w.pages("master", [host("hand01", { site: "cmdb" })]);
    expect(w.run("syncfix", "import_hosts", "master").json).toMatchObject({ updated: 1, skipped: 0 });
    expect(w.query("SELECT account, labels FROM hosts WHERE hostname = 'hand01'")).toEqual([{ account: "master", labels: '{"site":"cmdb"}' }]);
  });

  test("`hosts set` refuses a __proto__ label and a pair without '=', writing nothing", () => {
    const w = world();
    expect(w.cli("migrate").code).toBe(0);
    const proto = w.cli("hosts", "set", "hand01", "--label", "__proto__=x");
    expect(proto.code).not.toBe(0);
    expect(proto.stderr).toContain("--label: __proto__: a reserved name");
    const bare = w.cli("hosts", "set", "hand01", "--inventory", "rack");
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toContain('--inventory "rack": write key=value');
    expect(w.query("SELECT hostname FROM hosts")).toEqual([]);
  });

  test("`config check` refuses an account named manual, with file:line:column", () => {
    const w = world(`[accounts.manual]\nplugin = "syncfix"\n`);
    const { code, stderr } = w.cli("config", "check");
    expect(code).toBe(1);
    expect(stderr).toMatch(/sync\.config\.toml:\d+:\d+: accounts\.manual: the account name 'manual' is reserved/);
  });
});

describe("export runs", () => {
  test("only active, not deleted hosts are sent, in pages; a failing page is logged and the export goes on", () => {
    const w = world("[inventory]\npage_size = 2\n");
    w.pages("a", [host("a1", { export_status: "updated" }), host("a2", { export: "fail" }), host("a3"), host("boom"), host("c1"), host("c2", { export_status: "unchanged" })]);
    w.run("syncfix", "import_hosts", "a");
    expect(w.cli("hosts", "lifecycle", "c1", "decommissioned").code).toBe(0);
    const { code, json } = w.run("syncfix", "export_hosts", "a");
    expect(code).toBe(0);
    // Pages: [a1 a2] [a3 boom] [c2]; the second fails as a whole.
    expect(json).toMatchObject({ updated: 1, failed: 3, unchanged: 1, created: 0 });
    expect(json.details).toContainEqual({ level: "error", message: "a2: failed: the target said no" });
    expect(json.details.some((d: Json) => d.message.startsWith("page 2 (2 hosts up to boom) failed: runtime: the target refused page 1"))).toBe(true);
    const dry = w.run("syncfix", "export_hosts", "a", "--dry-run").json;
    expect(dry.would_send.map((h: Json) => h.hostname)).toEqual(["a1", "a2", "a3", "boom", "c2"]);
  });

  describe("with phases (begin reads the target, finish deletes and activates)", () => {
    // Account t: its target starts with two hosts people made there (not owned by Syncer).
    const phased = () => {
      const w = world(`[inventory]\npage_size = 2\n[accounts.t]\nplugin = "syncfix"\ndelete_limit = "50%"\n[accounts.t.custom_fields]\npath = "t.pages"\nmanual = ["people01", "web01"]\n`);
      w.pages("t", [host("web01", { site: "berlin" }), host("web02", { site: "berlin" }), host("web03", { site: "paris" }), host("web04", { site: "rome" })]);
      w.run("syncfix", "import_hosts", "t");
      return w;
    };
    const target = (w: World) => w.run("syncfix", "show_target", "t").json.value as { hosts: Record<string, { labels: Json; owned: boolean }>; activations: number };

    test("a first export creates what the target lacks, leaves hosts people made alone, and activates once", () => {
      const w = phased();
      const { code, json } = w.run("syncfix", "export_phased", "t");
      expect(code).toBe(0);
      expect(json).toMatchObject({ created: 3, skipped: 1, updated: 0, deleted: 0, failed: 0 });
      expect(json.details).toContainEqual({ level: "info", message: "web01: skipped: made by people: left alone" });
      expect(json.details).toContainEqual({ level: "info", message: "activated the target's changes" });
      const after = target(w);
      expect(Object.keys(after.hosts).sort()).toEqual(["people01", "web01", "web02", "web03", "web04"]);
      expect(after.hosts.web01).toEqual({ labels: {}, owned: false });
      expect(after.hosts.web02).toEqual({ labels: { site: "berlin" }, owned: true });
      expect(after.activations).toBe(1);
    });

    test("a second export with nothing changed writes nothing and does not activate; a changed host is the only update", () => {
      const w = phased();
      w.run("syncfix", "export_phased", "t");
      expect(w.run("syncfix", "export_phased", "t").json).toMatchObject({ created: 0, updated: 0, unchanged: 3, skipped: 1, deleted: 0 });
      expect(target(w).activations).toBe(1);
      w.pages("t", [host("web01", { site: "berlin" }), host("web02", { site: "hamburg" }), host("web03", { site: "paris" }), host("web04", { site: "rome" })]);
      w.run("syncfix", "import_hosts", "t");
      expect(w.run("syncfix", "export_phased", "t").json).toMatchObject({ created: 0, updated: 1, unchanged: 2 });
      expect(target(w)).toMatchObject({ activations: 2, hosts: { web02: { labels: { site: "hamburg" }, owned: true } } });
    });

    test("owned hosts Syncer no longer exports are deleted by finish, within delete_limit unless --force; hosts people made never are", () => {
      const w = phased();
      w.run("syncfix", "export_phased", "t");
      expect(w.cli("hosts", "lifecycle", "web03", "decommissioned").code).toBe(0);
      expect(w.run("syncfix", "export_phased", "t").json).toMatchObject({ deleted: 1, unchanged: 2 });
      expect(Object.keys(target(w).hosts).sort()).toEqual(["people01", "web01", "web02", "web04"]);
      // 2 of the 2 owned hosts left: past 50%, nothing is deleted, the run fails saying why, and finish still ran.
      for (const name of ["web02", "web04"]) w.cli("hosts", "lifecycle", name, "decommissioned");
      const refused = w.run("syncfix", "export_phased", "t");
      expect(refused.code).not.toBe(0);
      expect(refused.json.error.kind).toBe("delete_limit");
      expect(refused.json.error.message).toContain("the export would delete 2 of the 2 hosts it owns on the target, more than the delete_limit of account t (50%); nothing was deleted");
      expect(Object.keys(target(w).hosts).sort()).toEqual(["people01", "web01", "web02", "web04"]);
      expect(w.run("syncfix", "export_phased", "t", "--force").json).toMatchObject({ deleted: 2 });
      expect(Object.keys(target(w).hosts).sort()).toEqual(["people01", "web01"]);
    });

    test("a dry run reads the target and reports what it would do, and changes nothing", () => {
      const w = phased();
      const dry = w.run("syncfix", "export_phased", "t", "--dry-run").json;
      expect(dry).toMatchObject({ created: 3, skipped: 1 });
      expect(dry.would_send.map((h: Json) => h.hostname)).toEqual(["web01", "web02", "web03", "web04"]);
      expect(Object.keys(target(w).hosts).sort()).toEqual(["people01", "web01"]);
    });

    /** The target's option `line` set, after a first export. */
    const exportedWith = (line: string) => {
      const w = phased();
      w.run("syncfix", "export_phased", "t");
      writeFileSync(w.config, readFileSync(w.config, "utf8").replace('manual = ["people01", "web01"]', `manual = ["people01", "web01"]\n${line}`));
      return w;
    };

    /** The export with the target's option `line` set and a host added since: it fails before anything is sent; its error. */
    const failedBegin = (line: string) => {
      const w = exportedWith(line);
      w.pages("t", [host("web09")]);
      w.run("syncfix", "import_hosts", "t");
      const failed = w.run("syncfix", "export_phased", "t");
      expect(failed.code).not.toBe(0);
      expect(failed.json).toMatchObject({ created: 0, deleted: 0 });
      return failed.json.error;
    };

    test("a begin phase that hands out parts in `also` has each read (at once where it can): the same export as page by page", () => {
      const w = exportedWith('begin_parts = "yes"');
      expect(w.run("syncfix", "export_phased", "t").json).toMatchObject({ created: 0, updated: 0, unchanged: 3, skipped: 1, deleted: 0, failed: 0 });
      expect(w.cli("hosts", "lifecycle", "web03", "decommissioned").code).toBe(0);
      expect(w.run("syncfix", "export_phased", "t").json).toMatchObject({ unchanged: 2, skipped: 1, deleted: 1 });
      expect(Object.keys(target(w).hosts).sort()).toEqual(["people01", "web01", "web02", "web04"]);
    });

    test("a begin phase that gives a cursor twice fails the run before anything is sent", () => {
      expect(failedBegin('begin_parts = "repeat"')).toEqual({ kind: "abi", message: 'syncfix export_phased (target_begin): page 1 answered the cursor "0", which another answer gave before; nothing was sent' });
    });

    test("a begin phase that fails fails the run before anything is sent, with the plugin's error kind", () => {
      expect(failedBegin("fail_begin = true")).toEqual({ kind: "connection", message: "syncfix export_phased (target_begin): reading the target failed at page 1: the target cannot be reached; nothing was sent" });
    });
  });

  test("an action command runs once and shows its answer", () => {
    const w = world();
    expect(w.run("syncfix", "ping").json).toMatchObject({ ok: true, value: "pong" });
  });
});

describe("the command line", () => {
  test("plugin commands are listed in help, and mistakes name what exists", () => {
    const w = world();
    expect(w.cli("syncfix", "--help").stdout).toMatch(/import_hosts \[options\] <account>\s+import: Returns the file's lines as pages/);
    const unknown = w.cli("run", "syncfix", "import_host", "a");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("plugin syncfix has no command 'import_host'; did you mean 'import_hosts'?");
    const noAccount = w.cli("run", "syncfix", "import_hosts");
    expect(noAccount.stderr).toContain("syncfix import_hosts needs an account (accounts of syncfix: a, b, master)");
    expect(w.cli("run", "syncfix", "import_hosts", "nope").stderr).toContain("no account 'nope'");
  });

  test("an account inherits from its parent; accounts new prints a block seeded from the presets", () => {
    const w = world(`[accounts.child]\nparent = "a"\n`);
    w.pages("a", [host("web01")]);
    expect(w.run("syncfix", "import_hosts", "child").json).toMatchObject({ created: 1 });
    expect(w.query("SELECT account FROM hosts")).toEqual([{ account: "child" }]);
    const block = w.cli("accounts", "new", "syncfix", "new1");
    expect(block.stdout).toContain('[accounts.new1]\nplugin = "syncfix"');
    expect(block.stdout).toContain("[accounts.new1.custom_fields]");
  });

  test("an account naming a plugin that is not there is a config error with file:line", () => {
    const dir = tempDir();
    const config = writeConfig(dir, `[accounts.x]\nplugin = "cvs"\n`);
    const result = runSyncer(["config", "check", "--config", config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/sync\.config\.toml:2:\d+: accounts\.x\.plugin: account x uses plugin 'cvs', which is not installed; did you mean 'csv'\?/);
  });
});

describe("the demo", () => {
  test("the example config imports the bundled demo CSV (what npm start does), and a second import changes nothing", () => {
    const dir = tempDir();
    const text = readFileSync(join(import.meta.dir, "..", "..", "sync.config.toml"), "utf8")
      .replace('path = "plugins/csv/demo/hosts.csv"', `path = ${JSON.stringify(join(import.meta.dir, "..", "..", "plugins", "csv", "demo", "hosts.csv"))}`);
    const config = writeConfig(dir, text);
    const first = runSyncer(["csv", "import_hosts", "demo", "--json", "--config", config]);
    expect(JSON.parse(first.stdout)).toMatchObject({ ok: true, created: 324 });
    expect(JSON.parse(runSyncer(["csv", "import_hosts", "demo", "--json", "--config", config]).stdout)).toMatchObject({ unchanged: 324, created: 0 });
    const berlin = JSON.parse(runSyncer(["hosts", "list", "--label", "site=berlin", "--label", "role=db", "--json", "--config", config]).stdout);
    expect(berlin.hosts).toHaveLength(9);
    expect(berlin.hosts[0].labels.owner).toBe("Data, Storage & Backup");
  });
});

describe("bad CSV input through a whole import: a clear error, nothing written", () => {
  const csvWorld = (content: string | Uint8Array) => {
    const w = world(`[accounts.sheet]\nplugin = "csv"\n[accounts.sheet.custom_fields]\npath = "hosts.csv"\n`);
    writeFileSync(join(w.dir, "hosts.csv"), "host,site\nkeep01,berlin\n");
    expect(w.run("csv", "import_hosts", "sheet").json).toMatchObject({ created: 1 });
    writeFileSync(join(w.dir, "hosts.csv"), content);
    const result = w.run("csv", "import_hosts", "sheet");
    expect(result.code).toBe(1);
    expect(w.query("SELECT hostname, labels FROM hosts")).toEqual([{ hostname: "keep01", labels: '{"site":"berlin"}' }]);
    return result.json.error as { kind: string; message: string };
  };

  test("a missing hostname column names the columns there are", () => {
    const error = csvWorld("name,site\nweb01,berlin\n");
    expect(error.kind).toBe("options");
    expect(error.message).toContain("'host'");
    expect(error.message).toContain("name, site");
  });

  test("duplicate hostnames name both rows", () => {
    const error = csvWorld("host,site\nweb01,berlin\nweb02,x\nweb01,hamburg\n");
    expect(error).toEqual({ kind: "validation", message: 'plugin csv returned hostname "web01" twice: record 1 of page 1 (row 2) and record 3 of page 1 (row 4)' });
  });

  test("an unterminated quote names its row", () => {
    const error = csvWorld('host,site\nweb01,berlin\nweb02,"hamburg\nweb03,x\n');
    expect(error.kind).toBe("parser");
    expect(error.message).toMatch(/row 3/);
  });

  test("invalid UTF-8 names its row", () => {
    const error = csvWorld(new Uint8Array([...new TextEncoder().encode("host,site\nweb01,ber"), 0xff, 0xfe, ...new TextEncoder().encode("lin\n")]));
    expect(error.kind).toBe("parser");
    expect(error.message).toMatch(/row 2/);
    expect(error.message).toMatch(/UTF-8/);
  });
});
