import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { JobConfig } from "../../src/config/schema.ts";
import { openSqliteStorage, type SqliteStorage } from "../../src/db/sqlite/storage.ts";
import { SyncerError } from "../../src/core/errors.ts";
import { createLogger } from "../../src/core/logger.ts";
import { jobRunJson } from "../../src/scheduler/job-runs.ts";
import { jobInfoJson, JobScheduler } from "../../src/scheduler/scheduler.ts";
import { ownerOf } from "../../src/runs/owner.ts";
import { zeroCounts } from "../../src/runs/run-log.ts";
import type { RunReport, RunRequest } from "../../src/runs/scope.ts";
import { tempDir } from "../helpers/binary.ts";

/**
 * The scheduler with a stand-in for the step executor (the Runner): `run` is the one seam the
 * scheduler has to sync runs, so a fake one shows what it asks for and answers what a step did.
 */

type Outcome = "ok" | { fail: string } | { throws: string } | Promise<"ok">;

interface Fixture {
  database: SqliteStorage;
  scheduler: JobScheduler;
  /** Every request the scheduler made, in order. */
  requests: RunRequest[];
  /** What a step answers, by its "<plugin> <command> [account]"; default ok. */
  outcomes: Map<string, Outcome>;
  logs: string[];
  /** Rows of job_runs, oldest first. */
  rows(): Record<string, unknown>[];
}

const dir = tempDir("syncer-scheduler-");
let count = 0;
const open: Fixture[] = [];

afterEach(() => {
  for (const fixture of open.splice(0)) {
    fixture.scheduler.stop();
    fixture.database.close();
  }
});

function fixture(options: { timers?: boolean } = {}): Fixture {
  const database = openSqliteStorage(join(dir, `db-${++count}`, "syncer.db"));
  database.migrations.apply();
  const requests: RunRequest[] = [];
  const outcomes = new Map<string, Outcome>();
  const logs: string[] = [];
  let runId = 100;
  const run = async (request: RunRequest): Promise<RunReport> => {
    requests.push(request);
    const step = [request.plugin, request.command, request.account].filter(Boolean).join(" ");
    let outcome = outcomes.get(step) ?? "ok";
    if (outcome instanceof Promise) outcome = await outcome;
    if (typeof outcome === "object" && "throws" in outcome) throw new SyncerError("not_found", outcome.throws);
    const failure = typeof outcome === "object" ? outcome.fail : undefined;
    return {
      id: ++runId,
      plugin: request.plugin,
      command: request.command,
      kind: "import",
      account: request.account ?? null,
      trigger: request.trigger ?? "cli",
      dryRun: false,
      status: failure === undefined ? "ok" : "failed",
      startedAt: Date.now(),
      durationMs: 1,
      counts: zeroCounts(),
      details: [],
      ...(failure === undefined ? {} : { error: { kind: "connection", message: failure } }),
    };
  };
  const log = createLogger({ level: "debug", format: "text", journald: true, write: (line) => logs.push(line) });
  const scheduler = new JobScheduler({ run, storage: database, log, timers: options.timers ?? false });
  const made: Fixture = {
    database,
    scheduler,
    requests,
    outcomes,
    logs,
    rows: () => database.sqlite.query("SELECT * FROM job_runs ORDER BY id").all() as Record<string, unknown>[],
  };
  open.push(made);
  return made;
}

const job = (steps: string[], extra: Partial<JobConfig> = {}): JobConfig => ({ schedule: "0 3 * * *", steps, continue_on_error: false, enabled: true, ...extra });

/** A promise and its resolve, to hold a step until the test lets it go. */
function gate(): { promise: Promise<"ok">; open(): void } {
  let open!: () => void;
  const promise = new Promise<"ok">((resolve) => (open = () => resolve("ok")));
  return { promise, open };
}

