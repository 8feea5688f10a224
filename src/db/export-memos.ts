/** What an export wanted a host to be on its target, by the host's inputs (see exportMemos in schema.ts). */
export interface ExportMemo {
  /** The host's inputs, fingerprinted by the run (the host as sent, the rules, the plugin, the account's options). */
  input: string;
  /** The plugin's fingerprint of the host as those inputs want it on the target. */
  fingerprint: string;
}

/**
 * The memos of exports with phases (runs/export-hosts.ts), a target at a time: `target` names the plugin,
 * command and account. Read whole at a run's start, written once at its end.
 */
export interface ExportMemoRepository {
  /** A target's memos by hostname. */
  read(target: string): Map<string, ExportMemo>;
  /** Sets `set` (replacing a hostname's memo) and removes the memos of `gone`, in one transaction. */
  write(target: string, set: readonly (ExportMemo & { hostname: string })[], gone: readonly string[]): void;
}
