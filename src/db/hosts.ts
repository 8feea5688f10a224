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

/** Where a staged host came from: the plugin's page and its record in it (both from 0), and the row the record names. */
export interface StagedOrigin {
  page: number;
  index: number;
  row?: number;
}

/**
 * What a run decided for one host (src/inventory/plan.ts), staged until its write: maps as JSON text.
 * `host` is the stored host the decision was made against; the write fails (kind conflict) if it has
 * changed since.
 */
export type StagedHost =
  | {
      action: "create";
      hostname: string;
      origin?: StagedOrigin;
      account: string;
      labels: string;
      inventory: string;
      /** Its change-log entry, when the writer keeps one for creations. */
      changes?: string;
    }
  | {
      action: "update";
      hostname: string;
      origin?: StagedOrigin;
      host: ExistingHost;
      account: string | null;
      labels: string;
      inventory: string;
      /** Whether the labels change (the label index follows them). */
      labelsChanged: boolean;
      changes: string;
    }
  | { action: "unchanged"; hostname: string; origin?: StagedOrigin; hostId: number }
  | { action: "skipped"; hostname: string; origin?: StagedOrigin; reason: string; owner?: string }
  | { action: "delete"; hostname: string; origin?: StagedOrigin; host: ExistingHost; reason: string; changes: string };

export type StagedAction = StagedHost["action"];

/** A record of an import's page as the staging hands it to the plan: its fields as JSON text, as they came. */
export interface PageRecord {
  hostname: string;
  /** Its place in the page, from 0. */
  index: number;
  row: number | null;
  labels: string;
  inventory: string | null;
}

/** A hostname staged twice, with where each came from. */
export interface StagedDuplicate {
  hostname: string;
  first?: StagedOrigin;
  second?: StagedOrigin;
}

/**
 * One run's decisions, gathered on disk as its pages arrive (not in memory), then written in one short
 * transaction: all of them or none. Closing it removes what was staged; a run that fails or stops
 * before `apply` has written nothing. Hostnames are unique in it: a second one is refused.
 */
export interface HostStaging {
  /** As HostRepository.existing, read on the staging's own connection: a run's million lookups leave the shared connection's cache alone. */
  existing(hostnames: string[]): Map<string, ExistingHost>;
  /** Stages hosts in order; at the first hostname staged already, stops and answers both places. */
  add(hosts: StagedHost[]): StagedDuplicate | undefined;
  /**
   * Stages a page of an import at once, looked up and decided where the stored host settles it: its
   * records as JSON text in UTF-8 bytes (as the sandbox sent them: never decoded here), an array of `{hostname, labels?, inventory?, row?}` with hostnames as they are
   * kept and labels and inventory as canonical JSON (JSON.stringify's text). A record whose hostname is not stored is created, owned by
   * `account`, with its labels as given and its inventory namespaced; one of
   * a live host that `account` owns, with labels of the same text and no inventory or the stored inventory's
   * text namespaced, is unchanged. Every other record goes to `plan`, in order, with the stored
   * host, and what it decides is staged. Answers how many records were staged, or undefined, staging
   * nothing, when a hostname of the page was staged already: then stage the page host by host with
   * `add`, which finds where. `withInventory` false: no record of the page has inventory.
   */
  addPage(page: number, records: Uint8Array, account: string, plan: (record: PageRecord, existing: ExistingHost | undefined) => StagedHost, withInventory?: boolean): number | undefined;
  /** How many live hosts `account` owns, and how many of them nothing staged names. */
  missing(account: string): { owned: number; missing: number };
  /** Stages those missing hosts as deletions with `reason` and change-log entry `changes`; how many. */
  stageMissing(account: string, reason: string, changes: string): number;
  /** How many hosts are staged for each action. */
  counts(): Record<StagedAction, number>;
  /** The staged hosts with one of `actions`, in the order they were staged, up to `size` at a time. */
  entries(actions: readonly StagedAction[], size: number): Generator<StagedHost[]>;
  /** Stages these decisions in place of those staged for the same hostnames (hooks rewrote them). */
  replace(hosts: StagedHost[]): void;
  /** Takes these hostnames out of the run (hooks dropped their changes). */
  remove(hostnames: string[]): void;
  /**
   * Writes what is staged in one transaction: creates, updates (the owner, labels and inventory; a deleted
   * host is restored), deletions (soft), when hosts were last seen (updated and unchanged ones), the label
   * index, the host events (host.created, host.changed, host.deleted), and when `changeLogLimit` > 0 the change log, each changed host keeping its newest
   * `changeLogLimit` entries. A host changed or created by someone else since it was staged fails the whole
   * write (kind conflict): nothing is overwritten unseen. `runId` marks the created hosts and the log entries.
   */
  apply(runId: number | null, now: number, changeLogLimit: number): void;
  /** Removes the staging. Safe to call more than once. */
  close(): void;
}

