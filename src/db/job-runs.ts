import type { InterruptibleRecords, RunOwner, StoredOwner } from "./runs.ts";

/** The job-run log's storage: one record per run of a [jobs.<name>], its steps' outcomes in order. */

export const JOB_RUN_STATUSES = ["running", "ok", "failed", "interrupted"] as const;
export type JobRunStatus = (typeof JOB_RUN_STATUSES)[number];

/** What became of one step of a job run; kept in this (snake_case) shape. */
export interface JobStepOutcome {
  step: string;
  /** The step's row in the run log; null when the step never became a run (skipped, or naming nothing runnable). */
  run_id: number | null;
  /** skipped: an earlier step failed and the job does not continue_on_error. */
  status: "ok" | "failed" | "skipped";
  error?: { kind: string; message: string };
}

/** One run of a job, as the job-run log holds it. */
export interface JobRunReport {
  id: number;
  job: string;
  /** schedule, cli, api, webhook or ui (the web UI). */
  trigger: string;
  status: JobRunStatus;
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  steps: JobStepOutcome[];
  /** The first failed step's error, its message prefixed with the step. */
  error?: { kind: string; message: string };
}

export interface NewJobRun {
  job: string;
  trigger: string;
  startedAt: number;
  owner: RunOwner;
}

export interface JobRunOutcome {
  status: "ok" | "failed";
  finishedAt: number;
  /** Whole milliseconds. */
  durationMs: number;
  steps: JobStepOutcome[];
  error?: { kind: string; message: string };
}

export interface JobRunRepository extends InterruptibleRecords {
  /** Records a job run as running; its id. */
  start(run: NewJobRun): number;
  /** Records the steps done so far. */
  recordSteps(id: number, steps: JobStepOutcome[]): void;
  finish(id: number, outcome: JobRunOutcome): void;
  get(id: number): JobRunReport | undefined;
  /** A job's runs, newest first. */
  list(job: string, limit: number): JobRunReport[];
  /** The job's newest run with status running, and its owner. */
  running(job: string): { run: JobRunReport; owner: StoredOwner } | undefined;
}
