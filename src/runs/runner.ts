import { asSyncerError, SyncerError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { redact } from "../core/redact.ts";
import type { Account } from "../plugins/options.ts";
import type { Plugin } from "../plugins/plugin.ts";
import type { PluginRuntime } from "../plugins/runtime.ts";
import type { Setup } from "../plugins/setup.ts";
import type { Storage } from "../db/storage.ts";
import { exportHosts } from "./export-hosts.ts";
import { Hooks } from "./hooks.ts";
import { MAX_DETAILS, RunLog, zeroCounts, type RunDetail } from "./run-log.ts";
import type { RunReport, RunRequest, RunScope } from "./scope.ts";
import { syncHosts } from "./sync-hosts.ts";
import { resolveTarget } from "../plugins/target.ts";

/** Host-writing runs one at a time: their plans are made against what the previous one wrote. */
export class WriteQueue {
  private last: Promise<unknown> = Promise.resolve();

  turn<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.last.then(work);
    this.last = turn.catch(() => undefined);
    return turn;
  }
}

/**
 * Runs plugin commands as sync runs: resolves what the request names, writes the run-log row (not for
 * dry runs, which write nothing), dispatches on the command's kind, and records the outcome. A failed
 * run is a report with status "failed", not a throw; only a request naming nothing runnable throws.
 */
export class Runner {
  private readonly runLog: RunLog;

  constructor(
    private readonly setup: Setup,
    private readonly runtime: PluginRuntime,
    private readonly storage: Storage,
    private readonly log: Logger,
    /** Host-writing runs take turns; runners of one daemon share the queue across config reloads. */
    private readonly writeQueue: WriteQueue = new WriteQueue(),
  ) {
    this.runLog = new RunLog(storage);
  }

  async run(request: RunRequest): Promise<RunReport> {
    const { plugin, account } = resolveTarget(this.setup, request);
    const kind = plugin.manifest.commands[request.command]!.kind;
    if (kind !== "import" && kind !== "inventorize") return this.execute(request, plugin, account);
    return this.writeQueue.turn(() => this.execute(request, plugin, account));
  }

  private async execute(request: RunRequest, plugin: Plugin, account: Account | undefined): Promise<RunReport> {
    const startedAt = Date.now();
    const started = performance.now();
    const kind = plugin.manifest.commands[request.command]!.kind;
    const dryRun = request.dryRun ?? false;
    const trigger = request.trigger ?? "cli";
    const report: RunReport = {
      id: dryRun ? null : this.runLog.start({ plugin: plugin.ident, command: request.command, account: account?.name ?? null, trigger, startedAt }),
      plugin: plugin.ident,
      command: request.command,
      kind,
      account: account?.name ?? null,
      trigger,
      dryRun,
      status: "ok",
      startedAt,
      durationMs: 0,
      counts: zeroCounts(),
      details: [],
    };
    let dropped = 0;
    const addDetail = (level: RunDetail["level"], message: string) => {
      if (report.details.length < MAX_DETAILS) report.details.push({ level, message });
      else dropped++;
    };
    const scope: RunScope = {
      setup: this.setup,
      runtime: this.runtime,
      hosts: this.storage.hosts,
      targetState: () => this.storage.targetState(),
      exportMemos: this.storage.exportMemos,
      hooks: new Hooks(this.setup, this.runtime),
      plugin,
      command: request.command,
      account,
      request,
      report,
      addDetail,
      lastSuccess: () => this.storage.runs.list({ plugin: plugin.ident, command: request.command, ...(account ? { account: account.name } : {}), status: "ok", ...(report.id === null ? {} : { before: report.id }), limit: 1 })[0]?.startedAt.getTime() ?? null,
      addLogs: (lines, droppedLogs) => {
        for (const line of lines) addDetail(line.level, line.message);
        dropped += droppedLogs;
      },
    };
    try {
      if (kind === "import" || kind === "inventorize") {
        await syncHosts(scope);
      } else if (kind === "export") {
        await exportHosts(scope);
      } else {
        const result = await this.runtime.call(plugin, request.command, {
          account,
          pluginOptions: this.setup.pluginOptions.get(plugin.ident),
          input: request.input,
          dryRun,
          debug: request.debug,
          runId: report.id ?? undefined,
        });
        scope.addLogs(result.logs, result.droppedLogs);
        if (!result.ok) throw new SyncerError(result.error.kind, `${plugin.ident} ${request.command}: ${result.error.message}`);
        report.value = result.value;
      }
    } catch (error) {
      const failure = asSyncerError(error);
      report.status = "failed";
      report.error = { kind: failure.kind, message: failure.message };
      if (failure.kind === "internal") this.log.error("run failed with an internal error", { run: report.id, error: error instanceof Error ? error.stack : String(error) });
    }
    // A failed run wrote nothing: counts of a plan that was rolled back would mislead.
    if (report.status === "failed" && kind !== "export") report.counts = zeroCounts();
    if (dropped > 0) report.details.push({ level: "warn", message: `${dropped} more detail lines were dropped` });
    redactReport(report);
    report.durationMs = performance.now() - started;
    if (report.id !== null) {
      this.runLog.finish(report.id, { plugin: report.plugin, command: report.command, account: report.account, trigger }, { status: report.status, finishedAt: Date.now(), durationMs: report.durationMs, counts: report.counts, details: report.details, error: report.error });
    }
    return report;
  }
}

/**
 * The one place a run's texts are redacted, before the run log stores them and the CLI, the API and job
 * runs read them: plugin log lines, per-host messages and error messages may carry a secret of the config.
 */
function redactReport(report: RunReport): void {
  report.details = report.details.map((detail) => ({ level: detail.level, message: redact(detail.message) }));
  if (report.error) report.error = { kind: report.error.kind, message: redact(report.error.message) };
}
