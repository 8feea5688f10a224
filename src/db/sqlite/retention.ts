import type { Database } from "bun:sqlite";
import type { AgedRecords, RetentionRepository } from "../retention.ts";

/** Each kind's table and which of its rows are old: `?1` is the cutoff. */
const AGED: Record<AgedRecords, { table: string; where: string }> = {
  runs: { table: "runs", where: "started_at < ?1 AND status != 'running'" },
  jobRuns: { table: "job_runs", where: "started_at < ?1 AND status != 'running'" },
  events: { table: "events", where: "created_at < ?1" },
  hostChanges: { table: "host_changes", where: "at < ?1" },
};

export class SqliteRetentionRepository implements RetentionRepository {
  constructor(private readonly sqlite: Database) {}

  deleteBefore(records: AgedRecords, cutoff: number, limit: number): number {
    const { table, where } = AGED[records];
    return this.sqlite.query<never, [number, number]>(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${where} LIMIT ?2)`).run(cutoff, limit).changes;
  }
}