describe("running a job's steps", () => {
  test("steps run in order as runs triggered by job:<name>; the job run records each step's run id and status", async () => {
    const f = fixture();
    f.scheduler.apply({ nightly: job(["csv import_hosts demo", "syncfix export_hosts a", "syncfix ping"]) });
    const report = await f.scheduler.trigger("nightly", "cli");
    expect(f.requests).toEqual([
      { plugin: "csv", command: "import_hosts", account: "demo", trigger: "job:nightly" },
      { plugin: "syncfix", command: "export_hosts", account: "a", trigger: "job:nightly" },
      { plugin: "syncfix", command: "ping", trigger: "job:nightly" },
    ]);
    expect(report).toMatchObject({ job: "nightly", trigger: "cli", status: "ok" });
    expect(report.error).toBeUndefined();
    expect(report.steps).toEqual([
      { step: "csv import_hosts demo", run_id: 101, status: "ok" },
      { step: "syncfix export_hosts a", run_id: 102, status: "ok" },
      { step: "syncfix ping", run_id: 103, status: "ok" },
    ]);
    const [row] = f.rows();
    expect(row).toMatchObject({ id: report.id, job: "nightly", trigger: "cli", status: "ok", error_kind: null });
    expect(JSON.parse(row!.steps as string)).toEqual(report.steps);
    expect(row!.finished_at).toBeGreaterThanOrEqual(row!.started_at as number);
    expect(f.scheduler.jobRun(report.id)).toEqual({ ...report, durationMs: Math.round(report.durationMs!) });
  });

  test("a failed step stops the job: later steps are skipped, and the job's error is the step's, prefixed with the step", async () => {
    const f = fixture();
    f.outcomes.set("b import_hosts x", { fail: "refused" });
    f.scheduler.apply({ nightly: job(["a import_hosts x", "b import_hosts x", "c import_hosts x"]) });
    const report = await f.scheduler.trigger("nightly", "api");
    expect(f.requests.map((request) => request.plugin)).toEqual(["a", "b"]);
    expect(report.status).toBe("failed");
    expect(report.steps).toEqual([
      { step: "a import_hosts x", run_id: 101, status: "ok" },
      { step: "b import_hosts x", run_id: 102, status: "failed", error: { kind: "connection", message: "refused" } },
      { step: "c import_hosts x", run_id: null, status: "skipped" },
    ]);
    expect(report.error).toEqual({ kind: "connection", message: "step 2 (b import_hosts x): refused" });
    expect(f.rows()[0]).toMatchObject({ status: "failed", error_kind: "connection", error_message: "step 2 (b import_hosts x): refused" });
  });

  test("continue_on_error runs every step; the job still fails, with the first failed step's error", async () => {
    const f = fixture();
    f.outcomes.set("a import_hosts x", { fail: "first" });
    f.outcomes.set("c import_hosts x", { fail: "second" });
    f.scheduler.apply({ nightly: job(["a import_hosts x", "b import_hosts x", "c import_hosts x"], { continue_on_error: true }) });
    const report = await f.scheduler.trigger("nightly", "cli");
    expect(f.requests.map((request) => request.plugin)).toEqual(["a", "b", "c"]);
    expect(report.steps.map((step) => step.status)).toEqual(["failed", "ok", "failed"]);
    expect(report).toMatchObject({ status: "failed", error: { kind: "connection", message: "step 1 (a import_hosts x): first" } });
  });

  test("a step naming nothing runnable fails without a run id", async () => {
    const f = fixture();
    f.outcomes.set("gone import_hosts", { throws: "no plugin 'gone'" });
    f.scheduler.apply({ nightly: job(["gone import_hosts"]) });
    const report = await f.scheduler.trigger("nightly", "cli");
    expect(report.steps).toEqual([{ step: "gone import_hosts", run_id: null, status: "failed", error: { kind: "not_found", message: "no plugin 'gone'" } }]);
    expect(report.error).toEqual({ kind: "not_found", message: "step 1 (gone import_hosts): no plugin 'gone'" });
  });

  test("a running job shows the steps done so far", async () => {
    const f = fixture();
    const hold = gate();
    f.outcomes.set("b import_hosts", hold.promise);
    f.scheduler.apply({ nightly: job(["a import_hosts", "b import_hosts"]) });
    const started = f.scheduler.start("nightly", "api");
    await Bun.sleep(20);
    expect(f.scheduler.jobRun(started.id)).toMatchObject({ status: "running", steps: [{ step: "a import_hosts", run_id: 101, status: "ok" }] });
    hold.open();
    expect((await started.done).steps).toHaveLength(2);
  });

  test("start() returns the job run's id at once; done resolves with its report", async () => {
    const f = fixture();
    const hold = gate();
    f.outcomes.set("a import_hosts", hold.promise);
    f.scheduler.apply({ nightly: job(["a import_hosts"]) });
    const started = f.scheduler.start("nightly", "webhook");
    expect(f.rows()).toEqual([expect.objectContaining({ id: started.id, status: "running", trigger: "webhook" })]);
    hold.open();
    expect(await started.done).toMatchObject({ id: started.id, status: "ok", trigger: "webhook" });
  });
});

