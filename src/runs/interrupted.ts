import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/open.ts";
import { jobRuns, runs } from "../db/schema.ts";
import type { ErrorKind } from "../errors.ts";

export const INTERRUPTED_KIND: ErrorKind = "interrupted";
export const INTERRUPTED_MESSAGE = "the daemon stopped before the run finished";

export interface InterruptedCounts {
  runs: number;
  jobRuns: number;
}

/**
 * Closes the runs and job runs a stopped daemon left `running` (it was killed, or its shutdown limit ran
 * out): they will never finish, and would otherwise show as running for ever. Meant for daemon start,
 * before anything new runs. `now` is Unix ms; a duration never goes below 0 (the clock may have moved back).
 */
export function markInterruptedRuns(db: Db, now: number): InterruptedCounts {
  const finish = (startedAt: typeof runs.startedAt | typeof jobRuns.startedAt) => ({
    status: "interrupted" as const,
    finishedAt: new Date(now),
    durationMs: sql<number>`max(0, ${now} - ${startedAt})`,
    errorKind: INTERRUPTED_KIND,
    errorMessage: INTERRUPTED_MESSAGE,
  });
  return db.transaction((tx) => ({
    runs: tx.update(runs).set(finish(runs.startedAt)).where(eq(runs.status, "running")).returning({ id: runs.id }).all().length,
    jobRuns: tx.update(jobRuns).set(finish(jobRuns.startedAt)).where(eq(jobRuns.status, "running")).returning({ id: jobRuns.id }).all().length,
  }));
}
