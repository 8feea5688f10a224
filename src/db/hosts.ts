import type { LifecycleState } from "../core/hosts.ts";

/**
 * The inventory's storage: hosts with their labels and namespaced inventory, when each was last seen, the
 * index by label, and each host's change log. Labels and inventory are flat maps, kept as JSON text; the
 * hot paths hand that text on unparsed (a page of hosts for a plugin, a host for the API).
 */

/** Labels or inventory: a flat map (inventory keys are `<namespace>__<field>`). */
export type HostMap = Record<string, unknown>;

/** {field: {old, new}} for labels, inventory, account, created, deleted, restored, lifecycle. */
export type HostChanges = Record<string, { old: unknown; new: unknown }>;

/** A host as a run sees it before deciding what to do. Labels and inventory stay JSON text until needed. */
export interface ExistingHost {
  id: number;
  hostname: string;
  account: string | null;
  labelsText: string;
  inventoryText: string;
  deletedAt: number | null;
  lastChanged: number;
}

/** One host to write, as decided by a plan (src/inventory/plan.ts). */
export type HostWrite =
  | {
      action: "create";
      hostname: string;
      account: string;
      labels: HostMap;
      inventory: HostMap;
      /** Its change-log entry, when the writer keeps one for creations. */
      changes?: HostChanges;
    }
  | {
      action: "update";
      id: number;
      /** The host's last_changed when the plan was made: the write fails if someone changed it since. */
      lastChanged: number;
      account: string | null;
      labels: HostMap;
      inventory: HostMap;
      /** The labels before, when they change (to update the label index). */
      oldLabels: HostMap | null;
      changes: HostChanges;
    }
  | { action: "delete"; id: number; lastChanged: number; reason: string };

export interface WriteSet {
  writes: HostWrite[];
  /** Hosts seen unchanged: only their last_seen moves. */
  touched: number[];
}

/** A page of exported hosts as a JSON array of host views ({hostname, account, labels, inventory}), its size, its hostnames and its last hostname. */
export interface EligiblePage {
  json: string;
  count: number;
  hostnames: string[];
  last: string | null;
}

/** A host as the CLI and the API read it. */
export interface HostRow {
  id: number;
  hostname: string;
  account: string | null;
  labels: Record<string, string>;
  inventory: Record<string, unknown>;
  lifecycle: LifecycleState;
  firstSeen: Date;
  lastSeen: Date | null;
  /** Set only when labels, inventory, owner or lifecycle really changed. */
  lastChanged: Date;
  deletedAt: Date | null;
  deleteReason: string | null;
  /** The run that created the host, if a run did. */
  createdRun: number | null;
}

/** One entry of a host's change log. */
export interface HostChangeRow {
  id: number;
  hostId: number;
  runId: number | null;
  at: Date;
  changes: HostChanges;
}

export interface HostFilter {
  account?: string;
  /** Every label must match (key = value). */
  labels?: Record<string, string>;
  /** A substring of the hostname. */
  search?: string;
  /** Deleted hosts instead of live ones. */
  deleted?: boolean;
  /** Hostname cursor: hosts after this one. */
  after?: string;
  limit: number;
}

/** What a purge removed (or, in a dry run, would remove). */
export interface PurgeResult {
  /** The purged hosts' names, sorted. */
  hostnames: string[];
  /** Their change-log entries, removed with them. */
  changes: number;
}

export interface HostRepository {
  // --- runs: what they read before deciding, and their writes

  /** The hosts among `hostnames` that exist (deleted ones too), by hostname. */
  existing(hostnames: string[]): Map<string, ExistingHost>;
  /** The live (not deleted) hosts an account owns. */
  ownedBy(account: string): ExistingHost[];
  /** How many hosts an account owns, deleted ones included. */
  ownedCount(account: string): number;
  /**
   * The id and labels JSON of each live host an account owns, by hostname: all a re-import needs to see
   * that a host is unchanged.
   */
  ownedLabels(account: string): Map<string, [hostname: string, id: number, labelsText: string]>;
  /**
   * Writes a plan's changes in one transaction: all or nothing. A host changed by someone else since the
   * plan was made fails the whole write (kind conflict), so nothing is overwritten unseen. Change-log
   * entries are written when `changeLogLimit` > 0, and each changed host keeps its newest `changeLogLimit`.
   */
  write(set: WriteSet, runId: number | null, now: number, changeLogLimit: number): void;
  /** Sets a host's lifecycle state (only active hosts are exported), logging the change. False: no such host. */
  setLifecycle(hostname: string, state: LifecycleState, now: number, runId?: number | null): boolean;
  /**
   * Removes for good the hosts soft-deleted before `before` (Unix ms): their rows, change logs, last-seen
   * times and label-index entries. One transaction; `dryRun` only counts.
   */
  purgeDeleted(before: number, options?: { dryRun?: boolean }): PurgeResult;

  // --- exports and inventories

  /**
   * One page of the hosts that are exported (active, not deleted), by hostname after `after`, as JSON text
   * made from the stored text: nothing is parsed on the way to a plugin. With `hostname`, only that host.
   */
  eligiblePage(after: string, limit: number, hostname?: string): EligiblePage;

  // --- the CLI's and the API's reads

  /** Live (or with `deleted`, deleted) hosts by hostname, filtered; `next` is the cursor of the next page, if any. */
  list(filter: HostFilter): { hosts: HostRow[]; next: string | null };
  get(hostname: string): HostRow | undefined;
  /**
   * The host and its newest 50 changes as the API's JSON text (hostJson's shape plus `changes`), or
   * undefined. The API's hottest read: implementations may keep rendered hosts until the data changes.
   */
  json(hostname: string): string | undefined;
  /** A host's change log, newest first. */
  changes(hostId: number, limit?: number): HostChangeRow[];
}
