import { Cron } from "croner";
import type { RetentionConfig } from "../config/schema.ts";
import type { Storage } from "../db/storage.ts";
import { asSyncerError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { maintenanceJson, runMaintenance, type MaintenanceReport } from "../maintenance/retention.ts";

/** When the daemon applies [retention]: daily at 03:17 local time, off the full hour where jobs cluster. */
export const MAINTENANCE_SCHEDULE = "17 3 * * *";

/**
 * The daemon's daily maintenance pass (what `syncer maintenance` does by hand), with the [retention] of
 * the config current at each pass. A pass never overlaps another; stop() waits for one under way to end
 * at its next batch, so the database can be closed after it.
 */
export class DailyMaintenance {
  private readonly cron: Cron;
  private running: Promise<MaintenanceReport | undefined> | undefined;
  private stopped = false;

  constructor(
    private readonly storage: Storage,
    private readonly retention: () => RetentionConfig,
    private readonly log: Logger,
    schedule = MAINTENANCE_SCHEDULE,
  ) {
    this.cron = new Cron(schedule, () => void this.run());
  }

  /** When the next pass is due. */
  nextRun(): Date | null {
    return this.cron.nextRun();
  }

  /** Runs a pass now (at `now`); undefined when one is under way already or maintenance has stopped. */
  async run(now: number = Date.now()): Promise<MaintenanceReport | undefined> {
    if (this.running || this.stopped) return undefined;
    this.running = this.pass(now);
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async pass(now: number): Promise<MaintenanceReport | undefined> {
    try {
      const report = await runMaintenance(this.storage, this.retention(), now, () => this.stopped);
      const json = maintenanceJson(report);
      const interrupted = json.interrupted.runs + json.interrupted.job_runs;
      const removed = Object.values(json.removed).reduce((sum, count) => sum + count, 0);
      if (interrupted + removed > 0) log(this.log, json);
      return report;
    } catch (error) {
      this.log.error(`maintenance failed: ${asSyncerError(error).message}`);
      return undefined;
    }
  }

  /** No more passes; resolves when the one under way, if any, has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cron.stop();
    await this.running;
  }
}

function log(logger: Logger, json: ReturnType<typeof maintenanceJson>): void {
  const { interrupted, removed } = json;
  logger.info("maintenance: old records removed ([retention])", {
    runs: removed.runs,
    job_runs: removed.job_runs,
    events: removed.events,
    host_changes: removed.host_changes,
    deleted_hosts: removed.deleted_hosts,
    interrupted_runs: interrupted.runs || undefined,
    interrupted_job_runs: interrupted.job_runs || undefined,
  });
}
