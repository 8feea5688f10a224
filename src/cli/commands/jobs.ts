import type { Command } from "commander";
import type { Config } from "../../config/load.ts";
import type { Storage } from "../../db/storage.ts";
import { ReportedFailure, SyncerError } from "../../core/errors.ts";
import { createLogger, type Logger } from "../../core/logger.ts";
import { jobRunJson, type JobRunReport, type JobStepOutcome } from "../../scheduler/job-runs.ts";
import { jobInfoJson, JobScheduler, type JobSchedulerDeps } from "../../scheduler/scheduler.ts";
import { commonOptions, configFor, positiveInteger, setupFor, withDatabase, withRuntime } from "../context.ts";
import { color, printJson, printLine } from "../output.ts";
import { STATUS_COLOR } from "./runs.ts";

/**
 * A scheduler whose timers are off: the CLI lists and runs jobs with the daemon's logic (overlap guard,
 * step order, job-run log) without anything firing on its own. It logs errors only: the CLI prints outcomes.
 */
function cliScheduler(config: Config, storage: Storage, run: JobSchedulerDeps["run"]): JobScheduler {
  const log: Logger = createLogger({ level: "error", format: config.log.format });
  const scheduler = new JobScheduler({ run, storage, log, timers: false });
  scheduler.apply(config.jobs);
  return scheduler;
}

const runsNothing: JobSchedulerDeps["run"] = () => Promise.reject(new SyncerError("internal", "this command runs no steps"));

const seconds = (ms: number | null) => (ms === null ? "" : `${(ms / 1000).toFixed(2)} s`);

const STEP_MARK: Record<JobStepOutcome["status"], string> = { ok: color.green("✓"), failed: color.red("✗"), skipped: color.dim("-") };

function printSteps(steps: JobStepOutcome[], indent = ""): void {
  steps.forEach((step, index) => {
    const run = step.run_id !== null ? color.dim(`run #${step.run_id}`) : "";
    const tail = step.status === "skipped" ? color.dim("skipped") : step.error ? color.red(`${step.error.kind}: ${step.error.message}`) : "";
    printLine(`${indent}${STEP_MARK[step.status]} step ${index + 1}  ${step.step}  ${[run, tail].filter(Boolean).join("  ")}`.trimEnd());
  });
}

/** `syncer jobs run`: the job's steps now, in this process; exits 1 when the job failed. */
async function runJobFromCli(name: string, command: Command): Promise<void> {
  const setup = setupFor(command);
  const json = commonOptions(command).json ?? false;
  const { Runner } = await import("../../runs/runner.ts");
  const report: JobRunReport = await withRuntime(setup, (database, runtime, log) => {
    const runner = new Runner(setup, runtime, database, log);
    return cliScheduler(setup.config, database, (request) => runner.run(request)).trigger(name, "cli");
  }, { create: true });
  if (json) printJson({ ok: report.status === "ok", ...jobRunJson(report) });
  else {
    printSteps(report.steps);
    if (report.status === "ok") printLine(`${color.green("✓")} job ${name}: ${report.steps.length} step${report.steps.length === 1 ? "" : "s"} ok (job run #${report.id}, ${seconds(report.durationMs)})`);
  }
  if (report.status === "failed") {
    const message = `job ${name} failed (job run #${report.id}): ${report.error!.message}`;
    throw json ? new ReportedFailure(report.error!.kind as never, message) : new SyncerError(report.error!.kind as never, message);
  }
}

export function registerJobs(program: Command): void {
  const group = program.command("jobs").description("list, run and look back on [jobs]");

  group
    .command("list")
    .description("every job: schedule, next run, last run")
    .option("--json", "print JSON")
    .action((_options: unknown, command: Command) => {
      const config = configFor(command);
      return withDatabase(config, (database) => {
        const jobs = cliScheduler(config, database, runsNothing).list();
        if (commonOptions(command).json) return printJson({ jobs: jobs.map(jobInfoJson) });
        if (jobs.length === 0) return printLine(color.dim("no jobs; add a [jobs.<name>] table to the config"));
        const width = Math.max(...jobs.map((job) => job.name.length));
        for (const job of jobs) {
          const when = `${job.schedule}${job.timezone ? ` (${job.timezone})` : ""}`;
          const next = job.enabled ? `next ${job.nextRun?.toISOString() ?? "never"}` : color.dim("disabled");
          const last = job.lastRun
            ? `last ${STATUS_COLOR[job.lastRun.status](job.lastRun.status)} ${new Date(job.lastRun.startedAt).toISOString()} (job run #${job.lastRun.id})`
            : color.dim("never run");
          printLine(`${job.name.padEnd(width)}  ${when}  ${next}  ${last}${job.running ? `  ${color.cyan("running")}` : ""}`);
          printLine(color.dim(`${"".padEnd(width)}  steps: ${job.steps.join(" → ")}${job.continueOnError ? " (continue on error)" : ""}`));
        }
      });
    });

  group
    .command("run")
    .description("run a job now, here, and show each step's outcome (exit 1 when the job failed)")
    .argument("<name>", "the job, as named in [jobs.<name>]")
    .option("--json", "print the job run as JSON")
    .action((name: string, _options: unknown, command: Command) => runJobFromCli(name, command));

  group
    .command("history")
    .description("a job's runs, newest first, with their steps")
    .argument("<name>", "the job")
    .option("--limit <n>", "at most this many", "20")
    .option("--json", "print JSON")
    .action((name: string, options: { limit: string }, command: Command) => {
      const limit = positiveInteger("--limit", options.limit);
      const config = configFor(command);
      return withDatabase(config, (database) => {
        const runs = cliScheduler(config, database, runsNothing).history(name, limit);
        if (commonOptions(command).json) return printJson({ job: name, runs: runs.map(jobRunJson) });
        if (runs.length === 0) return printLine(color.dim(`job ${name} has not run yet`));
        for (const run of runs) {
          const error = run.error ? `  ${color.red(run.error.message)}` : "";
          printLine(`#${String(run.id).padEnd(5)} ${new Date(run.startedAt).toISOString()}  ${STATUS_COLOR[run.status](run.status.padEnd(11))} ${run.trigger.padEnd(8)} ${seconds(run.durationMs)}${error}`);
          printSteps(run.steps, "       ");
        }
      });
    });
}
