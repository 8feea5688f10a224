import type { Command } from "commander";
import { maintenanceJson, runMaintenance } from "../../maintenance/retention.ts";
import { commonOptions, configFor, withDatabase } from "../context.ts";
import { color, printJson, printLine } from "../output.ts";

export function registerMaintenance(program: Command): void {
  program
    .command("maintenance")
    .description("apply [retention] now, as the daemon does daily: remove old runs, job runs, events, change-log entries (and deleted hosts, when set); close runs whose process is gone")
    .option("--json", "print JSON: {interrupted, removed, removed_before}")
    .action((_options: unknown, command: Command) => {
      const config = configFor(command);
      return withDatabase(config, async (database) => {
        const json = maintenanceJson(await runMaintenance(database, config.retention, Date.now()));
        if (commonOptions(command).json) return printJson(json);
        const { interrupted, removed, removed_before: before } = json;
        const retention = config.retention;
        printLine(`maintenance of ${config.paths.database}:`);
        printLine(`  ${interrupted.runs} runs and ${interrupted.job_runs} job runs of processes that are gone marked interrupted`);
        const line = (what: string, count: number, cutoff: string | null, key: keyof typeof retention) =>
          printLine(cutoff === null ? `  ${what}: kept for ever ${color.dim(`(retention.${key} is ${retention[key] === undefined ? "not set" : "0"})`)}` : `  ${what}: ${count} removed ${color.dim(`(older than ${retention[key]} days: before ${cutoff})`)}`);
        line("runs", removed.runs, before.runs, "runs_days");
        line("job runs", removed.job_runs, before.job_runs, "job_runs_days");
        line("events", removed.events, before.events, "events_days");
        line("change-log entries", removed.host_changes, before.host_changes, "host_changes_days");
        line("deleted hosts", removed.deleted_hosts, before.deleted_hosts, "deleted_hosts_days");
      });
    });
}
