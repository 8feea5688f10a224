import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { RetentionSchema, type RetentionConfig } from "../../src/config/schema.ts";
import { runMaintenance } from "../../src/maintenance/retention.ts";
import { thisProcess } from "../../src/runs/owner.ts";
import { freshDatabase } from "../helpers/database.ts";

/** [retention] applied at an explicit `now`: what is older than each limit goes, the rest stays. */

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2030, 0, 31, 12);
const daysAgo = (days: number) => NOW - days * DAY;

const retention = (values: Partial<RetentionConfig> = {}): RetentionConfig => v.parse(RetentionSchema, values);

type Database = ReturnType<typeof freshDatabase>;

function addRun(database: Database, startedAt: number, status = "ok"): void {
  const owner = thisProcess();
  database.sqlite.query("INSERT INTO runs (plugin, command, trigger, status, started_at, owner_pid, owner_started) VALUES ('csv', 'import_hosts', 'cli', ?, ?, ?, ?)").run(status, startedAt, owner.pid, owner.started);
}

function addJobRun(database: Database, startedAt: number, status = "ok"): void {
  const owner = thisProcess();
  database.sqlite.query("INSERT INTO job_runs (job, trigger, status, started_at, owner_pid, owner_started) VALUES ('nightly', 'schedule', ?, ?, ?, ?)").run(status, startedAt, owner.pid, owner.started);
}

/** A host with labels, its label-index entries, last-seen time and `changes` change-log entries at `changedAt`. */
function addHost(database: Database, hostname: string, options: { deletedAt?: number; changedAt?: number; changes?: number; labels?: Record<string, string> } = {}): number {
  const { sqlite } = database;
  const labels = options.labels ?? { site: "ber" };
  const id = Number(
    sqlite
      .query("INSERT INTO hosts (hostname, account, labels, first_seen, last_changed, deleted_at, delete_reason) VALUES (?, 'demo', ?, ?, ?, ?, ?)")
      .run(hostname, JSON.stringify(labels), daysAgo(400), daysAgo(400), options.deletedAt ?? null, options.deletedAt ? "gone" : null).lastInsertRowid,
  );
  sqlite.query("INSERT INTO host_seen (host_id, last_seen) VALUES (?, ?)").run(id, daysAgo(1));
  for (const [key, value] of Object.entries(labels)) {
    const row = sqlite.query<{ host_ids: string }, [string, string]>("SELECT host_ids FROM label_index WHERE key = ? AND value = ?").get(key, value);
    const ids = row ? (JSON.parse(row.host_ids) as number[]) : [];
    sqlite.query("INSERT OR REPLACE INTO label_index (key, value, host_ids) VALUES (?, ?, ?)").run(key, value, JSON.stringify([...ids, id]));
  }
  for (let i = 0; i < (options.changes ?? 0); i++) {
    sqlite.query("INSERT INTO host_changes (host_id, at, changes) VALUES (?, ?, '{}')").run(id, options.changedAt ?? daysAgo(1));
  }
  return id;
}

const count = (database: Database, sql: string) => database.sqlite.query<{ n: number }, []>(`SELECT count(*) AS n FROM ${sql}`).get()!.n;

describe("[retention] defaults", () => {
  test("runs, job runs and events 90 days, change-log entries 365 days, deleted hosts for ever", () => {
    expect(retention()).toEqual({ runs_days: 90, job_runs_days: 90, events_days: 90, host_changes_days: 365 });
  });
});

