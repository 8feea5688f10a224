import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { readdirSync, readlinkSync } from "node:fs";
import type { ExistingHost, HostStaging, PageRecord, StagedHost } from "../../src/db/hosts.ts";
import type { SqliteStorage } from "../../src/db/sqlite/storage.ts";
import { SyncerError } from "../../src/core/errors.ts";
import { openBulkConnection } from "../../src/db/open.ts";
import { SqliteHostStaging } from "../../src/db/sqlite/host-staging.ts";
import { planRecord, stagedOf } from "../../src/inventory/plan.ts";
import { freshDatabase } from "../helpers/database.ts";

/**
 * A run's staging (the hosts repository's stage()): what a run decided, on disk until one transaction
 * writes all of it, or, when anything fails or the run stops first, none of it.
 */

const labels = (map: Record<string, string>) => JSON.stringify(map);
const create = (hostname: string, map: Record<string, string> = {}, extra: Partial<StagedHost> = {}): StagedHost =>
  ({ action: "create", hostname, account: "a", labels: labels(map), inventory: "{}", ...extra }) as StagedHost;

function staged(storage: SqliteStorage, hosts: StagedHost[], apply = true): HostStaging {
  const staging = storage.hosts.stage();
  expect(staging.add(hosts)).toBeUndefined();
  if (apply) {
    staging.apply(7, 1_000, 50);
    staging.close();
  }
  return staging;
}

const rows = (storage: SqliteStorage) => storage.sqlite.query("SELECT id, hostname, account, labels, deleted_at, created_run FROM hosts ORDER BY id").all();
const index = (storage: SqliteStorage) => storage.sqlite.query("SELECT key, value, host_ids FROM label_index ORDER BY key, value").all();
/** A page of records as the sandbox sends it: JSON in UTF-8. */
const page = (records: Record<string, unknown>[]) => new TextEncoder().encode(JSON.stringify(records));

const seen = (storage: SqliteStorage) => storage.sqlite.query("SELECT host_id, last_seen FROM host_seen ORDER BY host_id").all();

