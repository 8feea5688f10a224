import { Cron } from "croner";
import { createHash, timingSafeEqual } from "node:crypto";
import type { JobConfig } from "../config/schema.ts";
import { asSyncerError, SyncerError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { RunReport, RunRequest } from "../runs/scope.ts";
import { suggestion } from "../core/problems.ts";
import type { RunStores } from "../runs/interrupted.ts";
import { busyError, JobRunLog, jobRunJson, type JobRunReport, type JobStepOutcome } from "./job-runs.ts";
import { parseStep } from "../config/steps.ts";

/** What started a job run. Its steps' runs carry the trigger `job:<name>` instead. */
export const JOB_TRIGGERS = ["schedule", "cli", "api", "webhook", "ui"] as const;
export type JobTrigger = (typeof JOB_TRIGGERS)[number];

export interface JobSchedulerDeps {
  /** Runs one step. A function rather than a Runner, so the daemon can swap the setup behind it on reload. */
  run: (request: RunRequest) => Promise<RunReport>;
  /** The job-run log's storage. */
  storage: RunStores;
  log: Logger;
  /** false: no job fires on its own; jobs are still listed (with their next run) and run on demand. For the CLI. Default true. */
  timers?: boolean;
  /** Told of every finished job run (the daemon counts them for /metrics). */
  onFinished?: (run: JobRunReport) => void;
}

/** A job run that has started: its id at once (an API answers 202 with it), its report when it is done. */
export interface StartedJobRun {
  id: number;
  /** Resolves when the last step is done; never rejects (a failure is a report with status "failed"). */
  done: Promise<JobRunReport>;
}

/** A job as `jobs list` and the API show it. */
export interface JobInfo {
  name: string;
  schedule: string;
  /** null: the system's time zone. */
  timezone: string | null;
  enabled: boolean;
  steps: string[];
  continueOnError: boolean;
  /** Whether the job has a webhook_secret (never the secret). */
  webhook: boolean;
  /** null when the job is disabled. */
  nextRun: Date | null;
  /** Running in this process or, by the job-run log, in another. */
  running: boolean;
  lastRun: JobRunReport | undefined;
}

/** A job as JSON: what the CLI prints and the API answers. */
export function jobInfoJson(info: JobInfo) {
  return {
    name: info.name,
    schedule: info.schedule,
    timezone: info.timezone,
    enabled: info.enabled,
    steps: info.steps,
    continue_on_error: info.continueOnError,
    webhook: info.webhook,
    next_run: info.nextRun?.toISOString() ?? null,
    running: info.running,
    last_run: info.lastRun ? jobRunJson(info.lastRun) : null,
  };
}

/** What apply() did, for the reload log line. */
export interface AppliedJobs {
  added: string[];
  /** Schedule, time zone or enabled changed: the timer was replaced. */
  rescheduled: string[];
  /** The timer was kept; steps and other settings take effect at the next run. */
  kept: string[];
  removed: string[];
}

interface ScheduledJob {
  job: JobConfig;
  /** What the timer depends on; a job whose timing did not change keeps its timer. */
  timing: string;
  /** Absent for disabled jobs. Without timers, a Cron with no function: it only computes the next run. */
  cron?: Cron;
}

interface ActiveRun extends StartedJobRun {
  trigger: string;
  startedAt: number;
}

const timingOf = (job: JobConfig) => JSON.stringify([job.schedule, job.timezone ?? null, job.enabled]);

/** A hash of each side: timingSafeEqual needs equal lengths, and the lengths must not leak either. */
const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * Runs [jobs]: their steps in order as sync runs, on their cron schedule and on demand (CLI, API,
 * webhook). A job never overlaps itself: the job-run log's running row is the lock, so this holds across
 * the daemon and `syncer jobs run`, and a scheduled tick that finds the job running is skipped and logged.
 * (croner's `protect` cannot see runs started by hand or by another process, so it is not used.)
 */
export class JobScheduler {
  private readonly runs: JobRunLog;
  private readonly timers: boolean;
  private scheduled = new Map<string, ScheduledJob>();
  private readonly active = new Map<string, ActiveRun>();
  private stopped = false;

  constructor(private readonly deps: JobSchedulerDeps) {
    this.runs = new JobRunLog(deps.storage);
    this.timers = deps.timers ?? true;
  }

  /**
   * Takes a new set of jobs (at start and on config reload). Timers are swapped all at once: every new
   * timer is made first, so an expression croner refuses changes nothing. A job whose schedule, time zone
   * and enabled flag are unchanged keeps its timer; disabled jobs are listed but have none. Runs under
   * way finish with the steps they started with.
   */
  apply(jobs: Record<string, JobConfig>): AppliedJobs {
    if (this.stopped) throw new SyncerError("internal", "the job scheduler has been stopped");
    const next = new Map<string, ScheduledJob>();
    const made: Cron[] = [];
    const applied: AppliedJobs = { added: [], rescheduled: [], kept: [], removed: [] };
    try {
      for (const [name, job] of Object.entries(jobs)) {
        const old = this.scheduled.get(name);
        const timing = timingOf(job);
        if (old && old.timing === timing) {
          next.set(name, { job, timing, cron: old.cron });
          applied.kept.push(name);
          continue;
        }
        const cron = job.enabled ? this.cronFor(name, job) : undefined;
        if (cron) made.push(cron);
        next.set(name, { job, timing, cron });
        (old ? applied.rescheduled : applied.added).push(name);
      }
    } catch (error) {
      for (const cron of made) cron.stop();
      throw error;
    }
    for (const [name, old] of this.scheduled) {
      if (next.get(name)?.cron !== old.cron) old.cron?.stop();
      if (!next.has(name)) applied.removed.push(name);
    }
    this.scheduled = next;
    return applied;
  }

  private cronFor(name: string, job: JobConfig): Cron {
    const options = { timezone: job.timezone, catch: (error: unknown) => this.deps.log.error("scheduled job failed to start", { job: name, error: asSyncerError(error).message }) };
    return this.timers ? new Cron(job.schedule, options, () => this.tick(name)) : new Cron(job.schedule, options);
  }

  /** A timer fired: start the job unless it is still running. */
  private tick(name: string): void {
    try {
      this.start(name, "schedule");
    } catch (error) {
      const failure = asSyncerError(error);
      if (failure.kind === "conflict") this.deps.log.warn(`scheduled run of job ${name} skipped: ${failure.message}`, { job: name });
      else this.deps.log.error(`scheduled run of job ${name} could not start: ${failure.message}`, { job: name, kind: failure.kind });
    }
  }

  /**
   * Starts a job run and returns its id at once; the steps run in the background (`done`). Throws when
   * nothing starts: not_found (unknown job, with a did-you-mean), disabled, or conflict (already running
   * here or in another process, or the scheduler has stopped).
   */
  start(name: string, trigger: JobTrigger): StartedJobRun {
    const entry = this.scheduled.get(name);
    if (!entry) {
      const names = [...this.scheduled.keys()];
      throw new SyncerError("not_found", `no job '${name}'${suggestion(name, names)}${names.length ? ` (jobs: ${names.join(", ")})` : " ([jobs] in the config has none)"}`);
    }
    if (!entry.job.enabled) throw new SyncerError("disabled", `job ${name} is disabled (enabled = false)`);
    if (this.stopped) throw new SyncerError("conflict", `job ${name} not started: syncer is shutting down`);
    const running = this.active.get(name);
    if (running) throw busyError({ ...running, job: name });
    const startedAt = Date.now();
    const id = this.runs.start({ job: name, trigger, startedAt });
    this.deps.log.info(`job ${name} started`, { job: name, job_run: id, trigger });
    const done = this.execute(name, entry.job, { id, trigger, startedAt });
    this.active.set(name, { id, done, trigger, startedAt });
    void done.finally(() => {
      if (this.active.get(name)?.id === id) this.active.delete(name);
    });
    return { id, done };
  }

  /** Runs a job now and waits for it; throws as start() does. */
  trigger(name: string, trigger: JobTrigger): Promise<JobRunReport> {
    return this.start(name, trigger).done;
  }

  /** Runs the steps in order, recording each; a failed step ends the job unless continue_on_error. */
  private async execute(name: string, job: JobConfig, run: { id: number; trigger: string; startedAt: number }): Promise<JobRunReport> {
    const { id, trigger, startedAt } = run;
    const started = performance.now();
    const steps: JobStepOutcome[] = [];
    let failure: { kind: string; message: string } | undefined;
    try {
      for (const [index, step] of job.steps.entries()) {
        if (failure && !job.continue_on_error) {
          steps.push({ step, run_id: null, status: "skipped" });
          continue;
        }
        const outcome = await this.runStep(name, step);
        steps.push(outcome);
        if (outcome.error && !failure) failure = { kind: outcome.error.kind, message: `step ${index + 1} (${step}): ${outcome.error.message}` };
        if (index < job.steps.length - 1) this.runs.recordSteps(id, steps);
      }
    } catch (error) {
      // Only the job-run log itself can throw here (the database): the job ends failed, and says why.
      const broken = asSyncerError(error);
      failure ??= { kind: broken.kind, message: broken.message };
      this.deps.log.error(`job ${name} broke off: ${broken.message}`, { job: name, job_run: id });
    }
    const status = failure ? "failed" : "ok";
    const report: JobRunReport = {
      id,
      job: name,
      trigger,
      status,
      startedAt,
      finishedAt: Date.now(),
      durationMs: performance.now() - started,
      steps,
      ...(failure ? { error: failure } : {}),
    };
    try {
      this.runs.finish(id, { job: name, trigger }, { status, finishedAt: report.finishedAt!, durationMs: report.durationMs!, steps, error: failure });
    } catch (error) {
      this.deps.log.error(`job ${name}: its outcome could not be recorded: ${asSyncerError(error).message}`, { job: name, job_run: id });
    }
    const fields = { job: name, job_run: id, status: report.status, ms: Math.round(report.durationMs!) };
    if (failure) this.deps.log.warn(`job ${name} failed: ${failure.message}`, fields);
    else this.deps.log.info(`job ${name} finished`, fields);
    this.deps.onFinished?.(report);
    return report;
  }

  private async runStep(name: string, step: string): Promise<JobStepOutcome> {
    try {
      const report = await this.deps.run({ ...parseStep(step), trigger: `job:${name}` });
      return { step, run_id: report.id, status: report.status, ...(report.error ? { error: report.error } : {}) };
    } catch (error) {
      // The step named nothing runnable (a reload removed its plugin, say): no run, a failed step.
      const failure = asSyncerError(error);
      return { step, run_id: null, status: "failed", error: { kind: failure.kind, message: failure.message } };
    }
  }

  /** Every job, in config order, with its next run, whether it runs now, and its last run. */
  list(): JobInfo[] {
    return [...this.scheduled].map(([name, { job, cron }]) => ({
      name,
      schedule: job.schedule,
      timezone: job.timezone ?? null,
      enabled: job.enabled,
      steps: job.steps,
      continueOnError: job.continue_on_error,
      webhook: job.webhook_secret !== undefined,
      nextRun: cron?.nextRun() ?? null,
      running: this.active.has(name) || this.runs.running(name) !== undefined,
      lastRun: this.runs.last(name),
    }));
  }

  /** A job's runs, newest first. Jobs gone from the config keep their history; a name never seen is not_found. */
  history(name: string, limit: number): JobRunReport[] {
    const runs = this.runs.list(name, limit);
    if (runs.length === 0 && !this.scheduled.has(name)) {
      throw new SyncerError("not_found", `no job '${name}'${suggestion(name, [...this.scheduled.keys()])}`);
    }
    return runs;
  }

  /** One job run by id. */
  jobRun(id: number): JobRunReport | undefined {
    return this.runs.get(id);
  }

  /** Whether a webhook call may start the job: it has a webhook_secret and the caller presented it. Constant time. */
  webhookAccepts(name: string, presentedSecret: string): boolean {
    const secret = this.scheduled.get(name)?.job.webhook_secret;
    if (secret === undefined) return false;
    return timingSafeEqual(digest(presentedSecret), digest(secret));
  }

  /** Stops every timer and refuses new runs (for shutdown; final). Runs under way go on: see drain(). */
  stop(): void {
    this.stopped = true;
    for (const { cron } of this.scheduled.values()) cron?.stop();
  }

  /** Waits up to `ms` for the running jobs to finish; names those that did and those still running. */
  async drain(ms: number): Promise<{ finished: string[]; stillRunning: string[] }> {
    const waiting = [...this.active];
    const finished = new Set<string>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(waiting.map(([name, run]) => run.done.then(() => finished.add(name)))),
      new Promise((resolve) => (timer = setTimeout(resolve, ms))),
    ]);
    clearTimeout(timer);
    return { finished: waiting.map(([name]) => name).filter((name) => finished.has(name)), stillRunning: waiting.map(([name]) => name).filter((name) => !finished.has(name)) };
  }
}
