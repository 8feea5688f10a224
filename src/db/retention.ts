/**
 * What [retention] removes by age: finished runs and job runs (by start time), plugin events, and hosts'
 * change-log entries. Soft-deleted hosts are purged by the host code.
 */
export type AgedRecords = "runs" | "jobRuns" | "events" | "hostChanges";

export interface RetentionRepository {
  /**
   * Deletes up to `limit` records of the kind from before `cutoff` (Unix ms), never a run or job run still
   * running; how many went. Called again until it deletes fewer than `limit`, so a backlog goes in bites.
   */
  deleteBefore(records: AgedRecords, cutoff: number, limit: number): number;
}
