import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Db } from "../db/open.ts";
import { runs } from "../db/schema.ts";
import { thisProcess, type RunOwner } from "./owner.ts";

/** The counts every run reports (created … failed), in the order they are shown. */
export const COUNT_NAMES = ["created", "updated", "unchanged", "skipped", "deleted", "failed"] as const;
export type RunCounts = Record<(typeof COUNT_NAMES)[number], number>;

export const zeroCounts = (): RunCounts => ({ created: 0, updated: 0, unchanged: 0, skipped: 0, deleted: 0, failed: 0 });

/** One line of a run's details: plugin log lines, skipped hosts, hook and export messages. */
export interface RunDetail {
  level: "debug" | "info" | "warn" | "error";
  message: string;
}

/** Most detail lines kept per run; the rest are counted in a last line. */
export const MAX_DETAILS = 1000;

export type RunRow = typeof runs.$inferSelect;

/** The run log: one row per run, written when it starts (status running, owned by this process) and finished once. */
export class RunLog {
  constructor(
    private readonly db: Db,
    private readonly owner: RunOwner = thisProcess(),
  ) {}

  start(entry: { plugin: string; command: string; account: string | null; trigger: string; startedAt: number }): number {
    const row = this.db
      .insert(runs)
      .values({
        plugin: entry.plugin,
        command: entry.command,
        account: entry.account,
        trigger: entry.trigger,
        startedAt: new Date(entry.startedAt),
        ownerPid: this.owner.pid,
        ownerStarted: this.owner.started,
      })
      .returning({ id: runs.id })
      .get();
    return row.id;
  }

  finish(id: number, outcome: { status: "ok" | "failed"; finishedAt: number; durationMs: number; counts: RunCounts; details: RunDetail[]; error?: { kind: string; message: string } }): void {
    this.db
      .update(runs)
      .set({
        status: outcome.status,
        finishedAt: new Date(outcome.finishedAt),
        durationMs: Math.round(outcome.durationMs),
        ...outcome.counts,
        details: outcome.details,
        errorKind: outcome.error?.kind ?? null,
        errorMessage: outcome.error?.message ?? null,
      })
      .where(eq(runs.id, id))
      .run();
  }

  get(id: number): RunRow | undefined {
    return this.db.select().from(runs).where(eq(runs.id, id)).get();
  }

  /** Newest first; `before` pages backwards by id. */
  list(filter: { plugin?: string; account?: string; status?: RunRow["status"]; before?: number; limit: number }): RunRow[] {
    const conditions: SQL[] = [];
    if (filter.plugin) conditions.push(eq(runs.plugin, filter.plugin));
    if (filter.account) conditions.push(eq(runs.account, filter.account));
    if (filter.status) conditions.push(eq(runs.status, filter.status));
    if (filter.before) conditions.push(lt(runs.id, filter.before));
    return this.db.select().from(runs).where(and(...conditions)).orderBy(desc(runs.id)).limit(filter.limit).all();
  }
}
