import type { RetentionConfig } from "../config/schema.ts";
import type { AgedRecords } from "../db/retention.ts";
import type { Storage } from "../db/storage.ts";
import { closeAbandonedRuns, type InterruptedCounts } from "../runs/interrupted.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Rows deleted per statement: a large backlog goes in bites, so the daemon keeps answering between them. */
const BATCH = 5000;

/** What one maintenance pass did. */
export interface MaintenanceReport {
  /** Runs and job runs left running by processes that are gone, closed as interrupted. */
  interrupted: InterruptedCounts;
  removed: { runs: number; jobRuns: number; events: number; hostChanges: number; deletedHosts: number };
  /** The cutoff of each kind (Unix ms; older records were removed); null where it is kept for ever. */
  cutoffs: { runs: number | null; jobRuns: number | null; events: number | null; hostChanges: number | null; deletedHosts: number | null };
}

/** Deletes the records from before `cutoff`, a batch at a time; yields between batches. */
async function deleteOlder(storage: Storage, records: AgedRecords, cutoff: number | null, stopped: () => boolean): Promise<number> {
  if (cutoff === null) return 0;
  let removed = 0;
  for (;;) {
    const changes = storage.retention.deleteBefore(records, cutoff, BATCH);
    removed += changes;
    if (changes < BATCH || stopped()) return removed;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The cutoffs of a retention config at `now`. */
export function cutoffsOf(retention: RetentionConfig, now: number): MaintenanceReport["cutoffs"] {
  const before = (days: number | undefined) => (days ? now - days * DAY_MS : null);
  return {
    runs: before(retention.runs_days),
    jobRuns: before(retention.job_runs_days),
    events: before(retention.events_days),
    hostChanges: before(retention.host_changes_days),
    deletedHosts: before(retention.deleted_hosts_days),
  };
}

/**
 * One maintenance pass at `now` (Unix ms): closes runs whose process is gone, then removes what [retention]
 * keeps no longer: finished runs and job runs, plugin events and change-log entries older than their
 * limits, and soft-deleted hosts when deleted_hosts_days is set. Runs still running are never removed.
 * `stopped` ends it early between batches (the daemon is shutting down).
 */
export async function runMaintenance(storage: Storage, retention: RetentionConfig, now: number, stopped: () => boolean = () => false): Promise<MaintenanceReport> {
  const cutoffs = cutoffsOf(retention, now);
  const interrupted = closeAbandonedRuns(storage, now);
  const removed = {
    runs: await deleteOlder(storage, "runs", cutoffs.runs, stopped),
    jobRuns: await deleteOlder(storage, "jobRuns", cutoffs.jobRuns, stopped),
    events: await deleteOlder(storage, "events", cutoffs.events, stopped),
    hostChanges: await deleteOlder(storage, "hostChanges", cutoffs.hostChanges, stopped),
    deletedHosts: cutoffs.deletedHosts === null || stopped() ? 0 : storage.hosts.purgeDeleted(cutoffs.deletedHosts).hostnames.length,
  };
  return { interrupted, removed, cutoffs };
}

/** A report as JSON: what `syncer maintenance --json` prints. */
export function maintenanceJson(report: MaintenanceReport) {
  const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());
  return {
    interrupted: { runs: report.interrupted.runs, job_runs: report.interrupted.jobRuns },
    removed: { runs: report.removed.runs, job_runs: report.removed.jobRuns, events: report.removed.events, host_changes: report.removed.hostChanges, deleted_hosts: report.removed.deletedHosts },
    removed_before: {
      runs: iso(report.cutoffs.runs),
      job_runs: iso(report.cutoffs.jobRuns),
      events: iso(report.cutoffs.events),
      host_changes: iso(report.cutoffs.hostChanges),
      deleted_hosts: iso(report.cutoffs.deletedHosts),
    },
  };
}
