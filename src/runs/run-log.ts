import type { RunCounts, RunOutcome } from "../db/runs.ts";
import type { Storage } from "../db/storage.ts";
import { thisProcess, type RunOwner } from "./owner.ts";

export { COUNT_NAMES, type RunCounts, type RunDetail } from "../db/runs.ts";

export const zeroCounts = (): RunCounts => ({ created: 0, updated: 0, unchanged: 0, skipped: 0, deleted: 0, failed: 0 });

/** Most detail lines kept per run; the rest are counted in a last line. */
export const MAX_DETAILS = 1000;

/** What a run is, as its events name it. */
export interface RunEntry {
  plugin: string;
  command: string;
  account: string | null;
  trigger: string;
}

/**
 * The run log: one record per run, written when it starts (status running, owned by this process) and
 * finished once; each write with its event (run.started, run.finished and, for a failed run, run.failed)
 * in the same transaction.
 */
export class RunLog {
  constructor(
    private readonly storage: Pick<Storage, "runs" | "events" | "transaction">,
    private readonly owner: RunOwner = thisProcess(),
  ) {}

  start(entry: RunEntry & { startedAt: number }): number {
    return this.storage.transaction((tx) => {
      const id = tx.runs.start({ ...entry, owner: this.owner });
      tx.events.emit({ type: "run.started", data: { run_id: id, ...entry }, account: entry.account, runId: id, at: entry.startedAt });
      return id;
    });
  }

  finish(id: number, entry: RunEntry, outcome: RunOutcome): void {
    const durationMs = Math.round(outcome.durationMs);
    const data = { run_id: id, ...entry, status: outcome.status, duration_ms: durationMs, counts: outcome.counts, error: outcome.error ?? null };
    this.storage.transaction((tx) => {
      tx.runs.finish(id, { ...outcome, durationMs });
      const event = { data, account: entry.account, runId: id, at: outcome.finishedAt };
      tx.events.emit({ type: "run.finished", ...event });
      if (outcome.status === "failed") tx.events.emit({ type: "run.failed", ...event });
    });
  }
}
