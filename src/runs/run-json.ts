import { COUNT_NAMES, type RunRecord } from "../db/runs.ts";

/** A run of the run log as JSON, as the CLI and the API answer it. */
export function runJson(run: RunRecord) {
  return {
    id: run.id,
    plugin: run.plugin,
    command: run.command,
    account: run.account,
    trigger: run.trigger,
    status: run.status,
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt?.toISOString() ?? null,
    duration_ms: run.durationMs,
    ...Object.fromEntries(COUNT_NAMES.map((name) => [name, run[name]])),
    error: run.errorKind ? { kind: run.errorKind, message: run.errorMessage } : null,
    details: run.details,
  };
}

