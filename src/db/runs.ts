/**
 * The run log's storage: one record per import, inventorize, export or action run, with its counts and
 * details (plugin log lines, skipped hosts, hook and export messages). Times are Unix ms in, Dates out.
 */

export const RUN_STATUSES = ["running", "ok", "failed", "interrupted"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The counts every run reports (created … failed), in the order they are shown. */
export const COUNT_NAMES = ["created", "updated", "unchanged", "skipped", "deleted", "failed"] as const;
export type RunCounts = Record<(typeof COUNT_NAMES)[number], number>;

/** One line of a run's details: plugin log lines, skipped hosts, hook and export messages. */
export interface RunDetail {
  level: "debug" | "info" | "warn" | "error";
  message: string;
}

/** The process that writes a run or job run (see src/runs/owner.ts). */
export interface RunOwner {
  pid: number;
  /** `<boot id>/<start time in clock ticks since boot>`; null when /proc could not be read. */
  started: string | null;
}

/** An owner as a record keeps it: records written before owners were recorded have neither. */
export interface StoredOwner {
  pid: number | null;
  started: string | null;
}

/** One run as the run log holds it. */
export interface RunRecord extends RunCounts {
  id: number;
  plugin: string;
  command: string;
  account: string | null;
  /** What started it: cli, api, a job name, a webhook. */
  trigger: string;
  status: RunStatus;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  details: unknown[];
  errorKind: string | null;
  errorMessage: string | null;
  ownerPid: number | null;
  ownerStarted: string | null;
}

export interface NewRun {
  plugin: string;
  command: string;
  account: string | null;
  trigger: string;
  startedAt: number;
  owner: RunOwner;
}

export interface RunOutcome {
  status: "ok" | "failed";
  finishedAt: number;
  /** Whole milliseconds. */
  durationMs: number;
  counts: RunCounts;
  details: RunDetail[];
  error?: { kind: string; message: string };
}

export interface RunFilter {
  plugin?: string;
  command?: string;
  account?: string;
  status?: RunStatus;
  /** Only runs with a smaller id (paging backwards). */
  before?: number;
  limit: number;
}

/** Which running records to close: these ids, or every one of this owner. */
export type Interrupting = { ids: number[] } | { owner: RunOwner };

/** Records that stay `running` until finished, which the daemon closes as interrupted when their process is gone. */
export interface InterruptibleRecords {
  /** The running records and their owners. */
  runningOwners(): { id: number; owner: StoredOwner }[];
  /**
   * Closes the running ones among `which` as interrupted at `at` (Unix ms) with `error`; their duration is
   * the time since they started, never below 0 (the clock may have moved back). The ids of those closed.
   */
  interrupt(which: Interrupting, at: number, error: { kind: string; message: string }): number[];
}

export interface RunRepository extends InterruptibleRecords {
  /** Records a run as running; its id. */
  start(run: NewRun): number;
  finish(id: number, outcome: RunOutcome): void;
  get(id: number): RunRecord | undefined;
  /** Newest first. */
  list(filter: RunFilter): RunRecord[];
}
