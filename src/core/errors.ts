/**
 * Errors are values with a kind and a message. Code below the edge throws or returns a SyncerError;
 * the edge (CLI, HTTP, run log) renders it once. `details` carries structured context (positions, paths)
 * and never a secret value.
 */
export type ErrorKind =
  | "config" // the config file is unreadable, malformed or invalid
  | "usage" // the command line is wrong
  | "database" // the database cannot be opened, migrated or written
  | "listen" // the HTTP server cannot bind its address
  | "io" // a file or directory cannot be read or written
  | "internal" // a bug: an unexpected exception
  | "validation" // a plugin returned records that fail the ABI's checks
  | "conflict" // hosts changed under a run, or a job is already running
  | "account_conflict" // an API write would take over a host that a master account owns
  | "delete_limit" // a run would delete more hosts than its account's delete_limit allows
  | "rejected" // a pre_ hook rejected a run's changes
  | "not_found" // a named host, run, account or command does not exist
  | "disabled" // the account or plugin is disabled
  | "unauthorized" // an API request without a valid bearer token
  | "forbidden" // an API token that lacks the scope a route needs
  | "rate_limited" // too many failed authentication attempts from one client
  | "interrupted" // a run's process stopped (or gave it up at shutdown) before it finished
  | PluginErrorKind;

/**
 * What can go wrong in or around a plugin call (ABI v1). The first six a plugin reports itself
 * through `fail(kind, message)`; the rest the host assigns.
 */
export const PLUGIN_ERROR_KINDS = [
  "options", // a missing or invalid option
  "connection", // the remote system cannot be reached
  "auth", // the remote system refused the credentials
  "parser", // data could not be parsed
  "runtime", // anything else the plugin detected
  "permission", // the plugin asked for something its manifest does not grant (an HTTP host, host writes…)
  "timeout", // the call overran its time limit; the sandbox was killed
  "oom", // the plugin hit its memory limit
  "trap", // the plugin trapped or aborted (with message, file and line when it was an abort)
  "crash", // the sandbox process died
  "abi", // the plugin broke the ABI: bad JSON, wrong version, missing export
  "manifest", // plugin.json is invalid
  "overloaded", // the call queue is full
] as const;
export type PluginErrorKind = (typeof PLUGIN_ERROR_KINDS)[number];

/** What a plugin call failed with, as the sandbox reports it and runs store it. */
export interface PluginError {
  kind: PluginErrorKind;
  message: string;
  details?: Record<string, unknown>;
}

export class SyncerError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "SyncerError";
  }
}

/** A failure the command has already shown (as JSON, say): the edge only turns it into exit code 1. */
export class ReportedFailure extends SyncerError {}

/** Wraps anything thrown into a SyncerError so the edge always has a kind to show. */
export function asSyncerError(error: unknown): SyncerError {
  if (error instanceof SyncerError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SyncerError("internal", message);
}

/** The `code` of a Node/Bun system error (ENOENT, EACCES, EADDRINUSE…), if any. */
export function systemErrorCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/** A short human reason for a system error, without a stack. */
export function describeSystemError(error: unknown): string {
  const code = systemErrorCode(error);
  const reasons: Record<string, string> = {
    ENOENT: "no such file or directory",
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    ENOTDIR: "a part of the path is not a directory",
    EISDIR: "is a directory",
    EROFS: "read-only file system",
    EADDRINUSE: "address already in use",
    EADDRNOTAVAIL: "address not available on this machine",
  };
  if (code && reasons[code]) return `${reasons[code]} (${code})`;
  return error instanceof Error ? error.message : String(error);
}
