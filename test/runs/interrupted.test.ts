import { describe, expect, test } from "bun:test";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { openSqliteStorage, type SqliteStorage } from "../../src/db/sqlite/storage.ts";
import { ABANDONED_MESSAGE, closeAbandonedRuns, closeOwnRuns, INTERRUPTED_MESSAGE } from "../../src/runs/interrupted.ts";
import { ownerAlive, ownerOf, thisProcess, type RunOwner } from "../../src/runs/owner.ts";
import { RunLog, zeroCounts } from "../../src/runs/run-log.ts";
import { JobRunLog } from "../../src/scheduler/job-runs.ts";
import { tempDir } from "../helpers/binary.ts";

const dir = tempDir("syncer-interrupted-");
let counter = 0;

function freshDatabase(): SqliteStorage {
  const database = openSqliteStorage(join(dir, `db-${++counter}`, "syncer.db"));
  database.migrations.apply();
  return database;
}

type Row = { id: number; status: string; finished_at: number | null; duration_ms: number | null; error_kind: string | null; error_message: string | null };

const rowsOf = (database: SqliteStorage, table: "runs" | "job_runs") =>
  database.sqlite.query<Row, []>(`SELECT id, status, finished_at, duration_ms, error_kind, error_message FROM ${table} ORDER BY id`).all();

const statusesOf = (database: SqliteStorage, table: "runs" | "job_runs") => rowsOf(database, table).map((row) => row.status);

/** A pid no process can have: one above the kernel's limit. */
const NO_SUCH_PID = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8")) + 1;
/** A process that is gone. */
const GONE: RunOwner = { pid: NO_SUCH_PID, started: thisProcess().started };
/** This process's pid as a process that started at another time had it: a pid reused since. */
const REUSED_PID: RunOwner = { pid: process.pid, started: `${thisProcess().started}0` };

const startRun = (database: SqliteStorage, owner: RunOwner, startedAt = 1_000) =>
  new RunLog(database, owner).start({ plugin: "csv", command: "import_hosts", account: "demo", trigger: "cli", startedAt });

function addUnownedRun(database: SqliteStorage, table: "runs" | "job_runs", startedAt: number): void {
  if (table === "runs") database.sqlite.query("INSERT INTO runs (plugin, command, trigger, status, started_at) VALUES ('csv', 'import_hosts', 'cli', 'running', ?)").run(startedAt);
  else database.sqlite.query("INSERT INTO job_runs (job, trigger, status, started_at) VALUES ('nightly', 'schedule', 'running', ?)").run(startedAt);
}

describe("run owners", () => {
  test("this process is alive; a pid beyond pid_max, a reused pid and an unknown owner are not", () => {
    expect(ownerAlive(thisProcess())).toBe(true);
    expect(ownerAlive(GONE)).toBe(false);
    expect(ownerAlive(REUSED_PID)).toBe(false);
    expect(ownerAlive({ pid: null, started: null })).toBe(false);
  });

  test("another process is alive while it runs and gone once it ended, whatever its name (the stat line's name may hold ') ')", async () => {
    // A command name with parentheses and spaces, as field 2 of /proc/<pid>/stat shows it.
    const odd = join(dir, "a) b (c");
    copyFileSync(Bun.which("sleep")!, odd);
    Bun.spawnSync(["chmod", "+x", odd]);
    const child = Bun.spawn([odd, "600"]);
    try {
      const owner = ownerOf(child.pid)!;
      expect(owner.started).toMatch(/^[0-9a-f-]{36}\/\d+$/);
      expect(ownerAlive(owner)).toBe(true);
      child.kill("SIGKILL");
      await child.exited;
      expect(ownerAlive(owner)).toBe(false);
    } finally {
      child.kill("SIGKILL");
    }
  });
});