describe("refusals", () => {
  test("an unknown job is not_found with a did-you-mean; a disabled job is refused", () => {
    const f = fixture();
    f.scheduler.apply({ nightly: job(["a b"]), weekly: job(["a b"], { enabled: false }) });
    expect(() => f.scheduler.start("nighlty", "cli")).toThrow(new SyncerError("not_found", "no job 'nighlty'; did you mean 'nightly'? (jobs: nightly, weekly)"));
    expect(() => f.scheduler.start("weekly", "cli")).toThrow(new SyncerError("disabled", "job weekly is disabled (enabled = false)"));
    expect(f.rows()).toEqual([]);
  });

  test("a job never overlaps itself: a trigger while it runs is a conflict naming the running job run", async () => {
    const f = fixture();
    const hold = gate();
    f.outcomes.set("a import_hosts", hold.promise);
    f.scheduler.apply({ nightly: job(["a import_hosts"]) });
    const first = f.scheduler.start("nightly", "cli");
    let refusal: unknown;
    try {
      f.scheduler.start("nightly", "api");
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(SyncerError);
    expect((refusal as SyncerError).kind).toBe("conflict");
    expect((refusal as SyncerError).message).toStartWith(`job nightly is already running (job run #${first.id}, started `);
    hold.open();
    await first.done;
    // Once it is done, it runs again.
    expect((await f.scheduler.trigger("nightly", "api")).status).toBe("ok");
    expect(f.rows().map((row) => row.trigger)).toEqual(["cli", "api"]);
  });

  test("a running job-run row of another process that still runs blocks the job too", async () => {
    const f = fixture();
    const other = ownerOf(process.ppid)!;
    f.database.sqlite.run("INSERT INTO job_runs (job, trigger, status, started_at, owner_pid, owner_started) VALUES ('nightly', 'cli', 'running', ?, ?, ?)", [Date.now(), other.pid, other.started]);
    f.scheduler.apply({ nightly: job(["a import_hosts"]) });
    expect(() => f.scheduler.start("nightly", "api")).toThrow(/^job nightly is already running \(job run #1, started .* by cli\)$/);
    expect(f.scheduler.list()[0]!.running).toBe(true);
    expect(f.requests).toEqual([]);
  });

  test("stop() stops the timers and refuses new runs", async () => {
    const f = fixture({ timers: true });
    f.scheduler.apply({ ticking: job(["a import_hosts"], { schedule: "* * * * * *" }) });
    f.scheduler.stop();
    expect(() => f.scheduler.start("ticking", "api")).toThrow(new SyncerError("conflict", "job ticking not started: syncer is shutting down"));
    await Bun.sleep(1200);
    expect(f.rows()).toEqual([]);
  });
});

describe("the schedule", () => {
  test("a job scheduled every second fires on its own, with the trigger schedule", async () => {
    const f = fixture({ timers: true });
    f.scheduler.apply({ ticking: job(["a import_hosts"], { schedule: "* * * * * *" }) });
    await Bun.sleep(1500);
    f.scheduler.stop();
    await f.scheduler.drain(1000);
    const runs = f.scheduler.history("ticking", 10);
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.every((run) => run.trigger === "schedule" && run.status === "ok")).toBe(true);
    expect(f.requests[0]).toEqual({ plugin: "a", command: "import_hosts", trigger: "job:ticking" });
  });

  test("a scheduled time that finds the job still running is skipped and logged", async () => {
    const f = fixture({ timers: true });
    const hold = gate();
    f.outcomes.set("a import_hosts", hold.promise);
    f.scheduler.apply({ ticking: job(["a import_hosts"], { schedule: "* * * * * *" }) });
    await Bun.sleep(2300);
    f.scheduler.stop();
    hold.open();
    await f.scheduler.drain(1000);
    expect(f.rows()).toHaveLength(1);
    const skipped = f.logs.filter((line) => line.includes("scheduled run of job ticking skipped: job ticking is already running"));
    expect(skipped.length).toBeGreaterThanOrEqual(1);
    expect(skipped[0]).toStartWith("<4>WARN");
  });

  test("a disabled job is listed but not scheduled", async () => {
    const f = fixture({ timers: true });
    f.scheduler.apply({ off: job(["a import_hosts"], { schedule: "* * * * * *", enabled: false }) });
    await Bun.sleep(1200);
    expect(f.rows()).toEqual([]);
    expect(f.scheduler.list()).toEqual([expect.objectContaining({ name: "off", enabled: false, nextRun: null })]);
  });

  test("apply() reschedules changed jobs, keeps unchanged ones, drops removed ones", async () => {
    const f = fixture({ timers: true });
    const first = f.scheduler.apply({
      kept: job(["a import_hosts"], { schedule: "0 3 * * *" }),
      moved: job(["a import_hosts"], { schedule: "0 4 * * *" }),
      gone: job(["a import_hosts"], { schedule: "* * * * * *" }),
    });
    expect(first).toEqual({ added: ["kept", "moved", "gone"], rescheduled: [], kept: [], removed: [] });
    const second = f.scheduler.apply({
      kept: job(["a import_hosts", "b import_hosts"], { schedule: "0 3 * * *" }),
      moved: job(["a import_hosts"], { schedule: "0 5 * * *", timezone: "UTC" }),
      fresh: job(["a import_hosts"], { schedule: "0 6 * * *", enabled: false }),
    });
    expect(second).toEqual({ added: ["fresh"], rescheduled: ["moved"], kept: ["kept"], removed: ["gone"] });
    const infos = Object.fromEntries(f.scheduler.list().map((info) => [info.name, info]));
    expect(Object.keys(infos)).toEqual(["kept", "moved", "fresh"]);
    expect(infos.moved!.nextRun!.toISOString()).toEndWith("T05:00:00.000Z");
    // A kept timer runs the new steps.
    expect(infos.kept!.steps).toEqual(["a import_hosts", "b import_hosts"]);
    await f.scheduler.trigger("kept", "cli");
    expect(f.requests.map((request) => request.plugin)).toEqual(["a", "b"]);
    // The removed every-second job no longer fires.
    await Bun.sleep(1200);
    expect(f.rows().filter((row) => row.job === "gone")).toEqual([]);
  });

  test("apply() with an expression croner refuses changes nothing", () => {
    const f = fixture({ timers: true });
    f.scheduler.apply({ nightly: job(["a import_hosts"]) });
    expect(() => f.scheduler.apply({ nightly: job(["a import_hosts"], { schedule: "0 4 * * *" }), broken: job(["a import_hosts"], { schedule: "61 * * * *" }) })).toThrow();
    expect(f.scheduler.list().map((info) => [info.name, info.schedule])).toEqual([["nightly", "0 3 * * *"]]);
    expect(f.scheduler.list()[0]!.nextRun!.toISOString()).toMatch(/T\d\d:00:00\.000Z$/);
  });

  test("next_run is computed in the job's time zone", () => {
    const f = fixture();
    f.scheduler.apply({ kolkata: job(["a b"], { schedule: "0 3 * * *", timezone: "Asia/Kolkata" }), utc: job(["a b"], { schedule: "30 12 * * 1", timezone: "UTC" }) });
    const [kolkata, utc] = f.scheduler.list();
    // 03:00 in Kolkata (UTC+05:30, no summer time) is 21:30 UTC, within the next day.
    expect(kolkata!.nextRun!.toISOString()).toEndWith("T21:30:00.000Z");
    expect(kolkata!.nextRun!.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600 * 1000);
    expect(kolkata!.nextRun!.getTime()).toBeGreaterThan(Date.now());
    expect(utc!.nextRun!.getUTCDay()).toBe(1);
    expect(utc!.nextRun!.toISOString()).toEndWith("T12:30:00.000Z");
  });
});

describe("listing, history, draining, webhooks", () => {
  test("list() shows each job with its next run, whether it runs, and its last run; as snake_case JSON", async () => {
    const f = fixture();
    f.scheduler.apply({ nightly: job(["a import_hosts x"], { timezone: "UTC", webhook_secret: "s3cr3t" }) });
    expect(jobInfoJson(f.scheduler.list()[0]!)).toMatchObject({ name: "nightly", running: false, last_run: null, webhook: true });
    const report = await f.scheduler.trigger("nightly", "cli");
    const json = jobInfoJson(f.scheduler.list()[0]!);
    expect(json).toEqual({
      name: "nightly",
      schedule: "0 3 * * *",
      timezone: "UTC",
      enabled: true,
      steps: ["a import_hosts x"],
      continue_on_error: false,
      webhook: true,
      next_run: expect.stringMatching(/T03:00:00\.000Z$/),
      running: false,
      last_run: {
        id: report.id,
        job: "nightly",
        trigger: "cli",
        status: "ok",
        started_at: new Date(report.startedAt).toISOString(),
        finished_at: new Date(report.finishedAt!).toISOString(),
        duration_ms: Math.round(report.durationMs!),
        steps: [{ step: "a import_hosts x", run_id: 101, status: "ok", error: null }],
        error: null,
      },
    });
    expect(JSON.stringify(json)).not.toContain("s3cr3t");
  });

  test("history() is newest first and limited; a job never seen is not_found, a removed job keeps its history", async () => {
    const f = fixture();
    f.scheduler.apply({ nightly: job(["a import_hosts"]) });
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await f.scheduler.trigger("nightly", "cli")).id);
    expect(f.scheduler.history("nightly", 2).map((run) => run.id)).toEqual(ids.slice(1).reverse());
    expect(jobRunJson(f.scheduler.history("nightly", 1)[0]!)).toMatchObject({ id: ids[2], status: "ok", error: null });
    expect(() => f.scheduler.history("nightlyy", 5)).toThrow(new SyncerError("not_found", "no job 'nightlyy'; did you mean 'nightly'?"));
    f.scheduler.apply({});
    expect(f.scheduler.history("nightly", 5)).toHaveLength(3);
  });

  test("drain() waits for running jobs up to its limit and names those still running", async () => {
    const f = fixture();
    const slow = gate();
    f.outcomes.set("slow import_hosts", slow.promise);
    f.outcomes.set("quick import_hosts", Bun.sleep(100).then(() => "ok" as const));
    f.scheduler.apply({ slow: job(["slow import_hosts"]), quick: job(["quick import_hosts"]) });
    f.scheduler.start("slow", "cli");
    const quick = f.scheduler.start("quick", "cli");
    f.scheduler.stop();
    const began = performance.now();
    expect(await f.scheduler.drain(400)).toEqual({ finished: ["quick"], stillRunning: ["slow"] });
    expect(performance.now() - began).toBeGreaterThanOrEqual(350);
    expect((await quick.done).status).toBe("ok");
    slow.open();
    expect(await f.scheduler.drain(1000)).toEqual({ finished: ["slow"], stillRunning: [] });
    expect(await f.scheduler.drain(1000)).toEqual({ finished: [], stillRunning: [] });
  });

  test("webhookAccepts() takes only the job's webhook_secret; a job without one, or an unknown job, accepts nothing", () => {
    const f = fixture();
    f.scheduler.apply({ hooked: job(["a b"], { webhook_secret: "correct horse battery" }), plain: job(["a b"]) });
    expect(f.scheduler.webhookAccepts("hooked", "correct horse battery")).toBe(true);
    expect(f.scheduler.webhookAccepts("hooked", "correct horse batterY")).toBe(false);
    expect(f.scheduler.webhookAccepts("hooked", "")).toBe(false);
    expect(f.scheduler.webhookAccepts("hooked", "correct horse battery and more")).toBe(false);
    expect(f.scheduler.webhookAccepts("plain", "")).toBe(false);
    expect(f.scheduler.webhookAccepts("nope", "correct horse battery")).toBe(false);
  });
});
