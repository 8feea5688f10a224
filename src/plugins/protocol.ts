import type { PluginError } from "../core/errors.ts";
import type { AnswerCheck, AnswerFacts } from "./answers.ts";
import type { HttpPolicy } from "./host/http-client.ts";
import type { Manifest } from "./manifest/schema.ts";

/**
 * Messages between the daemon and a sandbox process: the headers of sandbox/frames.ts frames, each
 * with the sections it carries named beside it. A call is one request, answered by one result; the
 * sandbox runs calls one at a time in the order they came, and the daemon may send the next call while
 * one runs. While a call runs, the sandbox may ask the daemon for data (`HostCallMessage`), one
 * question at a time, each answered before the plugin goes on; frames that come meanwhile wait their
 * turn. The sandbox holds no database handle.
 */

/** Daemon → sandbox, first frame. Sections: `module` (the WebAssembly bytes). */
export interface LoadMessage {
  type: "load";
  ident: string;
  /** The memory cap in 64 KiB pages, enforced by rewriting the module's memory maximum. */
  maxPages: number;
  permissions: Manifest["permissions"];
  /** Largest response a call may write, in bytes. */
  maxOutputBytes: number;
}

/** Per call: what host functions need to know besides the request itself. */
export interface CallContext {
  /** HTTP policy; absent when the plugin has no HTTP permission. */
  http?: Omit<HttpPolicy, "log">;
  /** Log the plugin's HTTP requests (redacted) into the call's log. */
  debug: boolean;
  account: string | null;
  runId?: number;
  /**
   * Absolute path of the file the command's file_option names, handed over by file_read. The daemon
   * reads it and sends it in a FileMessage before the call: the sandbox opens no file by path.
   */
  file?: string;
  /** The ABI schema the answer must meet, checked in the sandbox process (answers.ts). */
  answer?: AnswerCheck;
  /** The config's secret values the request carries: redacted from what the plugin writes (log lines, errors, events). */
  secrets?: string[];
}

/**
 * Daemon → sandbox. Sections: `request` (the ABI request, UTF-8 JSON) and, for an inventory page,
 * `hostnames` (the page's hostnames, newline-separated: an answer may key only these hosts).
 */
export interface CallMessage {
  type: "call";
  id: number;
  export: string;
  context: CallContext;
}

/** The host functions whose data lives with the daemon. */
export type HostCallName = "kv_get" | "kv_set" | "kv_contains" | "kv_keys" | "kv_delete" | "kv_flush" | "event_emit" | "hosts_read";

/** Sandbox → daemon, during call `id`. Sections: `body` (the function's request, UTF-8 JSON). */
export interface HostCallMessage {
  type: "host_call";
  id: number;
  name: HostCallName;
}

/** Daemon → sandbox, the answer to the host call in flight. Sections: `body` (UTF-8 JSON) when ok. */
export interface HostAnswerMessage {
  type: "host_answer";
  ok: boolean;
  /** Why the daemon could not answer; the plugin gets it as its host call's error. */
  error?: string;
}

/**
 * Daemon → sandbox, before a call that hands over a file (CallContext.file), when the sandbox has not
 * been sent this file as it is now. Sections: `file` (its bytes) unless `error` says why it could not be read.
 */
export interface FileMessage {
  type: "file";
  path: string;
  error?: string;
}

export type ToSandbox = LoadMessage | FileMessage | CallMessage | HostAnswerMessage;

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

/** Sandbox → daemon. Sections: `output` (the answer, in the form its check sends on) when ok. */
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

/** Sandbox → daemon, once the module is loaded or could not be. */
export interface LoadedMessage {
  type: "loaded";
  ok: boolean;
  error?: PluginError;
  exports: string[];
  /** What confines the sandbox process besides the wasm sandbox (sandbox/confine.ts). */
  confinement: Confinement;
}

/**
 * What confines a sandbox process: in force, in its "loaded" message; what a sandbox would get on this
 * machine, from `syncer version`.
 */
export interface Confinement {
  noNewPrivs: boolean;
  landlock: { abi: number } | { unavailable: string };
}

export type FromSandbox = ResultMessage | LoadedMessage | HostCallMessage;
