/** What an export wanted a host to be on its target, by the host's inputs (see exportMemos in schema.ts). */
export interface ExportMemo {
  /** The host's inputs, fingerprinted by the run (the host as sent, the rules, the plugin, the account's options). */
  input: string;
  /** The plugin's fingerprint of the host as those inputs want it on the target. */
  fingerprint: string;
}

/**
 * The memos of exports with phases (runs/export-hosts.ts), a target at a time: `target` names the plugin,
 * command and account. An export reads them with its pages (HostRepository.eligibleReader's `memos`) and
 * writes what it learnt once at its end.
 */
export interface ExportMemoRepository {
  /** A target's memos by hostname (for tests and tools; a run reads them with its pages). */
  read(target: string): Map<string, ExportMemo>;
  /** How many memos a target has. */
  count(target: string): number;
  /** Sets `set`, replacing a hostname's memo, in one transaction. */
  write(target: string, set: readonly (ExportMemo & { hostname: string })[]): void;
  /** Removes a target's memos of hosts that are no longer exported (deleted, not active, gone). */
  prune(target: string): void;
}
