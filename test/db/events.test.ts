import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventJson } from "../../src/core/events.ts";
import { openDatabase } from "../../src/db/open.ts";
import { MIGRATIONS } from "../../src/db/sqlite/embedded-migrations.ts";
import { applyMigrations } from "../../src/db/sqlite/migrate.ts";
import { freshDatabase } from "../helpers/database.ts";

/** The event log's and the subscribers' storage: reads in id order, filters, the subscribers' batch text, cursors. */

function seeded() {
  const database = freshDatabase();
  const { events } = database;
  events.emit({ type: "run.started", data: { run_id: 1 }, account: "demo", runId: 1, at: 1_764_651_662_003 });
  events.emit({ type: "host.changed", data: { hostname: "a", changes: { labels: { old: { é: "ü\n" }, new: {} } } }, account: "demo", runId: 1, at: 1_764_651_662_050 });
  events.emit({ type: "plugin.netbox.synced", data: null, plugin: "netbox", at: 5 });
  events.emit({ type: "run.finished", data: { run_id: 1, status: "ok" }, account: "demo", runId: 1, at: 1_764_651_663_999 });
  return database;
}

describe("the event log's storage", () => {
  test("reads in id order from a cursor, by types and prefixes, by time, the newest page", () => {
    const { events } = seeded();
    const types = (filter: Parameters<typeof events.list>[0]) => events.list(filter).map((event) => event.type);
    expect(types({ limit: 10 })).toEqual(["run.started", "host.changed", "plugin.netbox.synced", "run.finished"]);
    expect(types({ after: 2, limit: 10 })).toEqual(["plugin.netbox.synced", "run.finished"]);
    expect(types({ types: ["run.*"], limit: 10 })).toEqual(["run.started", "run.finished"]);
    expect(types({ types: ["host.changed", "plugin.*"], limit: 10 })).toEqual(["host.changed", "plugin.netbox.synced"]);
    expect(types({ types: ["*"], limit: 2 })).toEqual(["run.started", "host.changed"]);
    expect(types({ newest: true, limit: 2 })).toEqual(["plugin.netbox.synced", "run.finished"]);
    // The plugin's event was recorded (its clock said) long before: `since` leaves it out.
    expect(types({ since: 1_764_651_662_050, limit: 10 })).toEqual(["host.changed", "run.finished"]);
    expect(events.list({ limit: 1 })[0]).toEqual({ id: 1, type: "run.started", at: 1_764_651_662_003, plugin: null, account: "demo", runId: 1, data: { run_id: 1 } });
    expect(events.latestId()).toBe(4);
    expect(events.firstAfter(1, ["run.*"])).toBe(1_764_651_663_999);
    expect(events.firstAfter(4)).toBeUndefined();
  });

  test("a subscriber's batch is the JSON the API shows, made from the stored text, within its bounds", () => {
    const { events } = seeded();
    const batch = events.batch({ limit: 10 });
    expect(JSON.parse(batch.json)).toEqual(events.list({ limit: 10 }).map(eventJson));
    expect(batch).toMatchObject({ count: 4, first: 1, last: 4 });
    const some = events.batch({ after: 1, upTo: 3, types: ["run.*", "host.*"], limit: 10 });
    expect(JSON.parse(some.json).map((event: { id: number }) => event.id)).toEqual([2]);
    expect(events.batch({ after: 4, limit: 10 })).toEqual({ json: "[]", count: 0, first: 0, last: 0 });
  });

  test("subscribers: recorded once at a cursor, moved on by successes, failures counted and dead-lettered, resumed", () => {
    const { subscribers } = seeded();
    expect(subscribers.ensure("webhook:ops", 4)).toMatchObject({ name: "webhook:ops", cursor: 4, state: "active", failures: 0, delivered: 0, lastError: null });
    expect(subscribers.ensure("webhook:ops", 0).cursor).toBe(4);
    subscribers.fail("webhook:ops", { kind: "http", message: "the target answered 500" }, 10, false);
    subscribers.fail("webhook:ops", { kind: "connection", message: "refused" }, 20, true);
    expect(subscribers.get("webhook:ops")).toMatchObject({ state: "dead_letter", failures: 2, cursor: 4, lastError: { kind: "connection", message: "refused", at: 20 } });
    expect(subscribers.resume("webhook:ops")).toBe(true);
    expect(subscribers.resume("webhook:nope")).toBe(false);
    subscribers.advance("webhook:ops", 9, 3, 30);
    subscribers.advance("webhook:ops", 7, 0, 40);
    expect(subscribers.get("webhook:ops")).toMatchObject({ state: "active", failures: 0, cursor: 9, delivered: 3, lastDeliveredAt: 30 });
    expect(subscribers.list().map((row) => row.name)).toEqual(["webhook:ops"]);
    expect(subscribers.forget("webhook:ops")).toBe(true);
    expect(subscribers.forget("webhook:ops")).toBe(false);
    expect(subscribers.list()).toEqual([]);
  });

  test("migrating keeps plugins' events, their types as plugin.<ident>.<name>", () => {
    const dir = mkdtempSync(join(tmpdir(), "syncer-db-"));
    const { sqlite } = openDatabase(join(dir, "old.db"));
    const before = MIGRATIONS.findIndex((migration) => migration.tag === "0009_events_log_subscribers");
    applyMigrations(sqlite, MIGRATIONS.slice(0, before));
    sqlite.run("INSERT INTO events (plugin, type, data, created_at) VALUES ('netbox', 'netbox.sync_done', '{\"n\":1}', 1), ('csv', 'imported', 'null', 2)");
    applyMigrations(sqlite);
    expect(sqlite.query("SELECT plugin, type, data FROM events ORDER BY id").all()).toEqual([
      { plugin: "netbox", type: "plugin.netbox.sync_done", data: '{"n":1}' },
      { plugin: "csv", type: "plugin.csv.imported", data: "null" },
    ]);
    sqlite.close();
  });
});
