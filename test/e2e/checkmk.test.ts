import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runSyncerAsync, tempDir, writeConfig } from "../helpers/binary.ts";
import { type CheckmkFake, startCheckmkFake } from "../fakes/checkmk/fake.ts";
import type { SiteOptions } from "../fakes/checkmk/site.ts";

/**
 * The checkmk plugin through the compiled binary against the contract-checking Checkmk fake: hosts
 * imported from CSV, given folders and attributes by rules, exported, changed, exported again, removed,
 * exported again, activated. Every request the plugin sends is checked against Checkmk's OpenAPI
 * contract; closing the fake fails the test on any violation.
 */

const SECRET = "automation-s3cret-value";
const BULK_CREATE = "POST /domain-types/host_config/actions/bulk-create/invoke";
const BULK_UPDATE = "PUT /domain-types/host_config/actions/bulk-update/invoke";
const BULK_DELETE = "POST /domain-types/host_config/actions/bulk-delete/invoke";
const MOVE = "POST /objects/host_config/{host_name}/actions/move/invoke";
const FOLDERS = "GET /domain-types/folder_config/collections/all";
const FOLDER_HOSTS = "GET /objects/folder_config/{folder}/collections/hosts";

type Json = Record<string, any>;

let fake: CheckmkFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

interface Site {
  dir: string;
  /** The config file. */
  config: string;
  fake: CheckmkFake;
  csv(rows: string[][]): void;
  syncer(...args: string[]): Promise<{ code: number; json: Json; stderr: string }>;
  /** A command without --json (hosts lifecycle). */
  cli(...args: string[]): Promise<number>;
  writes(): number;
}

const RULES = `
[[rules]]
name = "berlin hosts go to their folder"
target = "checkmk"
conditions = [{ label = "site", match = "equal", value = "berlin" }]
set = { folder = "/servers/berlin" }

[[rules]]
name = "alias and criticality"
target = "checkmk"
match = "anyway"
set = { attributes = { alias = "{{ hostname | upcase }}", tag_criticality = "prod" } }
`;

