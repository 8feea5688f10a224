import { and, desc, eq } from "drizzle-orm";
import type { Db } from "../db/open.ts";
import { jobRuns, type JOB_RUN_STATUSES } from "../db/schema.ts";
import { SyncerError } from "../core/errors.ts";
import { closeAbandoned } from "../runs/interrupted.ts";
import { ownerAlive, thisProcess, type RunOwner } from "../runs/owner.ts";

export type JobRunStatus = (typeof JOB_RUN_STATUSES)[number];

/** What became of one step of a job run; stored in job_runs.steps in this (snake_case) shape. */
export interface JobStepOutcome {
  step: string;
  /** The step's row in the run log; null when the step never became a run (skipped, or naming nothing runnable). */
  run_id: number | null;
  /** skipped: an earlier step failed and the job does not continue_on_error. */
  status: "ok" | "failed" | "skipped";
  error?: { kind: string; message: string };
}

/** One run of a job, as the job_runs table holds it. */
export interface JobRunReport {
  id: number;
  job: string;
  /** schedule, cli, api or webhook. */
  trigger: string;
  status: JobRunStatus;
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  steps: JobStepOutcome[];
  /** The first failed step's error, its message prefixed with the step. */
  error?: { kind: string; message: string };
}

type JobRunRow = typeof jobRuns.$inferSelect;

function reportOf(row: JobRunRow): JobRunReport {
  return {
    id: row.id,
    job: row.job,
    trigger: row.trigger,
    status: row.status,
    startedAt: row.startedAt.getTime(),
    finishedAt: row.finishedAt?.getTime() ?? null,
    durationMs: row.durationMs,
    steps: row.steps as JobStepOutcome[],
    ...(row.errorKind ? { error: { kind: row.errorKind, message: row.errorMessage ?? "" } } : {}),
  };
}

/** A job run as JSON: what the CLI prints and the API answers. */
export function jobRunJson(run: JobRunReport) {
  return {
    id: run.id,
    job: run.job,
    trigger: run.trigger,
    status: run.status,
    started_at: new Date(run.startedAt).toISOString(),
    finished_at: run.finishedAt === null ? null : new Date(run.finishedAt).toISOString(),
    duration_ms: run.durationMs === null ? null : Math.round(run.durationMs),
    steps: run.steps.map((step) => ({ step: step.step, run_id: step.run_id, status: step.status, error: step.error ?? null })),
    error: run.error ?? null,
  };
}

/**
 * The job-run log: one row per job run, written when it starts (status running), its steps recorded as
 * they finish, finished once. A running row is also the lock that keeps a job from overlapping itself
 * across processes (the daemon and `syncer jobs run` share the database).
 */
export class JobRunLog {
  constructor(
    private readonly db: Db,
    private readonly owner: RunOwner = thisProcess(),
  ) {}

  /**
   * Starts a job run owned by this process; a conflict when a run of the same job is still running, in
   * this process or another. A running row whose process is gone holds nothing: it is closed as interrupted.
   */
  start(entry: { job: string; trigger: string; startedAt: number }): number {
    // IMMEDIATE takes the write lock before the check, so two processes cannot both see "not running".
    return this.db.transaction(
      (tx) => {
        const busy = tx.select().from(jobRuns).where(and(eq(jobRuns.job, entry.job), eq(jobRuns.status, "running"))).orderBy(desc(jobRuns.id)).get();
        if (busy && ownerAlive({ pid: busy.ownerPid, started: busy.ownerStarted })) throw busyError(reportOf(busy));
        if (busy) closeAbandoned(tx, entry.startedAt);
        return tx
          .insert(jobRuns)
          .values({ job: entry.job, trigger: entry.trigger, startedAt: new Date(entry.startedAt), ownerPid: this.owner.pid, ownerStarted: this.owner.started })
          .returning({ id: jobRuns.id })
          .get().id;
      },
      { behavior: "immediate" },
    );
  }

  /** Records the steps done so far, so a running job's progress shows. */
  recordSteps(id: number, steps: JobStepOutcome[]): void {
    this.db.update(jobRuns).set({ steps }).where(eq(jobRuns.id, id)).run();
  }

  finish(id: number, outcome: { status: "ok" | "failed"; finishedAt: number; durationMs: number; steps: JobStepOutcome[]; error?: { kind: string; message: string } }): void {
    this.db
      .update(jobRuns)
      .set({
        status: outcome.status,
        finishedAt: new Date(outcome.finishedAt),
        durationMs: Math.round(outcome.durationMs),
        steps: outcome.steps,
        errorKind: outcome.error?.kind ?? null,
        errorMessage: outcome.error?.message ?? null,
      })
      .where(eq(jobRuns.id, id))
      .run();
  }

  get(id: number): JobRunReport | undefined {
    const row = this.db.select().from(jobRuns).where(eq(jobRuns.id, id)).get();
    return row && reportOf(row);
  }

  /** A job's runs, newest first. */
  list(job: string, limit: number): JobRunReport[] {
    return this.db.select().from(jobRuns).where(eq(jobRuns.job, job)).orderBy(desc(jobRuns.id)).limit(limit).all().map(reportOf);
  }

  /** The job's newest run, finished or not. */
  last(job: string): JobRunReport | undefined {
    return this.list(job, 1)[0];
  }

  /** The job's run with status running, if any (in this process or another). */
  running(job: string): JobRunReport | undefined {
    const row = this.db.select().from(jobRuns).where(and(eq(jobRuns.job, job), eq(jobRuns.status, "running"))).orderBy(desc(jobRuns.id)).get();
    return row && reportOf(row);
  }
}

/** The conflict of starting a job that is running; names the run that holds it. */
export function busyError(run: Pick<JobRunReport, "id" | "job" | "trigger" | "startedAt">): SyncerError {
  return new SyncerError("conflict", `job ${run.job} is already running (job run #${run.id}, started ${new Date(run.startedAt).toISOString()} by ${run.trigger})`, { job_run: run.id });
}