/**
 * A page of exported hosts: a JSON array of host views ({hostname, account, labels, inventory}) in UTF-8,
 * its size, its hostnames (UTF-8, one a line) and its last hostname.
 */
export interface EligiblePage {
  json: Uint8Array;
  count: number;
  hostnames: Uint8Array;
  last: string | null;
  /**
   * With eligibleReader's `memos`, in page order, comma-separated: `sizes`, each host's JSON's length in UTF-8
   * bytes; `memos`, each host's export memo as "input fingerprint", "" for a host without one.
   */
  memos?: { sizes: string; memos: string };
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
  lifecycle?: LifecycleState;
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

/** Pages of the exported hosts read one after another on a connection of their own (bulk reads leave the shared one's cache alone). */
export interface EligibleReader {
  /** Up to `limit` exported hosts after `after`, by hostname (as HostRepository.eligiblePage). */
  page(after: string, limit: number): EligiblePage;
  close(): void;
}

export interface HostRepository {
  // --- runs: what they read before deciding, and their writes

  /** The hosts among `hostnames` that exist (deleted ones too), by hostname. */
  existing(hostnames: string[]): Map<string, ExistingHost>;
  /** A staging for one run's writes (see HostStaging); close it when done. */
  stage(): HostStaging;
  /** Sets a host's lifecycle state (only active hosts are exported), logging the change and its event host.lifecycle. False: no such host. */
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
  /**
   * A reader for all of them, page by page (an export, an inventory); close it when done. With `memos` (an
   * export memo's target, see ExportMemoRepository), pages carry where each host's JSON ends and its memo.
   */
  eligibleReader(options?: { memos?: string }): EligibleReader;

  // --- the CLI's and the API's reads

  /**
   * Live (or with `deleted`, deleted) hosts by hostname, filtered; `next` is the cursor of the next page, if
   * any. Every answer costs bounded work: a filter that matches few of a large inventory's hosts may answer
   * fewer than `limit` (even none) with `next` set, where the search goes on.
   */
  list(filter: HostFilter): { hosts: HostRow[]; next: string | null };
  get(hostname: string): HostRow | undefined;
  /**
   * A stamp that changes whenever the hosts may have changed (a write of this process, a commit of another
   * within a millisecond): what is computed from the whole inventory is kept beside it until it moves.
   */
  version(): string;
  /**
   * The host and its newest 50 changes as the API's JSON text (hostJson's shape plus `changes`), or
   * undefined. The API's hottest read: implementations may keep rendered hosts until the data changes.
   */
  json(hostname: string): string | undefined;
  /** A host's change log, newest first. */
  changes(hostId: number, limit?: number): HostChangeRow[];
  /** Hostnames of the hosts one run created, newest first, up to `limit`. */
  createdBy(runId: number, limit: number): string[];
  /** What one run changed, host by host in the order it wrote them, up to `limit` entries. */
  runChanges(runId: number, limit: number): { hostname: string; at: Date; changes: HostChanges }[];
}
