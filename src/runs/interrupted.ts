import { COUNT_NAMES, type Interrupting, type InterruptibleRecords } from "../db/runs.ts";
import type { Storage } from "../db/storage.ts";
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

/** The run and job-run logs, the event log, and a transaction over them. */
export type RunStores = Pick<Storage, "runs" | "jobRuns" | "events" | "transaction">;

/**
 * Closes the runs and job runs left `running` by processes that are gone: a daemon or CLI command that
 * was killed, or stopped before its runs finished. They will never finish, and would otherwise show as
 * running for ever (and a job's running row would keep the job from starting). Runs of processes that
 * still run, a CLI import beside the daemon say, are theirs to finish. Done at daemon start, by
 * `syncer maintenance`, and when a job's running row turns out to be abandoned.
 */
export function closeAbandonedRuns(storage: RunStores, now: number, alive: (owner: StoredOwner) => boolean = ownerAlive): InterruptedCounts {
  return storage.transaction((tx) => closeAbandoned(tx, now, alive), { lockWrites: true });
}

/** closeAbandonedRuns inside a transaction the caller holds. `now` is Unix ms. */
export function closeAbandoned(tx: Pick<Storage, "runs" | "jobRuns" | "events">, now: number, alive: (owner: StoredOwner) => boolean = ownerAlive): InterruptedCounts {
  const error = { kind: INTERRUPTED_KIND, message: ABANDONED_MESSAGE };
  const abandoned = (records: InterruptibleRecords) => ({
    ids: records
      .runningOwners()
      .filter((row) => !alive(row.owner))
      .map((row) => row.id),
  });
  return recordInterrupted(tx, { runs: abandoned(tx.runs), jobRuns: abandoned(tx.jobRuns) }, now, error);
}

/** Closes the runs and job runs `owner` (this process) still has running: the daemon's shutdown, once its grace time ran out. */
export function closeOwnRuns(storage: RunStores, now: number, owner: RunOwner = thisProcess()): InterruptedCounts {
  const error = { kind: INTERRUPTED_KIND, message: INTERRUPTED_MESSAGE };
  return storage.transaction((tx) => recordInterrupted(tx, { runs: { owner }, jobRuns: { owner } }, now, error));
}

/**
 * Closes the chosen runs and job runs as interrupted, each with its run.finished or job.finished event
 * (status interrupted) in the caller's transaction: a run's end is an event however it came.
 */
function recordInterrupted(
  tx: Pick<Storage, "runs" | "jobRuns" | "events">,
  which: { runs: Interrupting; jobRuns: Interrupting },
  now: number,
  error: { kind: string; message: string },
): InterruptedCounts {
  const none = (chosen: Interrupting) => "ids" in chosen && chosen.ids.length === 0;
  const runIds = none(which.runs) ? [] : tx.runs.interrupt(which.runs, now, error);
  for (const id of runIds) {
    const run = tx.runs.get(id)!;
    const data = { run_id: id, plugin: run.plugin, command: run.command, account: run.account, trigger: run.trigger, status: run.status, duration_ms: run.durationMs, counts: Object.fromEntries(COUNT_NAMES.map((name) => [name, run[name]])), error };
    tx.events.emit({ type: "run.finished", data, account: run.account, runId: id, at: now });
  }
  const jobRunIds = none(which.jobRuns) ? [] : tx.jobRuns.interrupt(which.jobRuns, now, error);
  for (const id of jobRunIds) {
    const run = tx.jobRuns.get(id)!;
    const data = { job_run_id: id, job: run.job, trigger: run.trigger, status: run.status, duration_ms: run.durationMs, steps: run.steps, error };
    tx.events.emit({ type: "job.finished", data, at: now });
  }
  return { runs: runIds.length, jobRuns: jobRunIds.length };
}
