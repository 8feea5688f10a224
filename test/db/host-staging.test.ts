import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { readdirSync, readlinkSync } from "node:fs";
import type { HostStaging, StagedHost } from "../../src/db/hosts.ts";
import type { SqliteStorage } from "../../src/db/sqlite/storage.ts";
import { SyncerError } from "../../src/core/errors.ts";
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