describe("a staging", () => {
  test("writes creates in staging order with their last-seen rows and label-index entries, in one go", () => {
    const storage = freshDatabase();
    staged(storage, [create("web02", { site: "ber" }), create("web01", { site: "ber", os: "deb" }), create("db01")]);
    expect(rows(storage)).toEqual([
      { id: 1, hostname: "web02", account: "a", labels: '{"site":"ber"}', deleted_at: null, created_run: 7 },
      { id: 2, hostname: "web01", account: "a", labels: '{"site":"ber","os":"deb"}', deleted_at: null, created_run: 7 },
      { id: 3, hostname: "db01", account: "a", labels: "{}", deleted_at: null, created_run: 7 },
    ]);
    expect(seen(storage)).toEqual([1, 2, 3].map((id) => ({ host_id: id, last_seen: 1_000 })));
    expect(index(storage)).toEqual([
      { key: "os", value: "deb", host_ids: "[2]" },
      { key: "site", value: "ber", host_ids: "[1,2]" },
    ]);
  });

  test("created hosts get ids after the largest ever given, even when that host is gone", () => {
    const storage = freshDatabase();
    staged(storage, [create("web01"), create("web02")]);
    storage.sqlite.run("DELETE FROM hosts WHERE id = 2");
    staged(storage, [create("web03")]);
    expect(rows(storage).map((row) => (row as { id: number }).id)).toEqual([1, 3]);
  });

  test("updates, unchanged hosts and deletions: owners, labels, the label index, last seen and the change log", () => {
    const storage = freshDatabase();
    staged(storage, [create("web01", { site: "ber" }), create("web02", { site: "ber" }), create("web03", { site: "ham" })]);
    const [web01, web02, web03] = ["web01", "web02", "web03"].map((name) => storage.hosts.existing([name]).get(name)!);
    const staging = storage.hosts.stage();
    staging.add([
      { action: "update", hostname: "web01", host: web01!, account: "b", labels: labels({ site: "ham" }), inventory: "{}", labelsChanged: true, changes: '{"labels":1}' },
      { action: "unchanged", hostname: "web02", hostId: web02!.id },
      { action: "delete", hostname: "web03", host: web03!, reason: "gone", changes: '{"deleted":1}' },
    ]);
    expect(staging.counts()).toEqual({ create: 0, update: 1, unchanged: 1, skipped: 0, delete: 1 });
    staging.apply(8, 2_000, 50);
    staging.close();
    expect(storage.sqlite.query("SELECT hostname, account, labels, last_changed, deleted_at, delete_reason FROM hosts ORDER BY id").all()).toEqual([
      { hostname: "web01", account: "b", labels: '{"site":"ham"}', last_changed: 2_000, deleted_at: null, delete_reason: null },
      { hostname: "web02", account: "a", labels: '{"site":"ber"}', last_changed: 1_000, deleted_at: null, delete_reason: null },
      { hostname: "web03", account: "a", labels: '{"site":"ham"}', last_changed: 2_000, deleted_at: 2_000, delete_reason: "gone" },
    ]);
    // Soft-deleted hosts stay in the index; queries filter them.
    expect(index(storage)).toEqual([
      { key: "site", value: "ber", host_ids: "[2]" },
      { key: "site", value: "ham", host_ids: "[3,1]" },
    ]);
    expect(seen(storage)).toEqual([
      { host_id: 1, last_seen: 2_000 },
      { host_id: 2, last_seen: 2_000 },
      { host_id: 3, last_seen: 1_000 },
    ]);
    expect(storage.sqlite.query("SELECT host_id, run_id, at, changes FROM host_changes ORDER BY id").all()).toEqual([
      { host_id: 1, run_id: 8, at: 2_000, changes: '{"labels":1}' },
      { host_id: 3, run_id: 8, at: 2_000, changes: '{"deleted":1}' },
    ]);
  });

  test("a later write appends to a label's stored posting list: text that json_each reads, ids of any length", () => {
    const storage = freshDatabase();
    staged(storage, Array.from({ length: 12 }, (_, i) => create(`web${i}`, { site: "ber" })));
    const web0 = storage.hosts.existing(["web0"]).get("web0")!;
    const staging = storage.hosts.stage();
    staging.add([
      create("web12", { site: "ber" }),
      { action: "update", hostname: "web0", host: web0, account: "a", labels: labels({ site: "ber", os: "deb" }), inventory: "{}", labelsChanged: true, changes: "{}" },
    ]);
    staging.apply(8, 2_000, 50);
    staging.close();
    // web0 left site=ber and joined it again (its labels changed): removed, then added after the others.
    expect(index(storage)).toEqual([
      { key: "os", value: "deb", host_ids: "[1]" },
      { key: "site", value: "ber", host_ids: "[2,3,4,5,6,7,8,9,10,11,12,1,13]" },
    ]);
    staged(storage, [create("web13", { os: "deb" })]);
    expect(storage.sqlite.query("SELECT typeof(host_ids) AS type, (SELECT group_concat(value) FROM json_each(host_ids)) AS ids FROM label_index WHERE key = 'os'").get()).toEqual({ type: "text", ids: "1,14" });
  });

  test("a hostname staged twice is refused with both places it came from", () => {
    const storage = freshDatabase();
    const staging = storage.hosts.stage();
    const at = (page: number, index: number, row?: number) => ({ origin: { page, index, ...(row === undefined ? {} : { row }) } });
    // More than a batch of one action, so the refused one is in a statement of many.
    const first = Array.from({ length: 30 }, (_, i) => create(`host${i}`, {}, at(0, i, i + 2)));
    expect(staging.add(first)).toBeUndefined();
    const second = Array.from({ length: 30 }, (_, i) => create(i === 25 ? "host7" : `other${i}`, {}, at(1, i)));
    expect(staging.add(second)).toEqual({ hostname: "host7", first: { page: 0, index: 7, row: 9 }, second: { page: 1, index: 25 } });
    staging.close();
  });

  test("a host changed by someone else after it was staged fails the whole write as a conflict: nothing is written", () => {
    const storage = freshDatabase();
    staged(storage, [create("web01", { site: "ber" })]);
    const web01 = storage.hosts.existing(["web01"]).get("web01")!;
    const staging = storage.hosts.stage();
    staging.add([
      create("web02", { site: "ber" }),
      { action: "update", hostname: "web01", host: web01, account: "a", labels: labels({ site: "ham" }), inventory: "{}", labelsChanged: true, changes: "{}" },
    ]);
    const other = new Database(storage.path);
    other.run("UPDATE hosts SET lifecycle = 'staged', last_changed = 5 WHERE hostname = 'web01'");
    other.close();
    expect(() => staging.apply(9, 3_000, 50)).toThrow(new SyncerError("conflict", `host #${web01.id} was changed by someone else while this run was in progress; nothing was written, run it again`));
    staging.close();
    expect(rows(storage)).toEqual([{ id: 1, hostname: "web01", account: "a", labels: '{"site":"ber"}', deleted_at: null, created_run: 7 }]);
    expect(index(storage)).toEqual([{ key: "site", value: "ber", host_ids: "[1]" }]);
  });

  test("a host created by someone else after its creation was staged is a conflict too", () => {
    const storage = freshDatabase();
    const staging = storage.hosts.stage();
    staging.add([create("web01"), create("web02")]);
    staged(storage, [create("web02")]);
    expect(() => staging.apply(9, 3_000, 50)).toThrow(/^host "web02" was created by someone else while this run was in progress; nothing was written/);
    staging.close();
    expect(rows(storage).map((row) => (row as { hostname: string }).hostname)).toEqual(["web02"]);
  });

  test("closed without being applied, it wrote nothing; closing twice is harmless", () => {
    const storage = freshDatabase();
    const staging = staged(storage, [create("web01", { site: "ber" })], false);
    staging.close();
    staging.close();
    expect(rows(storage)).toEqual([]);
    expect(index(storage)).toEqual([]);
  });

  test("what hooks rewrite or drop is what is written", () => {
    const storage = freshDatabase();
    const staging = storage.hosts.stage();
    staging.add([create("web01", { site: "ber" }), create("web02", { site: "ber" }), create("web03", { site: "ham" })]);
    staging.replace([create("web02", { site: "kiel" })]);
    staging.remove(["web01"]);
    expect(staging.counts()).toMatchObject({ create: 2 });
    expect([...staging.entries(["create"], 1)].map((page) => page.map((host) => host.hostname))).toEqual([["web02"], ["web03"]]);
    staging.apply(7, 1_000, 50);
    staging.close();
    expect(rows(storage).map((row) => (row as { hostname: string }).hostname)).toEqual(["web02", "web03"]);
    expect(index(storage)).toEqual([
      { key: "site", value: "ham", host_ids: "[2]" },
      { key: "site", value: "kiel", host_ids: "[1]" },
    ]);
  });

  test("lives in a file of the temporary directory that no directory lists: nothing is left behind", () => {
    const deletedFiles = () =>
      readdirSync("/proc/self/fd").filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).endsWith("(deleted)");
        } catch {
          return false;
        }
      }).length;
    const storage = freshDatabase();
    const before = deletedFiles();
    const staging = storage.hosts.stage();
    // Enough to go past the staging's page cache onto its file.
    for (let page = 0; page < 20; page++) staging.add(Array.from({ length: 5000 }, (_, i) => create(`host${page}-${i}`, { note: "x".repeat(200) })));
    expect(deletedFiles()).toBeGreaterThan(before);
    staging.close();
    expect(deletedFiles()).toBe(before);
  });
});

