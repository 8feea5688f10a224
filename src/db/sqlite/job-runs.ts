import { and, desc, eq } from "drizzle-orm";
import type { JobRunOutcome, JobRunReport, JobRunRepository, JobStepOutcome, NewJobRun } from "../job-runs.ts";
import type { Db } from "../open.ts";
import type { Interrupting, StoredOwner } from "../runs.ts";
import { jobRuns } from "../schema.ts";
import { interrupt, runningOwners } from "./runs.ts";

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

export class SqliteJobRunRepository implements JobRunRepository {
  constructor(private readonly db: Db) {}

  start(run: NewJobRun): number {
    return this.db
      .insert(jobRuns)
      .values({ job: run.job, trigger: run.trigger, startedAt: new Date(run.startedAt), ownerPid: run.owner.pid, ownerStarted: run.owner.started })
      .returning({ id: jobRuns.id })
      .get().id;
  }

  recordSteps(id: number, steps: JobStepOutcome[]): void {
    this.db.update(jobRuns).set({ steps }).where(eq(jobRuns.id, id)).run();
  }

  finish(id: number, outcome: JobRunOutcome): void {
    this.db
      .update(jobRuns)
      .set({
        status: outcome.status,
        finishedAt: new Date(outcome.finishedAt),
        durationMs: outcome.durationMs,
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

  list(job: string, limit: number): JobRunReport[] {
    return this.db.select().from(jobRuns).where(eq(jobRuns.job, job)).orderBy(desc(jobRuns.id)).limit(limit).all().map(reportOf);
  }

  running(job: string): { run: JobRunReport; owner: StoredOwner } | undefined {
    const row = this.db.select().from(jobRuns).where(and(eq(jobRuns.job, job), eq(jobRuns.status, "running"))).orderBy(desc(jobRuns.id)).get();
    return row && { run: reportOf(row), owner: { pid: row.ownerPid, started: row.ownerStarted } };
  }

  runningOwners(): { id: number; owner: StoredOwner }[] {
    return runningOwners(this.db, jobRuns);
  }

  interrupt(which: Interrupting, at: number, error: { kind: string; message: string }): number[] {
    return interrupt(this.db, jobRuns, which, at, error);
  }
}
