import type { RunCounts, RunOutcome, RunRepository } from "../db/runs.ts";
import { thisProcess, type RunOwner } from "./owner.ts";

export { COUNT_NAMES, type RunCounts, type RunDetail } from "../db/runs.ts";

export const zeroCounts = (): RunCounts => ({ created: 0, updated: 0, unchanged: 0, skipped: 0, deleted: 0, failed: 0 });

/** Most detail lines kept per run; the rest are counted in a last line. */
export const MAX_DETAILS = 1000;

/** The run log: one record per run, written when it starts (status running, owned by this process) and finished once. */
export class RunLog {
  constructor(
    private readonly runs: RunRepository,
    private readonly owner: RunOwner = thisProcess(),
  ) {}

  start(entry: { plugin: string; command: string; account: string | null; trigger: string; startedAt: number }): number {
    return this.runs.start({ ...entry, owner: this.owner });
  }

  finish(id: number, outcome: RunOutcome): void {
    this.runs.finish(id, { ...outcome, durationMs: Math.round(outcome.durationMs) });
  }
}