describe("a maintenance pass", () => {
  test("removes finished runs and job runs started before their limit; running ones, however old, stay", async () => {
    const database = freshDatabase();
    addRun(database, daysAgo(91));
    addRun(database, daysAgo(91), "failed");
    addRun(database, daysAgo(200), "running");
    addRun(database, daysAgo(89));
    addJobRun(database, daysAgo(31), "interrupted");
    addJobRun(database, daysAgo(29));
    addJobRun(database, daysAgo(500), "running");

    const report = await runMaintenance(database, retention({ job_runs_days: 30 }), NOW);

    expect(report.removed).toMatchObject({ runs: 2, jobRuns: 1 });
    expect(report.cutoffs).toMatchObject({ runs: daysAgo(90), jobRuns: daysAgo(30) });
    expect(database.sqlite.query("SELECT status, started_at FROM runs ORDER BY id").all()).toEqual([
      { status: "running", started_at: daysAgo(200) },
      { status: "ok", started_at: daysAgo(89) },
    ]);
    expect(database.sqlite.query("SELECT status FROM job_runs ORDER BY id").all()).toEqual([{ status: "ok" }, { status: "running" }]);
    database.close();
  });

  test("removes events and change-log entries older than their limits, in batches past the batch size", async () => {
    const database = freshDatabase();
    // 12,000 old events: more than two batches.
    database.sqlite.run(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000)
       INSERT INTO events (plugin, type, data, created_at) SELECT 'csv', 'old', '{}', ${daysAgo(8)} FROM n`,
    );
    database.sqlite.query("INSERT INTO events (plugin, type, data, created_at) VALUES ('csv', 'new', '{}', ?)").run(daysAgo(6));
    const host = addHost(database, "web01", { changes: 3, changedAt: daysAgo(11) });
    database.sqlite.query("INSERT INTO host_changes (host_id, at, changes) VALUES (?, ?, '{}')").run(host, daysAgo(9));

    const report = await runMaintenance(database, retention({ events_days: 7, host_changes_days: 10 }), NOW);

    expect(report.removed).toMatchObject({ events: 12_000, hostChanges: 3 });
    expect(database.sqlite.query("SELECT type FROM events").all()).toEqual([{ type: "new" }]);
    expect(database.sqlite.query("SELECT at FROM host_changes").all()).toEqual([{ at: daysAgo(9) }]);
    database.close();
  });

  test("0 keeps a kind for ever; deleted hosts are kept unless deleted_hosts_days is set", async () => {
    const database = freshDatabase();
    addRun(database, daysAgo(10_000));
    addJobRun(database, daysAgo(10_000));
    database.sqlite.query("INSERT INTO events (plugin, type, data, created_at) VALUES ('csv', 'old', '{}', ?)").run(daysAgo(10_000));
    addHost(database, "gone", { deletedAt: daysAgo(10_000), changes: 1, changedAt: daysAgo(10_000) });

    const report = await runMaintenance(database, retention({ runs_days: 0, job_runs_days: 0, events_days: 0, host_changes_days: 0 }), NOW);

    expect(report.removed).toEqual({ runs: 0, jobRuns: 0, events: 0, hostChanges: 0, deletedHosts: 0 });
    expect(report.cutoffs).toEqual({ runs: null, jobRuns: null, events: null, hostChanges: null, deletedHosts: null });
    expect([count(database, "runs"), count(database, "job_runs"), count(database, "events"), count(database, "hosts"), count(database, "host_changes")]).toEqual([1, 1, 1, 1, 1]);
    database.close();
  });

  test("with deleted_hosts_days, hosts deleted longer ago are purged; recently deleted and live hosts stay", async () => {
    const database = freshDatabase();
    const old = addHost(database, "old", { deletedAt: daysAgo(31), changes: 2 });
    addHost(database, "recent", { deletedAt: daysAgo(29), changes: 1 });
    addHost(database, "live", { changes: 1 });

    const report = await runMaintenance(database, retention({ deleted_hosts_days: 30 }), NOW);

    expect(report.removed.deletedHosts).toBe(1);
    expect(database.sqlite.query("SELECT hostname FROM hosts ORDER BY hostname").all()).toEqual([{ hostname: "live" }, { hostname: "recent" }]);
    expect(count(database, `host_changes WHERE host_id = ${old}`)).toBe(0);
    database.close();
  });
});

describe("purging deleted hosts", () => {
  test("removes the host with its change log and last-seen time, and its id from every label-index list", () => {
    const database = freshDatabase();
    const gone = addHost(database, "gone", { deletedAt: daysAgo(5), changes: 2, labels: { site: "ber", role: "web" } });
    const kept = addHost(database, "kept", { labels: { site: "ber" } });

    expect(database.hosts.purgeDeleted(daysAgo(4))).toEqual({ hostnames: ["gone"], changes: 2 });

    expect(database.sqlite.query("SELECT hostname FROM hosts").all()).toEqual([{ hostname: "kept" }]);
    expect(count(database, `host_changes WHERE host_id = ${gone}`)).toBe(0);
    expect(count(database, `host_seen WHERE host_id = ${gone}`)).toBe(0);
    // A list left empty goes: no role=web entry stays behind.
    expect(database.sqlite.query("SELECT key, value, host_ids FROM label_index").all()).toEqual([{ key: "site", value: "ber", host_ids: JSON.stringify([kept]) }]);
    database.close();
  });

  test("a dry run counts and removes nothing; a host deleted after the cutoff is not touched", () => {
    const database = freshDatabase();
    addHost(database, "gone", { deletedAt: daysAgo(5), changes: 1 });
    addHost(database, "fresh", { deletedAt: daysAgo(1) });
    expect(database.hosts.purgeDeleted(daysAgo(4), { dryRun: true })).toEqual({ hostnames: ["gone"], changes: 1 });
    expect(count(database, "hosts")).toBe(2);
    expect(database.hosts.purgeDeleted(daysAgo(4))).toEqual({ hostnames: ["gone"], changes: 1 });
    expect(database.sqlite.query("SELECT hostname FROM hosts").all()).toEqual([{ hostname: "fresh" }]);
    database.close();
  });
});
