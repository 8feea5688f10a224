import type { Command } from "commander";
import { RUN_STATUSES, type RunStatus } from "../../db/runs.ts";
import { SyncerError } from "../../core/errors.ts";
import { COUNT_NAMES } from "../../runs/run-log.ts";
import { commonOptions, configFor, positiveInteger, withDatabase } from "../context.ts";
import { color, printJson, printLine } from "../output.ts";
import { runJson } from "../../runs/run-json.ts";

/** Status colours of runs and job runs (the same four states). */
export const STATUS_COLOR: Record<RunStatus, (text: string) => string> = { ok: color.green, failed: color.red, running: color.cyan, interrupted: color.yellow };

export function registerRuns(program: Command): void {
  const group = program.command("runs").description("show the run log");

  group
    .command("list")
    .description("recent runs, newest first")
    .option("--plugin <ident>")
    .option("--account <name>")
    .option("--status <status>", `one of ${RUN_STATUSES.join(", ")}`)
    .option("--before <id>", "runs older than this one (paging)")
    .option("--limit <n>", "at most this many", "20")
    .option("--json", "print JSON")
    .action((options: { plugin?: string; account?: string; status?: string; before?: string; limit: string }, command: Command) => {
      if (options.status && !(RUN_STATUSES as readonly string[]).includes(options.status)) throw new SyncerError("usage", `--status ${options.status}: one of ${RUN_STATUSES.join(", ")}`);
      const limit = positiveInteger("--limit", options.limit);
      return withDatabase(configFor(command), ({ runs }) => {
        const rows = runs.list({ plugin: options.plugin, account: options.account, status: options.status as RunStatus, before: options.before ? Number(options.before) : undefined, limit });
        if (commonOptions(command).json) return printJson({ runs: rows.map(runJson) });
        if (rows.length === 0) return printLine(color.dim("no runs yet"));
        for (const run of rows) {
          const counts = COUNT_NAMES.filter((name) => run[name] > 0).map((name) => `${run[name]} ${name}`).join(", ") || "no changes";
          const target = `${run.plugin} ${run.command}${run.account ? ` ${run.account}` : ""}`;
          const error = run.errorMessage ? `  ${color.red(run.errorMessage)}` : "";
          printLine(`#${String(run.id).padEnd(5)} ${run.startedAt.toISOString()}  ${STATUS_COLOR[run.status](run.status.padEnd(11))} ${target}  ${color.dim(counts)}${error}`);
        }
      });
    });

  group
    .command("show")
    .description("one run: counts, error and details (plugin log, skipped hosts, hook and export messages)")
    .argument("<id>")
    .option("--json", "print JSON")
    .action((id: string, _options: unknown, command: Command) =>
      withDatabase(configFor(command), ({ runs }) => {
        const run = Number.isInteger(Number(id)) ? runs.get(Number(id)) : undefined;
        if (!run) throw new SyncerError("not_found", `no run ${JSON.stringify(id)}`);
        const json = runJson(run);
        if (commonOptions(command).json) return printJson(json);
        printLine(`${color.bold(`run #${run.id}`)}  ${run.plugin} ${run.command}${run.account ? ` ${run.account}` : ""}  ${STATUS_COLOR[run.status](run.status)}`);
        printLine(`  started   ${json.started_at} (${run.trigger})`);
        if (run.durationMs !== null) printLine(`  duration  ${(run.durationMs / 1000).toFixed(2)} s`);
        printLine(`  counts    ${COUNT_NAMES.map((name) => `${run[name]} ${name}`).join(", ")}`);
        if (run.errorKind) printLine(`  error     ${color.red(`${run.errorKind}: ${run.errorMessage}`)}`);
        for (const detail of run.details as { level: string; message: string }[]) printLine(`  ${detail.level.padEnd(5)} ${detail.message}`);
      }),
    );
}