// Pages of new hosts are staged by SQLite whole, pages of stored hosts read and staged by the staging: both ways, the same.
// A page said to have no inventory is read without looking for one; one that may have it, with.
describe.each([
  ["insert", "a page with inventory only"],
  ["insert", "every page"],
  ["select", "a page with inventory only"],
  ["select", "every page"],
] as const)("a page staged as it came (addPage), each page staged by %s, inventory looked for in %s", (pages, lookFor) => {
  const pageStaging = (storage: SqliteStorage): HostStaging => new SqliteHostStaging(openBulkConnection(storage.sqlite.filename), () => {}, pages);
  const addPage = (staging: HostStaging, number: number, records: Uint8Array, account: string, plan: (record: PageRecord, existing: ExistingHost | undefined) => StagedHost) =>
    staging.addPage(number, records, account, plan, lookFor === "every page" || new TextDecoder().decode(records).includes('"inventory"'));
  /** The plan of the records the stored hosts do not settle: every one becomes an update owned by "a", or a create. */
  const planned: { hostname: string; existing: number | null; labels: string; inventory: string | null; index: number; row: number | null }[] = [];
  const plan = (record: PageRecord, existing: ExistingHost | undefined): StagedHost => {
    planned.push({ hostname: record.hostname, existing: existing?.id ?? null, labels: record.labels, inventory: record.inventory, index: record.index, row: record.row });
    if (!existing) return { action: "create", hostname: record.hostname, account: "a", labels: record.labels, inventory: record.inventory ?? "{}" };
    return { action: "update", hostname: record.hostname, host: existing, account: "a", labels: record.labels, inventory: existing.inventoryText, labelsChanged: record.labels !== existing.labelsText, changes: "{}" };
  };

  test("decides the plain records itself, hands every other to the plan in order, and keeps the page's order for ids", () => {
    const storage = freshDatabase();
    staged(storage, [create("same", { site: "ber" }), create("moved", { site: "ber" }), create("gone", { site: "ber" }), create("theirs", { site: "ber" }, { account: "b" } as Partial<StagedHost>)]);
    storage.sqlite.run("UPDATE hosts SET deleted_at = 5 WHERE hostname = 'gone'");
    planned.length = 0;
    const staging = pageStaging(storage);
    const records = [
      { hostname: "new1", labels: { site: "ham" }, row: 2 },
      { hostname: "same", labels: { site: "ber" }, row: 3 },
      { hostname: "new2", inventory: { serial: "x" }, row: 4 },
      { hostname: "moved", labels: { site: "kiel" }, row: 5 },
      { hostname: "gone", labels: { site: "ber" } },
      { hostname: "theirs", labels: { site: "ber" }, row: 7 },
      { hostname: "same2", labels: {} },
      { hostname: "new3" },
    ];
    expect(addPage(staging, 3, page(records), "a", plan)).toBe(8);
    expect(planned).toEqual([
      { hostname: "moved", existing: 2, labels: '{"site":"kiel"}', inventory: null, index: 3, row: 5 },
      { hostname: "gone", existing: 3, labels: '{"site":"ber"}', inventory: null, index: 4, row: null },
      { hostname: "theirs", existing: 4, labels: '{"site":"ber"}', inventory: null, index: 5, row: 7 },
    ]);
    expect(staging.counts()).toEqual({ create: 4, update: 3, unchanged: 1, skipped: 0, delete: 0 });
    const staged2 = [...staging.entries(["create", "update", "unchanged"], 100)].flat();
    expect(staged2.map((host) => [host.hostname, host.action, host.origin])).toEqual([
      ["new1", "create", { page: 3, index: 0, row: 2 }],
      ["same", "unchanged", { page: 3, index: 1, row: 3 }],
      ["new2", "create", { page: 3, index: 2, row: 4 }],
      ["moved", "update", { page: 3, index: 3, row: 5 }],
      ["gone", "update", { page: 3, index: 4 }],
      ["theirs", "update", { page: 3, index: 5, row: 7 }],
      ["same2", "create", { page: 3, index: 6 }],
      ["new3", "create", { page: 3, index: 7 }],
    ]);
    expect(staged2.find((host) => host.hostname === "new1")).toMatchObject({ account: "a", labels: '{"site":"ham"}', inventory: "{}" });
    expect(staged2.find((host) => host.hostname === "new2")).toMatchObject({ account: "a", labels: "{}", inventory: '{"a__serial":"x"}' });
    staging.apply(9, 2_000, 50);
    staging.close();
    // Created hosts get their ids in the page's order, the plan's create among them; the label index follows.
    expect(storage.sqlite.query("SELECT id, hostname FROM hosts WHERE id > 4 ORDER BY id").all()).toEqual([
      { id: 5, hostname: "new1" },
      { id: 6, hostname: "new2" },
      { id: 7, hostname: "same2" },
      { id: 8, hostname: "new3" },
    ]);
    expect(index(storage)).toEqual([
      { key: "site", value: "ber", host_ids: "[1,3,4]" },
      { key: "site", value: "ham", host_ids: "[5]" },
      { key: "site", value: "kiel", host_ids: "[2]" },
    ]);
    expect(seen(storage).filter((row) => (row as { last_seen: number }).last_seen === 2_000).map((row) => (row as { host_id: number }).host_id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  test("a hostname staged already, in the page or before it, stages nothing of the page: the caller finds it with add", () => {
    const storage = freshDatabase();
    const staging = pageStaging(storage);
    expect(addPage(staging, 0, page([{ hostname: "a" }, { hostname: "b" }]), "a", plan)).toBe(2);
    expect(addPage(staging, 1, page([{ hostname: "c" }, { hostname: "b" }]), "a", plan)).toBeUndefined();
    expect(addPage(staging, 1, page([{ hostname: "d" }, { hostname: "d" }]), "a", plan)).toBeUndefined();
    expect(staging.counts()).toMatchObject({ create: 2 });
    expect([...staging.entries(["create"], 10)].flat()).toMatchObject([
      { hostname: "a", account: "a", labels: "{}", inventory: "{}" },
      { hostname: "b", account: "a", labels: "{}", inventory: "{}" },
    ]);
    staging.close();
  });

  test("a stored host is staged once too, whatever was decided for it: unchanged, planned, or skipped by the plan", () => {
    const storage = freshDatabase();
    staged(storage, [create("same", { site: "ber" }), create("moved", { site: "ber" }), create("theirs", { site: "ber" }, { account: "b" } as Partial<StagedHost>)]);
    const skipTheirs = (record: PageRecord, existing: ExistingHost | undefined): StagedHost =>
      record.hostname === "theirs" ? { action: "skipped", hostname: record.hostname, reason: "owned by b", owner: "b" } : plan(record, existing);
    const staging = pageStaging(storage);
    expect(addPage(staging, 0, page([{ hostname: "same", labels: { site: "ber" } }, { hostname: "moved", labels: { site: "kiel" } }, { hostname: "theirs" }]), "a", skipTheirs)).toBe(3);
    expect(staging.counts()).toMatchObject({ unchanged: 1, update: 1, skipped: 1 });
    for (const again of ["same", "moved", "theirs"]) expect(addPage(staging, 1, page([{ hostname: "new" }, { hostname: again }]), "a", skipTheirs)).toBeUndefined();
    // Planned one at a time (add), a second time is found with both places.
    const skipped: StagedHost = { action: "skipped", hostname: "theirs", reason: "owned by b", owner: "b", origin: { page: 2, index: 0 } };
    expect(staging.add([skipped])).toEqual({ hostname: "theirs", first: { page: 0, index: 2 }, second: { page: 2, index: 0 } });
    const unchanged: StagedHost = { action: "unchanged", hostname: "same", hostId: 1, origin: { page: 2, index: 1 } };
    expect(staging.add([unchanged])).toEqual({ hostname: "same", first: { page: 0, index: 0 }, second: { page: 2, index: 1 } });
    // A host skipped by add, without its id, is still one hostname.
    const other = pageStaging(storage);
    expect(other.add([{ ...skipped, origin: { page: 0, index: 0 } }])).toBeUndefined();
    expect(addPage(other, 1, page([{ hostname: "theirs" }]), "a", skipTheirs)).toBeUndefined();
    expect(other.add([{ ...skipped, origin: { page: 1, index: 0 } }])).toEqual({ hostname: "theirs", first: { page: 0, index: 0 }, second: { page: 1, index: 0 } });
    // What was staged stays as it was: the hooks' view and the write.
    expect([...staging.entries(["unchanged", "update", "skipped"], 10)].flat().map((host) => [host.hostname, host.action])).toEqual([
      ["same", "unchanged"],
      ["moved", "update"],
      ["theirs", "skipped"],
    ]);
    staging.remove(["theirs"]);
    expect(staging.counts()).toMatchObject({ skipped: 0 });
    other.close();
    staging.close();
  });

  test("a create's inventory is namespaced as the plan writes it; a re-import of the same text is unchanged; a host that holds another namespace too goes to the plan", () => {
    const storage = freshDatabase();
    const inventory = { s: 'a "b" \\ \n\u0001\u001f/é😀\u2028,"x":', i: 42, r: 0.1, e: 1e21, tiny: 5e-324, big: 1152921504606846976, neg: -7, t: true, f: false, z: null, "k.\"q": "v", "0": "zero" };
    const context = { kind: "import" as const, account: "nb", masters: new Set<string>() };
    const byPlan = stagedOf(planRecord({ hostname: "x", labels: {}, inventory }, undefined, context)) as Extract<StagedHost, { action: "create" }>;
    planned.length = 0;
    const first = pageStaging(storage);
    const records = [
      { hostname: "x", inventory },
      { hostname: "real", inventory: { n: 1.5 } },
      { hostname: "none", labels: { a: "b" } },
    ];
    expect(addPage(first, 0, page(records), "nb", plan)).toBe(3);
    expect(planned).toEqual([]);
    const created = [...first.entries(["create"], 10)].flat() as Extract<StagedHost, { action: "create" }>[];
    expect(created.map((host) => [host.hostname, host.inventory])).toEqual([
      ["x", byPlan.inventory],
      ["real", '{"nb__n":1.5}'],
      ["none", "{}"],
    ]);
    first.apply(1, 1_000, 50);
    first.close();

    planned.length = 0;
    const again = pageStaging(storage);
    storage.sqlite.run(`UPDATE hosts SET inventory = json_set(inventory, '$.other__k', 1) WHERE hostname = 'none'`);
    expect(addPage(again, 0, page([{ hostname: "x", inventory }, { hostname: "none", labels: { a: "b" }, inventory: {} }, { hostname: "real", inventory: { n: 1.5 } }]), "nb", plan)).toBe(3);
    // "none" holds another account's namespace too: its text is not the record's, and the plan decides.
    expect(planned.map((record) => record.hostname)).toEqual(["none"]);
    expect(again.counts()).toMatchObject({ unchanged: 2, update: 1 });
    again.close();
  });

  test("labels and inventory keep their text as it came, escapes and all", () => {
    const storage = freshDatabase();
    const labelsText = JSON.stringify({ "ü": 'a "b" \\ \n\u001f', "": "x" });
    planned.length = 0;
    const records = (inventory: string) => new TextEncoder().encode(`[{"hostname":"x","labels":${labelsText},"inventory":${inventory}},{"hostname":"y","labels":${labelsText},"inventory":{}}]`);
    staged(storage, [create("y", {}, { account: "b" } as Partial<StagedHost>)]);
    const staging = pageStaging(storage);
    expect(addPage(staging, 0, records('{"n":1.5,"s":"\\u0001"}'), "a", plan)).toBe(2);
    // Created by the statement, its inventory namespaced; handed to the plan (a host of another owner), as it came.
    expect([...staging.entries(["create"], 10)].flat()).toMatchObject([{ hostname: "x", labels: labelsText, inventory: '{"a__n":1.5,"a__s":"\\u0001"}' }]);
    expect(planned).toEqual([{ hostname: "y", existing: 1, labels: labelsText, inventory: "{}", index: 1, row: null }]);
    staging.close();
  });
});

describe("a re-import's unchanged hosts, seen rather than written (addPage, page by page)", () => {
  const same = (hostname: string) => ({ hostname, labels: { site: "ber" } });
  /** How many rows a staging on `connection` holds (seen hosts hold none). */
  const rowsStaged = (connection: Database) => connection.query<{ rows: number }, []>("SELECT count(*) AS rows FROM staging.staged").get()!.rows;
  const refuse = (): StagedHost => {
    throw new Error("nothing here is for the plan");
  };
  const lastSeen = (storage: SqliteStorage) =>
    Object.fromEntries(storage.sqlite.query<{ hostname: string; last_seen: number }, []>("SELECT hostname, last_seen FROM hosts JOIN host_seen ON host_id = id ORDER BY id").all().map((row) => [row.hostname, row.last_seen]));

  test("pages go the way that suits them; a stored host is still staged once, wherever it was staged first; the write is the same", () => {
    const storage = freshDatabase();
    staged(storage, ["x", "y", "z", "w"].map((name) => create(name, { site: "ber" })));
    const connection = openBulkConnection(storage.sqlite.filename);
    const staging = new SqliteHostStaging(connection);
    // The account owns hosts: the first page is read (x seen, not written); it was mostly new hosts, so the next is staged by SQLite whole.
    expect(staging.addPage(0, page([same("x"), { hostname: "n1" }, { hostname: "n2" }, { hostname: "n3" }]), "a", refuse)).toBe(4);
    expect(rowsStaged(connection)).toBe(3);
    expect(staging.addPage(1, page([same("x")]), "a", refuse)).toBeUndefined();
    expect(staging.addPage(1, page([same("y"), same("z")]), "a", refuse)).toBe(2);
    expect(rowsStaged(connection)).toBe(5);
    // That one was all stored hosts: the next is read again.
    expect(staging.addPage(2, page([same("z")]), "a", refuse)).toBeUndefined();
    // Twice in one page: nothing of it is staged, so w stays missing below.
    expect(staging.addPage(2, page([same("w"), same("w")]), "a", refuse)).toBeUndefined();
    expect(staging.counts()).toEqual({ create: 3, update: 0, unchanged: 3, skipped: 0, delete: 0 });
    // Found one at a time, with both places: a row of the staging, or a host seen unchanged.
    expect(staging.add([{ action: "unchanged", hostname: "z", hostId: 3, origin: { page: 2, index: 0 } }])).toEqual({ hostname: "z", first: { page: 1, index: 1 }, second: { page: 2, index: 0 } });
    expect(staging.add([{ action: "unchanged", hostname: "x", hostId: 1, origin: { page: 3, index: 0 } }])).toEqual({ hostname: "x", first: { page: 0, index: 0 }, second: { page: 3, index: 0 } });
    // w was not in the import; the created hosts are not the account's yet.
    expect(staging.missing("a")).toEqual({ owned: 4, missing: 1 });
    expect(staging.stageMissing("a", "gone", "{}")).toBe(1);
    expect(staging.missing("a")).toEqual({ owned: 4, missing: 0 });
    staging.apply(9, 2_000, 50);
    staging.close();
    expect(lastSeen(storage)).toEqual({ x: 2_000, y: 2_000, z: 2_000, w: 1_000, n1: 2_000, n2: 2_000, n3: 2_000 });
    expect(storage.sqlite.query("SELECT hostname FROM hosts WHERE deleted_at IS NOT NULL").all()).toEqual([{ hostname: "w" }]);
  });

  test("read as rows when asked (unchanged entries, hooks' rewrites), each in its place; a host dropped is not written", () => {
    const storage = freshDatabase();
    staged(storage, ["a1", "a2", "a3", "a4", "a5"].map((name) => create(name, { site: "ber" })));
    const staging = new SqliteHostStaging(openBulkConnection(storage.sqlite.filename), () => {}, "select");
    expect(staging.addPage(0, page([same("a1"), { hostname: "new" }, same("a2")]), "a", refuse)).toBe(3);
    expect(staging.addPage(1, page([same("a3"), same("a4"), same("a5")]), "a", refuse)).toBe(3);
    expect(staging.counts()).toMatchObject({ create: 1, unchanged: 5 });
    // Purged meanwhile: no name to write, and nothing to write for it.
    storage.sqlite.run("DELETE FROM hosts WHERE hostname = 'a5'");
    expect([...staging.entries(["create", "unchanged"], 2)].map((entries) => entries.map((host) => [host.hostname, host.origin]))).toEqual([
      [
        ["a1", { page: 0, index: 0 }],
        ["new", { page: 0, index: 1 }],
      ],
      [
        ["a2", { page: 0, index: 2 }],
        ["a3", { page: 1, index: 0 }],
      ],
      [["a4", { page: 1, index: 1 }]],
    ]);
    staging.remove(["a2"]);
    expect(staging.counts()).toMatchObject({ create: 1, unchanged: 3 });
    // Staged no more, it may be staged again.
    expect(staging.add([{ action: "unchanged", hostname: "a2", hostId: 2, origin: { page: 2, index: 0 } }])).toBeUndefined();
    staging.remove(["a2", "a4"]);
    staging.apply(9, 2_000, 50);
    staging.close();
    expect(lastSeen(storage)).toEqual({ a1: 2_000, a2: 1_000, a3: 2_000, a4: 1_000, new: 2_000 });
  });

  test("when hosts were last seen is written for exactly those seen: long runs of ids and scattered ones", () => {
    const storage = freshDatabase();
    const names = Array.from({ length: 60 }, (_, i) => `h${String(i + 1).padStart(2, "0")}`);
    staged(storage, names.map((name) => create(name, { site: "ber" })));
    // Hosts 1–40 in a run, 45 and 47 alone, 50–60 in a run too short to scan; in an order of their own.
    const seenIds = [...Array.from({ length: 11 }, (_, i) => 60 - i), 45, ...Array.from({ length: 40 }, (_, i) => i + 1), 47];
    const connection = openBulkConnection(storage.sqlite.filename);
    const staging = new SqliteHostStaging(connection, () => {}, "select");
    expect(staging.addPage(0, page(seenIds.map((id) => same(names[id - 1]!))), "a", refuse)).toBe(seenIds.length);
    // Seen, not written: the staging holds no row of them.
    expect(rowsStaged(connection)).toBe(0);
    staging.apply(9, 2_000, 50);
    staging.close();
    const seen = lastSeen(storage);
    expect(names.filter((name) => seen[name] === 2_000).map((name) => Number(name.slice(1)))).toEqual([...seenIds].sort((a, b) => a - b));
  });

  test("hosts in an order of their own (a run each) are written as rows past a bound: the memory stays bounded, the outcome the same", () => {
    const storage = freshDatabase();
    const names = ["b1", "b2", "b3", "b4", "b5", "b6"];
    staged(storage, names.map((name) => create(name, { site: "ber" })));
    const connection = openBulkConnection(storage.sqlite.filename);
    const staging = new SqliteHostStaging(connection, () => {}, "select", 2);
    expect(staging.addPage(0, page([same("b5"), same("b1"), same("b3")]), "a", refuse)).toBe(3);
    expect(rowsStaged(connection)).toBe(3);
    expect(staging.addPage(1, page([same("b2"), same("b6")]), "a", refuse)).toBe(2);
    expect(rowsStaged(connection)).toBe(3);
    expect(staging.addPage(2, page([same("b1")]), "a", refuse)).toBeUndefined();
    expect(staging.add([{ action: "unchanged", hostname: "b3", hostId: 3, origin: { page: 3, index: 0 } }])).toEqual({ hostname: "b3", first: { page: 0, index: 2 }, second: { page: 3, index: 0 } });
    expect(staging.counts()).toMatchObject({ unchanged: 5 });
    expect(staging.missing("a")).toEqual({ owned: 6, missing: 1 });
    expect([...staging.entries(["unchanged"], 10)].flat().map((host) => host.hostname)).toEqual(["b5", "b1", "b3", "b2", "b6"]);
    staging.apply(9, 2_000, 50);
    staging.close();
    expect(lastSeen(storage)).toEqual({ b1: 2_000, b2: 2_000, b3: 2_000, b4: 1_000, b5: 2_000, b6: 2_000 });
  });

  test("a stored host staged by its name alone (created by someone else meanwhile) is not missing", () => {
    const storage = freshDatabase();
    staged(storage, [create("kept", { site: "ber" })]);
    const staging = new SqliteHostStaging(openBulkConnection(storage.sqlite.filename), () => {}, "select");
    expect(staging.addPage(0, page([same("kept"), { hostname: "late" }]), "a", refuse)).toBe(2);
    staged(storage, [create("late"), create("other")]);
    expect(staging.missing("a")).toEqual({ owned: 3, missing: 1 });
    expect(staging.stageMissing("a", "gone", "{}")).toBe(1);
    expect([...staging.entries(["delete"], 10)].flat().map((host) => host.hostname)).toEqual(["other"]);
    staging.close();
  });
});
