import type { HostRepository } from "../db/hosts.ts";
import type { TargetStateStore } from "../db/target-state.ts";
import type { ExportMemoRepository } from "../db/export-memos.ts";
import type { Account } from "../plugins/options.ts";
import type { Plugin } from "../plugins/plugin.ts";
import type { PluginRuntime } from "../plugins/runtime.ts";
import type { LogLine } from "../plugins/protocol.ts";
import type { Setup } from "../plugins/setup.ts";
import type { Hooks } from "./hooks.ts";
import type { RunCounts, RunDetail } from "./run-log.ts";

/** What to run: `syncer run <plugin> <command> [account]` and its flags, or a job step, or an API call. */
export interface RunRequest {
  plugin: string;
  command: string;
  account?: string;
  /** Compute and report everything, write nothing. */
  dryRun?: boolean;
  /** Log the plugin's HTTP requests (redacted) into the run's details. */
  debug?: boolean;
  /** Go past an account's delete_limit. */
  force?: boolean;
  /** What started the run: cli, api, a job name. */
  trigger?: string;
  /** An action command's input. */
  input?: unknown;
  onProgress?: (progress: { page: number; records: number }) => void;
}

/** What a run did: the run-log row's content, plus what the CLI and API show. */
export interface RunReport {
  /** The run-log row; null for dry runs, which write nothing. */
  id: number | null;
  plugin: string;
  command: string;
  kind: string;
  account: string | null;
  trigger: string;
  dryRun: boolean;
  status: "ok" | "failed";
  startedAt: number;
  durationMs: number;
  counts: RunCounts;
  details: RunDetail[];
  error?: { kind: string; message: string };
  /** Import and inventorize dry runs: every change. */
  diff?: unknown;
  /** Export dry runs: the hosts that would be sent. */
  wouldSend?: unknown[];
  /** Action commands: the plugin's answer. */
  value?: unknown;
}

/** Everything one run's steps share. */
export interface RunScope {
  setup: Setup;
  runtime: PluginRuntime;
  hosts: HostRepository;
  /** A scratch store for an export target's hosts (export phases), closed by the caller. */
  targetState: () => TargetStateStore;
  /** What exports with phases wanted each host to be on their targets (runs/export-memo.ts). */
  exportMemos: ExportMemoRepository;
  hooks: Hooks;
  plugin: Plugin;
  command: string;
  account: Account | undefined;
  request: RunRequest;
  report: RunReport;
  /** When the account's last successful (not dry) run of this command started, Unix ms; null when it has none. */
  lastSuccess(): number | null;
  addLogs(lines: LogLine[], dropped: number): void;
  addDetail(level: RunDetail["level"], message: string): void;
}
