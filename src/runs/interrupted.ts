import { and, eq, inArray, isNull, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/open.ts";
import { jobRuns, runs } from "../db/schema.ts";
import type { ErrorKind } from "../core/errors.ts";
import { ownerAlive, thisProcess, type RunOwner, type StoredOwner } from "./owner.ts";

export const INTERRUPTED_KIND: ErrorKind = "interrupted";
/** Runs the daemon gives up at shutdown, when [scheduler] shutdown_grace_seconds ran out. */
export const INTERRUPTED_MESSAGE = "the daemon stopped before the run finished";
/** Runs whose process is gone (killed, or a machine that went down). */
export const ABANDONED_MESSAGE = "the process running it ended before the run finished";

export interface InterruptedCounts {
  runs: number;
  jobRuns: number;
}

type Table = typeof runs | typeof jobRuns;
/** The database or a transaction on it. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** Closes these rows of `table` as interrupted. `now` is Unix ms; a duration never goes below 0 (the clock may have moved back). */
function close(db: Tx, table: Table, now: number, message: string, which: SQL | undefined): number {
  return db
    .update(table)
    .set({ status: "interrupted", finishedAt: new Date(now), durationMs: sql<number>`max(0, ${now} - ${table.startedAt})`, errorKind: INTERRUPTED_KIND, errorMessage: message })
    .where(and(eq(table.status, "running"), which))
    .returning({ id: table.id })
    .all().length;
}

/** The ids of the running rows of `table` whose owner is gone. */
function abandoned(db: Tx, table: Table, alive: (owner: StoredOwner) => boolean): number[] {
  const rows = db.select({ id: table.id, pid: table.ownerPid, started: table.ownerStarted }).from(table).where(eq(table.status, "running")).all();
  return rows.filter((row) => !alive({ pid: row.pid, started: row.started })).map((row) => row.id);
}

/**
 * Closes the runs and job runs left `running` by processes that are gone: a daemon or CLI command that
 * was killed, or stopped before its runs finished. They will never finish, and would otherwise show as
 * running for ever (and a job's running row would keep the job from starting). Runs of processes that
 * still run, a CLI import beside the daemon say, are theirs to finish. Done at daemon start, by
 * `syncer maintenance`, and when a job's running row turns out to be abandoned.
 */
export function closeAbandonedRuns(db: Db, now: number, alive: (owner: StoredOwner) => boolean = ownerAlive): InterruptedCounts {
  return db.transaction((tx) => closeAbandoned(tx, now, alive), { behavior: "immediate" });
}

/** closeAbandonedRuns inside a transaction the caller holds. */
export function closeAbandoned(tx: Tx, now: number, alive: (owner: StoredOwner) => boolean = ownerAlive): InterruptedCounts {
  const count = (table: Table) => {
    const ids = abandoned(tx, table, alive);
    return ids.length === 0 ? 0 : close(tx, table, now, ABANDONED_MESSAGE, inArray(table.id, ids));
  };
  return { runs: count(runs), jobRuns: count(jobRuns) };
}

/** Closes the runs and job runs `owner` (this process) still has running: the daemon's shutdown, once its grace time ran out. */
export function closeOwnRuns(db: Db, now: number, owner: RunOwner = thisProcess()): InterruptedCounts {
  return db.transaction((tx) => {
    const own = (table: Table) => and(eq(table.ownerPid, owner.pid), owner.started === null ? isNull(table.ownerStarted) : eq(table.ownerStarted, owner.started));
    return { runs: close(tx, runs, now, INTERRUPTED_MESSAGE, own(runs)), jobRuns: close(tx, jobRuns, now, INTERRUPTED_MESSAGE, own(jobRuns)) };
  });
}
