import type { PluginError } from "../core/errors.ts";
import type { AnswerCheck, AnswerFacts } from "./answers.ts";
import type { HttpPolicy } from "./host/http-client.ts";
import type { Manifest } from "./manifest/schema.ts";

/** Messages between the daemon and a sandbox process (headers of sandbox/frames.ts frames). */

export interface LoadMessage {
  type: "load";
  ident: string;
  /** The memory cap in 64 KiB pages, enforced by rewriting the module's memory maximum. */
  maxPages: number;
  permissions: Manifest["permissions"];
  /** Largest response a call may write, in bytes. */
  maxOutputBytes: number;
  /** For the key-value cache, events and host reads; absent when the plugin is granted none of them. */
  databasePath?: string;
}

/** Per call: what host functions need to know besides the request itself (the payload). */
export interface CallContext {
  /** HTTP policy; absent when the plugin has no HTTP permission. */
  http?: Omit<HttpPolicy, "log">;
  /** Log the plugin's HTTP requests (redacted) into the call's log. */
  debug: boolean;
  account: string | null;
  runId?: number;
  /** Absolute path of the file the command's file_option names, handed over by file_read. */
  file?: string;
  /** The ABI schema the answer must meet, checked in the sandbox process (answers.ts). */
  answer?: AnswerCheck;
  /** A page of hosts the sandbox process reads from the database itself and puts into the request. */
  hostRange?: HostRange;
  /** The config's secret values the request carries: redacted from what the plugin writes (log lines, errors, events). */
  secrets?: string[];
}

/**
 * The eligible hosts after `after` up to and including `through` (to the end when null), as a JSON
 * array inserted at byte `at` of the request: the daemon cuts the pages, and each sandbox reads its
 * own, so a page of hosts is neither read nor sent by the daemon.
 */
export interface HostRange {
  after: string;
  through: string | null;
  at: number;
}

export interface CallMessage {
  type: "call";
  id: number;
  export: string;
  context: CallContext;
}

export type ToSandbox = LoadMessage | CallMessage;

export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  message: string;
}

export interface CallStats {
  /** Time inside the plugin, in milliseconds. */
  ms: number;
  /** The instance's linear memory after the call, in bytes. */
  memoryBytes: number;
}

export interface ResultMessage {
  type: "result";
  id: number;
  ok: boolean;
  error?: PluginError;
  logs: LogLine[];
  /** Log lines dropped over the per-call limit. */
  droppedLogs: number;
  stats: CallStats;
  /** What the answer check (CallContext.answer) learnt of a good answer. */
  facts?: AnswerFacts;
}

export interface LoadedMessage {
  type: "loaded";
  ok: boolean;
  error?: PluginError;
  exports: string[];
}

export type FromSandbox = ResultMessage | LoadedMessage;
