import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { applyMigrations } from "../../src/db/migrate.ts";
import { openDatabase, type OpenDatabase } from "../../src/db/open.ts";
import { INTERRUPTED_MESSAGE, markInterruptedRuns } from "../../src/runs/interrupted.ts";
import { RunLog, zeroCounts } from "../../src/runs/run-log.ts";
import { tempDir } from "../helpers/binary.ts";

const dir = tempDir("syncer-interrupted-");
let counter = 0;

function freshDatabase(): OpenDatabase {
  const database = openDatabase(join(dir, `db-${++counter}`, "syncer.db"));
  applyMigrations(database.sqlite);
  return database;
}

type Row = { id: number; status: string; finished_at: number | null; duration_ms: number | null; error_kind: string | null; error_message: string | null };

const rowsOf = (database: OpenDatabase, table: "runs" | "job_runs") =>
  database.sqlite.query<Row, []>(`SELECT id, status, finished_at, duration_ms, error_kind, error_message FROM ${table} ORDER BY id`).all();

function addJobRun(database: OpenDatabase, status: string, startedAt: number): void {
  database.sqlite.query("INSERT INTO job_runs (job, trigger, status, started_at) VALUES ('nightly', 'schedule', ?, ?)").run(status, startedAt);
}

describe("runs left running by a stopped daemon", () => {
  test("running runs and job runs become interrupted, with finish time, duration, error kind and message", () => {
    const database = freshDatabase();
    const log = new RunLog(database.db);
    const started = 1_700_000_000_000;
    log.start({ plugin: "csv", command: "import_hosts", account: "demo", trigger: "cli", startedAt: started });
    addJobRun(database, "running", started + 500);

    expect(markInterruptedRuns(database.db, started + 2_000)).toEqual({ runs: 1, jobRuns: 1 });

    const expected = { status: "interrupted", finished_at: started + 2_000, error_kind: "interrupted", error_message: INTERRUPTED_MESSAGE };
    expect(rowsOf(database, "runs")).toEqual([{ id: 1, duration_ms: 2_000, ...expected }]);
    expect(rowsOf(database, "job_runs")).toEqual([{ id: 1, duration_ms: 1_500, ...expected }]);
    database.close();
  });

  test("finished runs and job runs are left as they were", () => {
    const database = freshDatabase();
    const log = new RunLog(database.db);
    const ok = log.start({ plugin: "csv", command: "import_hosts", account: "demo", trigger: "cli", startedAt: 1_000 });
    log.finish(ok, { status: "ok", finishedAt: 1_200, durationMs: 200, counts: zeroCounts(), details: [] });
    const failed = log.start({ plugin: "csv", command: "import_hosts", account: "demo", trigger: "cli", startedAt: 2_000 });
    log.finish(failed, { status: "failed", finishedAt: 2_100, durationMs: 100, counts: zeroCounts(), details: [], error: { kind: "connection", message: "refused" } });
    addJobRun(database, "ok", 3_000);
    const runsBefore = rowsOf(database, "runs");
    const jobRunsBefore = rowsOf(database, "job_runs");

    expect(markInterruptedRuns(database.db, 10_000)).toEqual({ runs: 0, jobRuns: 0 });
    expect(rowsOf(database, "runs")).toEqual(runsBefore);
    expect(rowsOf(database, "job_runs")).toEqual(jobRunsBefore);
    database.close();
  });

  test("a run that started after `now` (the clock moved back) gets duration 0, not a negative one", () => {
    const database = freshDatabase();
    new RunLog(database.db).start({ plugin: "csv", command: "import_hosts", account: null, trigger: "api", startedAt: 50_000 });
    expect(markInterruptedRuns(database.db, 40_000)).toEqual({ runs: 1, jobRuns: 0 });
    expect(rowsOf(database, "runs")[0]).toMatchObject({ status: "interrupted", duration_ms: 0, finished_at: 40_000 });
    database.close();
  });

  test("a second call finds nothing left to mark", () => {
    const database = freshDatabase();
    new RunLog(database.db).start({ plugin: "csv", command: "import_hosts", account: "demo", trigger: "cli", startedAt: 1_000 });
    expect(markInterruptedRuns(database.db, 2_000)).toEqual({ runs: 1, jobRuns: 0 });
    expect(markInterruptedRuns(database.db, 3_000)).toEqual({ runs: 0, jobRuns: 0 });
    expect(rowsOf(database, "runs")[0]).toMatchObject({ finished_at: 2_000 });
    database.close();
  });
});