function site(options: SiteOptions = {}): Site {
  fake = startCheckmkFake({ users: [{ name: "automation", secret: SECRET, role: "admin" }], ...options });
  // Made by people on the site: one Syncer does not know, one with the name of a host Syncer exports.
  fake.site.createHost("people01", "", { alias: "by hand" }, "cmkadmin");
  fake.site.createHost("app01", "", { ipaddress: "10.9.9.9" }, "cmkadmin");
  // …and activated by them: the site starts with nothing pending.
  fake.site.pendingChanges.length = 0;
  const dir = tempDir("syncer-checkmk-");
  const config = writeConfig(
    dir,
    `[server]\ndata_dir = "data"\n` +
      `[accounts.cmdb]\nplugin = "csv"\n[accounts.cmdb.custom_fields]\npath = "hosts.csv"\nhostname_column = "host"\nlabel_columns = ["site", "role"]\n` +
      `[accounts.monitoring]\nplugin = "checkmk"\naddress = "${fake.address}"\nusername = "automation"\npassword = "\${env:CHECKMK_SECRET}"\ndelete_limit = "50%"\n` +
      RULES,
  );
  const current = fake;
  const writes = () => {
    const counts = current.server.requestCounts();
    return Object.entries(counts)
      .filter(([key]) => !key.startsWith("GET "))
      .reduce((sum, [, count]) => sum + count, 0);
  };
  return {
    dir,
    config,
    fake: current,
    csv: (rows) => writeFileSync(join(dir, "hosts.csv"), ["host,site,role", ...rows.map((row) => row.join(","))].join("\n") + "\n"),
    syncer: async (...args) => {
      const result = await runSyncerAsync([...args, "--config", config, "--json"], { env: { CHECKMK_SECRET: SECRET } });
      let json: Json = {};
      try {
        json = JSON.parse(result.stdout);
      } catch {
        throw new Error(`not JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
      }
      expect(result.stdout + result.stderr).not.toContain(SECRET);
      return { code: result.code, json, stderr: result.stderr };
    },
    cli: async (...args) => (await runSyncerAsync([...args, "--config", config], { env: { CHECKMK_SECRET: SECRET } })).code,
    writes,
  };
}

const hostOf = (fake: CheckmkFake, name: string) => {
  const host = fake.site.hosts.get(name);
  if (!host) return undefined;
  const { meta_data: _meta, ...attributes } = host.attributes;
  return { folder: host.folder, attributes };
};

describe("checkmk export_hosts", () => {
  test("the first export creates the folders and hosts the rules give, leaves hosts people made alone, and activates", async () => {
    const s = site();
    s.csv([["web01", "berlin", "web"], ["web02", "berlin", "db"], ["app01", "paris", "web"]]);
    expect((await s.syncer("csv", "import_hosts", "cmdb")).code).toBe(0);
    const { code, json } = await s.syncer("checkmk", "export_hosts", "monitoring");
    expect(code).toBe(0);
    expect(json).toMatchObject({ created: 2, skipped: 1, updated: 0, deleted: 0, failed: 0 });
    expect(json.details).toContainEqual({ level: "info", message: expect.stringMatching(/^app01: skipped: on the site without the label cmdb_syncer: monitoring/) });
    expect(json.details).toContainEqual({ level: "info", message: expect.stringMatching(/^activated \d+ pending changes \(activation /) });
    expect(hostOf(s.fake, "web01")).toEqual({
      folder: "servers/berlin",
      attributes: { alias: "WEB01", tag_criticality: "prod", labels: { site: "berlin", role: "web", cmdb_syncer: "monitoring" } },
    });
    expect(hostOf(s.fake, "app01")).toEqual({ folder: "", attributes: { ipaddress: "10.9.9.9" } });
    expect(hostOf(s.fake, "people01")).toEqual({ folder: "", attributes: { alias: "by hand" } });
    expect(s.fake.site.folders.has("servers/berlin")).toBe(true);
    expect(s.fake.site.pendingChanges).toEqual([]);
    // Hosts in bulk: one create for both, never one request per host.
    expect(s.fake.server.requestCounts()[BULK_CREATE]).toBe(1);
  });

  test("values the site writes with \\u escapes (as Python's json does) compare equal to the same text unescaped: nothing is written again", async () => {
    const s = site({ asciiJson: true });
    s.csv([["web01", "münchen", "web"], ["web02", "zürich", "db ☃ 😀"]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    expect((await s.syncer("checkmk", "export_hosts", "monitoring")).json).toMatchObject({ created: 2, failed: 0 });
    expect(hostOf(s.fake, "web02")!.attributes.labels).toEqual({ site: "zürich", role: "db ☃ 😀", cmdb_syncer: "monitoring" });
    const before = s.writes();
    const again = await s.syncer("checkmk", "export_hosts", "monitoring");
    expect(again.json).toMatchObject({ created: 0, updated: 0, unchanged: 2, failed: 0 });
    expect(s.writes()).toBe(before);
  });

  test("a second export with nothing changed sends no write at all; a changed host is updated or moved alone", async () => {
    const s = site();
    s.csv([["web01", "berlin", "web"], ["web02", "berlin", "db"], ["web03", "paris", "web"]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    await s.syncer("checkmk", "export_hosts", "monitoring");
    const before = s.writes();
    const again = await s.syncer("checkmk", "export_hosts", "monitoring");
    expect(again.json).toMatchObject({ created: 0, updated: 0, unchanged: 3, deleted: 0 });
    expect(s.writes()).toBe(before);

    s.csv([["web01", "paris", "web"], ["web02", "berlin", "cache"], ["web03", "paris", "web"]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    const changed = await s.syncer("checkmk", "export_hosts", "monitoring");
    expect(changed.json).toMatchObject({ updated: 2, unchanged: 1 });
    expect(changed.json.details).toContainEqual({ level: "info", message: expect.stringContaining("web01: updated: folder: /servers/berlin → /") });
    expect(changed.json.details).toContainEqual({ level: "info", message: expect.stringContaining('web02: updated: labels: {"cmdb_syncer":"monitoring","role":"db","site":"berlin"} → {"cmdb_syncer":"monitoring","role":"cache","site":"berlin"}') });
    expect(hostOf(s.fake, "web01")!.folder).toBe("");
    expect(hostOf(s.fake, "web02")!.attributes.labels).toEqual({ site: "berlin", role: "cache", cmdb_syncer: "monitoring" });
    const counts = s.fake.server.requestCounts();
    expect(counts[MOVE]).toBe(1);
    expect(counts[BULK_UPDATE]).toBe(1);
  });

  test("a site of many folders is read in parts: every folder's hosts are compared, drift people made is repaired, and nothing else is written", async () => {
    const s = site();
    // Folders people made, with a host of theirs in the last: the site's six folders are read in four parts.
    for (const [parent, name] of [["", "lab"], ["lab", "x"], ["", "zoo"]] as const) s.fake.site.createFolder(parent, name, name, {}, "cmkadmin");
    s.fake.site.createHost("people02", "zoo", { alias: "by hand" }, "cmkadmin");
    s.fake.site.pendingChanges.length = 0;
    // One KiB of answers per call: the first call reads the root folder, and hands out the rest in parts.
    writeFileSync(s.config, readFileSync(s.config, "utf8").replace('delete_limit = "50%"\n', 'delete_limit = "50%"\n[accounts.monitoring.custom_fields]\nread_kib = 1\n'));
    s.csv([["web01", "berlin", "web"], ["web02", "berlin", "db"], ["web03", "paris", "web"]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    expect((await s.syncer("checkmk", "export_hosts", "monitoring")).json).toMatchObject({ created: 3, failed: 0 });
    expect(s.fake.site.folders.size).toBeGreaterThanOrEqual(6);
    const before = s.writes();
    const listed = s.fake.server.requestCounts()[FOLDERS] ?? 0;
    const hostsRead = s.fake.server.requestCounts()[FOLDER_HOSTS] ?? 0;
    expect((await s.syncer("checkmk", "export_hosts", "monitoring")).json).toMatchObject({ created: 0, updated: 0, unchanged: 3, deleted: 0, failed: 0 });
    expect(s.writes()).toBe(before);
    // Each folder's hosts are asked for once: the next folder of a call while the one before is read (prefetched), not again.
    expect(s.fake.server.requestCounts()[FOLDER_HOSTS]! - hostsRead).toBe(s.fake.site.folders.size);
    // Every call of the begin phase lists the folders: the first, then one per part at least (four parts of six folders).
    expect(s.fake.server.requestCounts()[FOLDERS]! - listed).toBeGreaterThanOrEqual(5);

    // Someone edits a host Syncer made: the next export puts it back, and deletes the one Syncer no longer exports.
    const edited = s.fake.site.hosts.get("web02")!;
    s.fake.site.editHost(edited, { ...hostOf(s.fake, "web02")!.attributes, alias: "edited by hand" }, "cmkadmin");
    expect(await s.cli("hosts", "lifecycle", "web03", "decommissioned")).toBe(0);
    const repaired = await s.syncer("checkmk", "export_hosts", "monitoring");
    expect(repaired.json).toMatchObject({ created: 0, updated: 1, unchanged: 1, deleted: 1, failed: 0 });
    expect(repaired.json.details).toContainEqual({ level: "info", message: 'web02: updated: alias: "edited by hand" → "WEB02"' });
    expect(hostOf(s.fake, "web02")!.attributes.alias).toBe("WEB02");
    expect([...s.fake.site.hosts.keys()].sort()).toEqual(["app01", "people01", "people02", "web01", "web02"]);
  });

  test("a host is found unchanged without being sent only while its inputs and the site are as before: a changed rule, account option or host, and an edit on the site, all reach the site", async () => {
    const s = site();
    s.csv([["web01", "berlin", "web"], ["web02", "paris", "db"]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    await s.syncer("checkmk", "export_hosts", "monitoring");
    const writes = s.writes();
    expect((await s.syncer("checkmk", "export_hosts", "monitoring")).json).toMatchObject({ created: 0, updated: 0, unchanged: 2, failed: 0 });
    expect(s.writes()).toBe(writes);

    // The rules set something else: every host is written again.
    writeFileSync(s.config, readFileSync(s.config, "utf8").replace('alias = "{{ hostname | upcase }}"', 'alias = "{{ hostname | upcase }}-1"'));
    expect((await s.syncer("checkmk", "export_hosts", "monitoring")).json).toMatchObject({ updated: 2, unchanged: 0, failed: 0 });
    expect(hostOf(s.fake, "web02")!.attributes.alias).toBe("WEB02-1");

    // An option of the account the plugin reads: the labels get their prefix.
    writeFileSync(s.config, readFileSync(s.config, "utf8").replace('delete_limit = "50%"\n', 'delete_limit = "50%"\n[accounts.monitoring.custom_fields]\nlabel_prefix = "cmdb/"\n'));
    expect((await s.syncer("checkmk", "export_hosts", "monitoring")).json).toMatchObject({ updated: 2, unchanged: 0, failed: 0 });
    expect(hostOf(s.fake, "web01")!.attributes.labels).toEqual({ "cmdb/site": "berlin", "cmdb/role": "web", cmdb_syncer: "monitoring" });

    // A host's labels change in Syncer: that host alone is written.
    s.csv([["web01", "berlin", "web"], ["web02", "paris", "cache"]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    expect((await s.syncer("checkmk", "export_hosts", "monitoring")).json).toMatchObject({ updated: 1, unchanged: 1, failed: 0 });
    expect(hostOf(s.fake, "web02")!.attributes.labels).toEqual({ "cmdb/site": "paris", "cmdb/role": "cache", cmdb_syncer: "monitoring" });

    // Someone edits a host on the site, its folder or its attributes: it is put back, and then found unchanged again.
    s.fake.site.editHost(s.fake.site.hosts.get("web01")!, { ...hostOf(s.fake, "web01")!.attributes, alias: "by hand" }, "cmkadmin");
    const repaired = await s.syncer("checkmk", "export_hosts", "monitoring");
    expect(repaired.json).toMatchObject({ updated: 1, unchanged: 1, failed: 0 });
    expect(repaired.json.details).toContainEqual({ level: "info", message: 'web01: updated: alias: "by hand" → "WEB01-1"' });
    expect(hostOf(s.fake, "web01")!.attributes.alias).toBe("WEB01-1");
    const settled = s.writes();
    expect((await s.syncer("checkmk", "export_hosts", "monitoring")).json).toMatchObject({ updated: 0, unchanged: 2, failed: 0 });
    expect(s.writes()).toBe(settled);
  });

  test("rules with a template that reads the clock are evaluated for every host on every export", async () => {
    const s = site();
    writeFileSync(s.config, readFileSync(s.config, "utf8").replace('alias = "{{ hostname | upcase }}"', `alias = "{{ 'now' | date: '%s%L' }}"`));
    s.csv([["web01", "berlin", "web"]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    await s.syncer("checkmk", "export_hosts", "monitoring");
    const first = hostOf(s.fake, "web01")!.attributes.alias;
    // Each export renders another time: the host is written each time, never taken as unchanged from before.
    expect((await s.syncer("checkmk", "export_hosts", "monitoring")).json).toMatchObject({ updated: 1, unchanged: 0, failed: 0 });
    expect(hostOf(s.fake, "web01")!.attributes.alias).not.toBe(first);
  });

  test("hosts Syncer no longer exports are deleted, within the delete limit; hosts people made never are", async () => {
    const s = site();
    s.csv([["web01", "berlin", "web"], ["web02", "berlin", "db"], ["web03", "paris", "web"]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    await s.syncer("checkmk", "export_hosts", "monitoring");
    expect(await s.cli("hosts", "lifecycle", "web03", "decommissioned")).toBe(0);
    const removed = await s.syncer("checkmk", "export_hosts", "monitoring");
    expect(removed.json).toMatchObject({ deleted: 1, unchanged: 2 });
    expect([...s.fake.site.hosts.keys()].sort()).toEqual(["app01", "people01", "web01", "web02"]);
    expect(s.fake.server.requestCounts()[BULK_DELETE]).toBe(1);
    // Both remaining owned hosts gone: past 50%, nothing is deleted and the run says why.
    expect(await s.cli("hosts", "lifecycle", "web01", "decommissioned")).toBe(0);
    expect(await s.cli("hosts", "lifecycle", "web02", "decommissioned")).toBe(0);
    const refused = await s.syncer("checkmk", "export_hosts", "monitoring");
    expect(refused.code).not.toBe(0);
    expect(refused.json.error.kind).toBe("delete_limit");
    expect([...s.fake.site.hosts.keys()].sort()).toEqual(["app01", "people01", "web01", "web02"]);
    expect((await s.syncer("checkmk", "export_hosts", "monitoring", "--force")).json).toMatchObject({ deleted: 2 });
    expect([...s.fake.site.hosts.keys()].sort()).toEqual(["app01", "people01"]);
  });

  test("--dry-run reads the site and reports the full diff, and writes nothing", async () => {
    const s = site();
    s.csv([["web01", "berlin", "web"]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    await s.syncer("checkmk", "export_hosts", "monitoring");
    s.csv([["web01", "berlin", "db"], ["web04", "rome", "web"]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    const writes = s.writes();
    const dry = await s.syncer("checkmk", "export_hosts", "monitoring", "--dry-run");
    expect(dry.json).toMatchObject({ created: 1, updated: 1 });
    expect(dry.json.details).toContainEqual({ level: "info", message: expect.stringContaining("web01: updated: labels:") });
    expect(s.writes()).toBe(writes);
    expect(s.fake.site.hosts.has("web04")).toBe(false);
  });

  test("a refused chunk is logged with Checkmk's error, its hosts failed, and the export goes on; bad credentials are an auth error", async () => {
    const s = site();
    s.csv([["web01", "berlin", "web"], ["web02", "paris", "web"]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    s.fake.server.failNth("POST", "/domain-types/host_config/actions/bulk-create/invoke", 1);
    const failed = await s.syncer("checkmk", "export_hosts", "monitoring");
    expect(failed.json).toMatchObject({ created: 0, failed: 2 });
    expect(failed.json.details.some((d: Json) => d.level === "error" && /bulk create of 2 hosts refused: HTTP 500/.test(d.message))).toBe(true);
    // The next export creates them.
    expect((await s.syncer("checkmk", "export_hosts", "monitoring")).json).toMatchObject({ created: 2 });

    s.fake.server.refuseAuth();
    const refused = await s.syncer("checkmk", "export_hosts", "monitoring");
    expect(refused.code).not.toBe(0);
    expect(refused.json.error.kind).toBe("auth");
    s.fake.server.refuseAuth(false);
  });
});

describe("checkmk import_hosts", () => {
  test("the site's hosts become Syncer hosts, a folder per page: labels as labels, folder and attributes as inventory", async () => {
    const s = site();
    s.fake.site.createFolder("", "linux", "Linux", {}, "cmkadmin");
    s.fake.site.createHost("db01", "linux", { ipaddress: "10.0.0.7", tag_criticality: "prod", labels: { os: "debian", cmdb_syncer: "monitoring" } }, "cmkadmin");
    const imported = await s.syncer("checkmk", "import_hosts", "monitoring");
    expect(imported.code).toBe(0);
    expect(imported.json).toMatchObject({ created: 3, failed: 0 });
    const db01 = await s.syncer("hosts", "show", "db01");
    expect(db01.json).toMatchObject({
      hostname: "db01",
      account: "monitoring",
      labels: { os: "debian" },
      inventory: { monitoring__folder: "/linux", monitoring__ipaddress: "10.0.0.7", monitoring__tag_criticality: "prod" },
    });
    expect((await s.syncer("hosts", "show", "people01")).json).toMatchObject({ labels: {}, inventory: { monitoring__folder: "/", monitoring__alias: "by hand" } });
  });
});

describe("checkmk activate_changes", () => {
  test("activates what is pending and waits until the activation is done; with nothing pending it says so", async () => {
    const s = site();
    s.fake.site.createHost("db07", "", {}, "automation");
    s.fake.site.createHost("db08", "", {}, "automation");
    const activated = await s.syncer("checkmk", "activate_changes", "monitoring");
    expect(activated.code).toBe(0);
    expect(activated.json.value).toMatch(/^activated 2 pending changes/);
    expect(s.fake.site.pendingChanges).toEqual([]);
    expect((await s.syncer("checkmk", "activate_changes", "monitoring")).json.value).toBe("nothing to activate: the site has no pending changes");
  });

  test("changes other users left pending are not activated without force_foreign_changes: the run fails saying so, and they stay pending", async () => {
    const s = site();
    s.fake.site.createHost("db09", "", {}, "cmkadmin");
    const refused = await s.syncer("checkmk", "activate_changes", "monitoring");
    expect(refused.code).not.toBe(0);
    expect(refused.json.error).toEqual({ kind: "auth", message: expect.stringContaining("There are changes from other users and foreign changes are not allowed") });
    expect(s.fake.site.pendingChanges.length).toBe(1);
  });
});
