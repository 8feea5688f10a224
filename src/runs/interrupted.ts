import type { InterruptibleRecords } from "../db/runs.ts";
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
export function closeAbandoned(tx: Pick<Storage, "runs" | "jobRuns">, now: number, alive: (owner: StoredOwner) => boolean = ownerAlive): InterruptedCounts {
  const count = (records: InterruptibleRecords) => {
    const ids = records
      .runningOwners()
      .filter((row) => !alive(row.owner))
      .map((row) => row.id);
    return ids.length === 0 ? 0 : records.interrupt({ ids }, now, { kind: INTERRUPTED_KIND, message: ABANDONED_MESSAGE });
  };
  return { runs: count(tx.runs), jobRuns: count(tx.jobRuns) };
}

/** Closes the runs and job runs `owner` (this process) still has running: the daemon's shutdown, once its grace time ran out. */
export function closeOwnRuns(storage: RunStores, now: number, owner: RunOwner = thisProcess()): InterruptedCounts {
  const error = { kind: INTERRUPTED_KIND, message: INTERRUPTED_MESSAGE };
  return storage.transaction((tx) => ({ runs: tx.runs.interrupt({ owner }, now, error), jobRuns: tx.jobRuns.interrupt({ owner }, now, error) }));
}
