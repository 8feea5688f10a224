import { and, desc, eq, inArray, isNull, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../open.ts";
import type { Interrupting, NewRun, RunFilter, RunOutcome, RunRecord, RunRepository, StoredOwner } from "../runs.ts";
import { jobRuns, runs } from "../schema.ts";

/** The running rows of `table` and their owners (runs and job runs alike). */
export function runningOwners(db: Db, table: typeof runs | typeof jobRuns): { id: number; owner: StoredOwner }[] {
  return db
    .select({ id: table.id, pid: table.ownerPid, started: table.ownerStarted })
    .from(table)
    .where(eq(table.status, "running"))
    .all()
    .map((row) => ({ id: row.id, owner: { pid: row.pid, started: row.started } }));
}

/** Closes running rows of `table` as interrupted (runs and job runs alike). */
export function interrupt(db: Db, table: typeof runs | typeof jobRuns, which: Interrupting, at: number, error: { kind: string; message: string }): number[] {
  const chosen =
    "ids" in which
      ? inArray(table.id, which.ids)
      : and(eq(table.ownerPid, which.owner.pid), which.owner.started === null ? isNull(table.ownerStarted) : eq(table.ownerStarted, which.owner.started));
  return db
    .update(table)
    .set({ status: "interrupted", finishedAt: new Date(at), durationMs: sql<number>`max(0, ${at} - ${table.startedAt})`, errorKind: error.kind, errorMessage: error.message })
    .where(and(eq(table.status, "running"), chosen))
    .returning({ id: table.id })
    .all()
    .map((row) => row.id);
}

export class SqliteRunRepository implements RunRepository {
  constructor(private readonly db: Db) {}

  start(run: NewRun): number {
    return this.db
      .insert(runs)
      .values({
        plugin: run.plugin,
        command: run.command,
        account: run.account,
        trigger: run.trigger,
        startedAt: new Date(run.startedAt),
        ownerPid: run.owner.pid,
        ownerStarted: run.owner.started,
      })
      .returning({ id: runs.id })
      .get().id;
  }

  finish(id: number, outcome: RunOutcome): void {
    this.db
      .update(runs)
      .set({
        status: outcome.status,
        finishedAt: new Date(outcome.finishedAt),
        durationMs: outcome.durationMs,
        ...outcome.counts,
        details: outcome.details,
        errorKind: outcome.error?.kind ?? null,
        errorMessage: outcome.error?.message ?? null,
      })
      .where(eq(runs.id, id))
      .run();
  }

  runningOwners(): { id: number; owner: StoredOwner }[] {
    return runningOwners(this.db, runs);
  }

  interrupt(which: Interrupting, at: number, error: { kind: string; message: string }): number[] {
    return interrupt(this.db, runs, which, at, error);
  }

  get(id: number): RunRecord | undefined {
    return this.db.select().from(runs).where(eq(runs.id, id)).get();
  }

  list(filter: RunFilter): RunRecord[] {
    const conditions: SQL[] = [];
    if (filter.plugin) conditions.push(eq(runs.plugin, filter.plugin));
    if (filter.command) conditions.push(eq(runs.command, filter.command));
    if (filter.account) conditions.push(eq(runs.account, filter.account));
    if (filter.status) conditions.push(eq(runs.status, filter.status));
    if (filter.before) conditions.push(lt(runs.id, filter.before));
    return this.db.select().from(runs).where(and(...conditions)).orderBy(desc(runs.id)).limit(filter.limit).all();
  }
}
