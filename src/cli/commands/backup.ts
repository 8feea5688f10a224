import type { Command } from "commander";
import { resolve } from "node:path";
import { backupDatabase, commonOptions, configFor } from "../context.ts";
import { printJson, printLine } from "../output.ts";

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function registerBackup(program: Command): void {
  program
    .command("backup")
    .description("write a consistent copy of the database to a file, also while the daemon runs; the copy is checked before it is put in place")
    .argument("<destination>", "the backup file to write (its directory must exist)")
    .option("--force", "replace the destination if it exists")
    // A timer or a root shell may not have what the config needs (systemd credentials, $STATE_DIRECTORY).
    .option("--database <path>", "back up this database file instead of the config's (the config is then not read)")
    .option("--json", "print JSON")
    .action((destination: string, options: { force?: boolean; database?: string }, command: Command) => {
      const database = options.database ? resolve(options.database) : configFor(command).paths.database;
      const report = backupDatabase(database, destination, { force: options.force });
      if (commonOptions(command).json) return printJson(report);
      printLine(`backed up ${database} to ${report.path} (${megabytes(report.bytes)}, integrity ok)`);
      printLine(`  ${report.hosts} hosts, ${report.runs} runs, migration ${report.migration ?? "none"}`);
    });
}
