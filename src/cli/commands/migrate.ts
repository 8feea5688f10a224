import type { Command } from "commander";
import { existsSync } from "node:fs";
import { commonOptions, configFor, knownMigrations, openStorage } from "../context.ts";
import { color, printJson, printLine } from "../output.ts";

export function registerMigrate(program: Command): void {
  program
    .command("migrate")
    .description("apply pending database migrations (serve also does this at start)")
    .option("--status", "only show what is applied and what is pending; change nothing")
    .option("--json", "print JSON")
    .action((options: { status?: boolean }, command: Command) => {
      const config = configFor(command);
      // --status changes nothing, so it does not create the database either: everything is pending.
      if (options.status && !existsSync(config.paths.database)) {
        const pending = knownMigrations();
        if (commonOptions(command).json) return printJson({ database: config.paths.database, exists: false, applied: [], pending, current: [] });
        printLine(`${config.paths.database}: no database yet, ${pending.length} pending (\`syncer migrate\` creates it)`);
        return;
      }
      const database = openStorage(config);
      try {
        const before = database.migrations.status();
        const applied = options.status ? [] : database.migrations.apply();
        const result = {
          database: config.paths.database,
          exists: true,
          applied,
          pending: options.status ? before.pending : [],
          current: [...before.applied, ...applied],
        };
        if (commonOptions(command).json) return printJson(result);
        if (options.status) {
          printLine(`${result.database}: ${before.applied.length} applied, ${result.pending.length} pending`);
          for (const tag of result.pending) printLine(`  pending ${tag}`);
        } else if (applied.length === 0) {
          printLine(`${result.database} is up to date (${result.current.length} migrations)`);
        } else {
          for (const tag of applied) printLine(`${color.green("applied")} ${tag}`);
          printLine(`${result.database} is up to date (${result.current.length} migrations)`);
        }
      } finally {
        database.close();
      }
    });
}
