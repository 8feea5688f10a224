/**
 * What an export target holds, as the export's begin phase read it: kept for one run, then dropped
 * (runs/export-hosts.ts). Each page of the export takes the entries of its hosts; the owned entries no page
 * took are what the target has and Syncer no longer exports, the finish phase's deletions.
 */
export interface TargetStateStore {
  /** Keeps a page of the target's hosts; a hostname kept already is a `validation` error naming it. */
  add(hosts: readonly TargetEntry[]): void;
  /** The kept states (JSON text) of those of `hostnames` the target has, by hostname; marks every one of `hostnames` taken. */
  take(hostnames: readonly string[]): Map<string, string>;
  /** The fingerprints of those of `hostnames` the target has, owns and fingerprinted, by hostname; takes none. */
  ownedFingerprints(hostnames: readonly string[]): Map<string, string>;
  /** Owned entries no page took, by hostname after `after`, `limit` at most. */
  untakenOwned(after: string, limit: number): { hostname: string; state: string }[];
  /** How many entries are owned, and how many of those no page took. */
  ownedCounts(): { owned: number; untaken: number };
  close(): void;
}

export interface TargetEntry {
  hostname: string;
  /** Whether Syncer owns the host on the target: only owned hosts are ever deleted. */
  owned: boolean;
  /** The plugin's own record of the host, JSON text, handed back to it as it was. */
  state: string;
  /** What the target holds of the host, fingerprinted by the plugin (ABI v1 `fingerprint`), if it said. */
  fingerprint?: string;
}
