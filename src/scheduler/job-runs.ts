import type { JobRunOutcome, JobRunReport, JobStepOutcome } from "../db/job-runs.ts";
import { SyncerError } from "../core/errors.ts";
import { closeAbandoned, type RunStores } from "../runs/interrupted.ts";
import { ownerAlive, thisProcess, type RunOwner } from "../runs/owner.ts";

export type { JobRunReport, JobRunStatus, JobStepOutcome } from "../db/job-runs.ts";

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
    private readonly storage: RunStores,
    private readonly owner: RunOwner = thisProcess(),
  ) {}

  /**
   * Starts a job run owned by this process; a conflict when a run of the same job is still running, in
   * this process or another. A running row whose process is gone holds nothing: it is closed as interrupted.
   */
  start(entry: { job: string; trigger: string; startedAt: number }): number {
    // Write-locked before the check, so two processes cannot both see "not running".
    return this.storage.transaction(
      (tx) => {
        const busy = tx.jobRuns.running(entry.job);
        if (busy && ownerAlive(busy.owner)) throw busyError(busy.run);
        if (busy) closeAbandoned(tx, entry.startedAt);
        return tx.jobRuns.start({ ...entry, owner: this.owner });
      },
      { lockWrites: true },
    );
  }

  /** Records the steps done so far, so a running job's progress shows. */
  recordSteps(id: number, steps: JobStepOutcome[]): void {
    this.storage.jobRuns.recordSteps(id, steps);
  }

  /** Records the outcome with its event (job.finished and, for a failed job run, job.failed) in one transaction. */
  finish(id: number, entry: { job: string; trigger: string }, outcome: JobRunOutcome): void {
    const durationMs = Math.round(outcome.durationMs);
    const data = { job_run_id: id, job: entry.job, trigger: entry.trigger, status: outcome.status, duration_ms: durationMs, steps: outcome.steps, error: outcome.error ?? null };
    this.storage.transaction((tx) => {
      tx.jobRuns.finish(id, { ...outcome, durationMs });
      tx.events.emit({ type: "job.finished", data, at: outcome.finishedAt });
      if (outcome.status === "failed") tx.events.emit({ type: "job.failed", data, at: outcome.finishedAt });
    });
  }

  get(id: number): JobRunReport | undefined {
    return this.storage.jobRuns.get(id);
  }

  /** A job's runs, newest first. */
  list(job: string, limit: number): JobRunReport[] {
    return this.storage.jobRuns.list(job, limit);
  }

  /** The job's newest run, finished or not. */
  last(job: string): JobRunReport | undefined {
    return this.list(job, 1)[0];
  }

  /** The job's run with status running, if any (in this process or another). */
  running(job: string): JobRunReport | undefined {
    return this.storage.jobRuns.running(job)?.run;
  }
}

/** The conflict of starting a job that is running; names the run that holds it. */
export function busyError(run: Pick<JobRunReport, "id" | "job" | "trigger" | "startedAt">): SyncerError {
  return new SyncerError("conflict", `job ${run.job} is already running (job run #${run.id}, started ${new Date(run.startedAt).toISOString()} by ${run.trigger})`, { job_run: run.id });
}