describe("runs left running by processes that are gone (daemon start)", () => {
  test("a gone owner's runs and job runs become interrupted, with finish time, duration, error kind and message", () => {
    const database = freshDatabase();
    const started = 1_700_000_000_000;
    startRun(database, GONE, started);
    new JobRunLog(database, GONE).start({ job: "nightly", trigger: "schedule", startedAt: started + 500 });

    expect(closeAbandonedRuns(database, started + 2_000)).toEqual({ runs: 1, jobRuns: 1 });

    const expected = { status: "interrupted", finished_at: started + 2_000, error_kind: "interrupted", error_message: ABANDONED_MESSAGE };
    expect(rowsOf(database, "runs")).toEqual([{ id: 1, duration_ms: 2_000, ...expected }]);
    expect(rowsOf(database, "job_runs")).toEqual([{ id: 1, duration_ms: 1_500, ...expected }]);
    // Their ends are events too, written with them.
    const ended = database.events.list({ types: ["run.finished", "job.finished"], limit: 10 });
    expect(ended.map((event) => [event.type, event.at, (event.data as { status: string }).status])).toEqual([
      ["run.finished", started + 2_000, "interrupted"],
      ["job.finished", started + 2_000, "interrupted"],
    ]);
    expect(ended[0]!.data).toMatchObject({ run_id: 1, plugin: "csv", command: "import_hosts", duration_ms: 2_000, error: { kind: "interrupted", message: ABANDONED_MESSAGE } });
    expect(ended[1]!.data).toMatchObject({ job_run_id: 1, job: "nightly", duration_ms: 1_500 });
    database.close();
  });

  test("runs of a process that still runs stay running; a reused pid's and unknown owners' (rows from before owners) are closed", () => {
    const database = freshDatabase();
    startRun(database, thisProcess());
    startRun(database, REUSED_PID);
    addUnownedRun(database, "runs", 1_000);
    addUnownedRun(database, "job_runs", 1_000);
    new JobRunLog(database, thisProcess()).start({ job: "hourly", trigger: "cli", startedAt: 1_000 });

    expect(closeAbandonedRuns(database, 5_000)).toEqual({ runs: 2, jobRuns: 1 });
    expect(statusesOf(database, "runs")).toEqual(["running", "interrupted", "interrupted"]);
    expect(statusesOf(database, "job_runs")).toEqual(["interrupted", "running"]);
    database.close();
  });

  test("finished runs and job runs are left as they were", () => {
    const database = freshDatabase();
    const log = new RunLog(database, GONE);
    const ok = log.start({ plugin: "csv", command: "import_hosts", account: "demo", trigger: "cli", startedAt: 1_000 });
    log.finish(ok, { plugin: "csv", command: "import_hosts", account: "demo", trigger: "cli" }, { status: "ok", finishedAt: 1_200, durationMs: 200, counts: zeroCounts(), details: [] });
    const failed = log.start({ plugin: "csv", command: "import_hosts", account: "demo", trigger: "cli", startedAt: 2_000 });
    log.finish(failed, { plugin: "csv", command: "import_hosts", account: "demo", trigger: "cli" }, { status: "failed", finishedAt: 2_100, durationMs: 100, counts: zeroCounts(), details: [], error: { kind: "connection", message: "refused" } });
    const jobs = new JobRunLog(database, GONE);
    const job = jobs.start({ job: "nightly", trigger: "schedule", startedAt: 3_000 });
    jobs.finish(job, { job: "nightly", trigger: "schedule" }, { status: "ok", finishedAt: 3_500, durationMs: 500, steps: [] });
    const runsBefore = rowsOf(database, "runs");
    const jobRunsBefore = rowsOf(database, "job_runs");

    expect(closeAbandonedRuns(database, 10_000)).toEqual({ runs: 0, jobRuns: 0 });
    expect(rowsOf(database, "runs")).toEqual(runsBefore);
    expect(rowsOf(database, "job_runs")).toEqual(jobRunsBefore);
    database.close();
  });

  test("a run that started after `now` (the clock moved back) gets duration 0, not a negative one", () => {
    const database = freshDatabase();
    startRun(database, GONE, 50_000);
    expect(closeAbandonedRuns(database, 40_000)).toEqual({ runs: 1, jobRuns: 0 });
    expect(rowsOf(database, "runs")[0]).toMatchObject({ status: "interrupted", duration_ms: 0, finished_at: 40_000 });
    database.close();
  });

  test("a second call finds nothing left to mark", () => {
    const database = freshDatabase();
    startRun(database, GONE);
    expect(closeAbandonedRuns(database, 2_000)).toEqual({ runs: 1, jobRuns: 0 });
    expect(closeAbandonedRuns(database, 3_000)).toEqual({ runs: 0, jobRuns: 0 });
    expect(rowsOf(database, "runs")[0]).toMatchObject({ finished_at: 2_000 });
    database.close();
  });
});

describe("the daemon's own runs (shutdown after the grace time)", () => {
  test("only this process's runs and job runs are closed, with the shutdown message; other processes' stay running", () => {
    const database = freshDatabase();
    const other = ownerOf(process.ppid)!;
    startRun(database, other);
    startRun(database, thisProcess(), 1_000);
    new JobRunLog(database, thisProcess()).start({ job: "nightly", trigger: "schedule", startedAt: 1_000 });
    new JobRunLog(database, other).start({ job: "hourly", trigger: "cli", startedAt: 1_000 });

    expect(closeOwnRuns(database, 4_000)).toEqual({ runs: 1, jobRuns: 1 });
    expect(statusesOf(database, "runs")).toEqual(["running", "interrupted"]);
    expect(rowsOf(database, "runs")[1]).toMatchObject({ error_kind: "interrupted", error_message: INTERRUPTED_MESSAGE, duration_ms: 3_000 });
    expect(statusesOf(database, "job_runs")).toEqual(["interrupted", "running"]);
    expect(database.events.list({ types: ["run.finished", "job.finished"], limit: 10 }).map((event) => [event.type, event.runId])).toEqual([
      ["run.finished", 2],
      ["job.finished", null],
    ]);
    database.close();
  });
});

describe("a job's running row as its lock", () => {
  test("held by a live process: starting the job again is a conflict", () => {
    const database = freshDatabase();
    new JobRunLog(database, ownerOf(process.ppid)!).start({ job: "nightly", trigger: "cli", startedAt: 1_000 });
    expect(() => new JobRunLog(database).start({ job: "nightly", trigger: "schedule", startedAt: 2_000 })).toThrow(/job nightly is already running \(job run #1/);
    database.close();
  });

  test("held by a process that is gone: it is closed as interrupted, with that process's runs, and the job starts", () => {
    const database = freshDatabase();
    new JobRunLog(database, GONE).start({ job: "nightly", trigger: "cli", startedAt: 1_000 });
    startRun(database, GONE);
    const id = new JobRunLog(database).start({ job: "nightly", trigger: "schedule", startedAt: 2_000 });
    expect(id).toBe(2);
    expect(rowsOf(database, "job_runs")).toEqual([
      { id: 1, status: "interrupted", finished_at: 2_000, duration_ms: 1_000, error_kind: "interrupted", error_message: ABANDONED_MESSAGE },
      { id: 2, status: "running", finished_at: null, duration_ms: null, error_kind: null, error_message: null },
    ]);
    expect(statusesOf(database, "runs")).toEqual(["interrupted"]);
    database.close();
  });
});
