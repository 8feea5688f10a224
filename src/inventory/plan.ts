import type { HostChange, HostRecord } from "../plugins/abi.ts";
import type { ExistingHost, StagedHost, StagedOrigin } from "../db/hosts.ts";
import { MANUAL_OWNER } from "../core/hosts.ts";
import { mapDiff, namespaceOf, replaceNamespace, sameMap, type FlatMap } from "./maps.ts";

/**
 * What a run will do to each host it saw: CMDBSyncer's semantics. An import takes a host that has no
 * owner or is its own, takes it over from another owner unless that owner is a master account, or is
 * the manual owner and the importer no master account (then the host is skipped and counted), and
 * replaces its labels as a whole and its own inventory namespace.
 * An inventorize command sets only its namespace of hosts that exist. Nothing is written here.
 */


export interface PlanContext {
  kind: "import" | "inventorize";
  /** The account of the run: the owner of what it imports and the namespace of its inventory. */
  account: string;
  /** Accounts with is_master: what they own is never taken over. */
  masters: ReadonlySet<string>;
}

export interface HostState {
  labels: FlatMap;
  inventory: FlatMap;
}

export type PlanEntry =
  | {
      action: "create";
      hostname: string;
      row?: number;
      account: string;
      state: HostState;
      /** The labels' JSON text when the plugin's record gave it (an import's create): staged as it is. */
      labelsText?: string;
    }
  | {
      action: "update";
      hostname: string;
      row?: number;
      host: ExistingHost;
      /** The host's state before this run, parsed once. */
      before: HostState;
      account: string | null;
      state: HostState;
      labelsChanged: boolean;
      changes: Record<string, { old: unknown; new: unknown }>;
    }
  | { action: "unchanged"; hostname: string; hostId: number }
  | { action: "skipped"; hostname: string; row?: number; reason: string; owner?: string }
  | { action: "delete"; hostname: string; host: ExistingHost; reason: string };

/** The current state of an existing host, parsed. */
export function stateOf(host: ExistingHost): HostState {
  return { labels: JSON.parse(host.labelsText) as FlatMap, inventory: JSON.parse(host.inventoryText) as FlatMap };
}

/** Compares an existing host (`current`: its parsed state) with what it should become: an update naming every change, or unchanged. */
export function compare(host: ExistingHost, current: HostState, account: string | null, next: HostState, row?: number): PlanEntry {
  const changes: Record<string, { old: unknown; new: unknown }> = {};
  if (host.account !== account) changes.account = { old: host.account, new: account };
  if (host.deletedAt !== null) changes.restored = { old: "deleted", new: "active" };
  const labelsChanged = !sameMap(current.labels, next.labels);
  if (labelsChanged) changes.labels = mapDiff(current.labels, next.labels);
  if (!sameMap(current.inventory, next.inventory)) changes.inventory = mapDiff(current.inventory, next.inventory);
  if (Object.keys(changes).length === 0) return { action: "unchanged", hostname: host.hostname, hostId: host.id };
  return { action: "update", hostname: host.hostname, row, host, before: current, account, state: next, labelsChanged, changes };
}

/**
 * The common case of a re-import, decided without parsing: for a live host the importing account
 * owns, no inventory in the record and labels byte-identical to the stored JSON mean no change.
 */
export function unchangedReimport(record: HostRecord & { labelsText?: string }, storedLabels: string): boolean {
  return record.inventory === undefined && (record.labelsText ?? JSON.stringify(record.labels ?? {})) === storedLabels;
}

/** Decides what one record of a page does. `existing` is the host of that name, if any. */
export function planRecord(record: HostRecord, existing: ExistingHost | undefined, context: PlanContext): PlanEntry {
  const { hostname, row } = record;
  if (context.kind === "inventorize") {
    if (!existing || existing.deletedAt !== null) return { action: "skipped", hostname, row, reason: "not in the inventory" };
    const fields = record.inventory ?? {};
    // Labels are parsed only when the namespace really changes.
    const inventory = JSON.parse(existing.inventoryText) as FlatMap;
    const { namespaced, merged } = replaceNamespace(inventory, context.account, fields);
    if (sameMap(namespaceOf(inventory, context.account), namespaced)) return { action: "unchanged", hostname, hostId: existing.id };
    const labels = JSON.parse(existing.labelsText) as FlatMap;
    return compare(existing, { labels, inventory }, existing.account, { labels, inventory: merged }, row);
  }

  if (!existing) {
    const inventory = record.inventory ? replaceNamespace({}, context.account, record.inventory).merged : {};
    // The labels are parsed only when something reads them (a hook, a dry run's diff): an import's
    // creates are staged with the record's JSON text as it came.
    const labelsText = (record as { labelsText?: string }).labelsText;
    const state: HostState = { get labels() { return record.labels ?? {}; }, inventory };
    return { action: "create", hostname, row, account: context.account, state, ...(labelsText === undefined ? {} : { labelsText }) };
  }
  const labels = record.labels ?? {};
  const owner = existing.account;
  if (owner !== null && owner !== context.account) {
    if (context.masters.has(owner)) return { action: "skipped", hostname, row, reason: `owned by master account ${owner}`, owner };
    if (owner === MANUAL_OWNER && !context.masters.has(context.account)) {
      return { action: "skipped", hostname, row, reason: `created by hand (owner ${MANUAL_OWNER}); only a master account takes it over`, owner };
    }
  }
  if (owner === context.account && existing.deletedAt === null && unchangedReimport(record, existing.labelsText)) {
    return { action: "unchanged", hostname, hostId: existing.id };
  }
  const current = stateOf(existing);
  const inventory = record.inventory ? replaceNamespace(current.inventory, context.account, record.inventory).merged : current.inventory;
  return compare(existing, current, context.account, { labels, inventory }, row);
}

/** A pending change as hooks see it (ABI host-change). */
export function changeOf(entry: PlanEntry): HostChange | undefined {
  switch (entry.action) {
    case "create":
      return { hostname: entry.hostname, action: "create", account: entry.account, old: null, new: entry.state as HostChange["new"] };
    case "update":
      return { hostname: entry.hostname, action: "update", account: entry.account, old: entry.before as HostChange["old"], new: entry.state as HostChange["new"] };
    case "delete":
      return { hostname: entry.hostname, action: "delete", account: entry.host.account, old: stateOf(entry.host) as HostChange["old"], new: null };
    default:
      return undefined;
  }
}

/** The entry after a hook rewrote its change's new state. */
export function rewrite(entry: PlanEntry, next: HostState): PlanEntry {
  if (entry.action === "create") return { action: "create", hostname: entry.hostname, row: entry.row, account: entry.account, state: next };
  if (entry.action === "update") return compare(entry.host, entry.before, entry.account, next, entry.row);
  return entry;
}

/** The change-log entry of a deletion. */
export const deletedChanges = (reason: string) => JSON.stringify({ deleted: { old: null, new: reason } });

/**
 * An entry as the run stages it until its write (maps as JSON text). `logCreates`: a created host gets a
 * change-log entry too (writes by hand are few; imports leave it out to stay lean).
 */
export function stagedOf(entry: PlanEntry, origin?: StagedOrigin, logCreates = false): StagedHost {
  const at = { hostname: entry.hostname, ...(origin ? { origin } : {}) };
  switch (entry.action) {
    case "create":
      return {
        action: "create",
        ...at,
        account: entry.account,
        labels: entry.labelsText ?? JSON.stringify(entry.state.labels),
        inventory: JSON.stringify(entry.state.inventory),
        ...(logCreates ? { changes: JSON.stringify(createdChanges(entry.account, entry.state)) } : {}),
      };
    case "update":
      return {
        action: "update",
        ...at,
        host: entry.host,
        account: entry.account,
        labels: JSON.stringify(entry.state.labels),
        inventory: JSON.stringify(entry.state.inventory),
        labelsChanged: entry.labelsChanged,
        changes: JSON.stringify(entry.changes),
      };
    case "unchanged":
      return { action: "unchanged", ...at, hostId: entry.hostId };
    case "skipped":
      return { action: "skipped", ...at, reason: entry.reason, ...(entry.owner === undefined ? {} : { owner: entry.owner }) };
    case "delete":
      return { action: "delete", ...at, host: entry.host, reason: entry.reason, changes: deletedChanges(entry.reason) };
  }
}

/** A staged entry as the plan had it: what hooks, the dry run's diff and the API's answer read. */
export function entryOf(staged: StagedHost): PlanEntry {
  const { hostname } = staged;
  const row = staged.origin?.row;
  const state = (labels: string, inventory: string): HostState => ({ labels: JSON.parse(labels) as FlatMap, inventory: JSON.parse(inventory) as FlatMap });
  switch (staged.action) {
    case "create":
      return { action: "create", hostname, row, account: staged.account, state: state(staged.labels, staged.inventory) };
    case "update":
      return {
        action: "update",
        hostname,
        row,
        host: staged.host,
        before: stateOf(staged.host),
        account: staged.account,
        state: state(staged.labels, staged.inventory),
        labelsChanged: staged.labelsChanged,
        changes: JSON.parse(staged.changes) as Record<string, { old: unknown; new: unknown }>,
      };
    case "unchanged":
      return { action: "unchanged", hostname, hostId: staged.hostId };
    case "skipped":
      return { action: "skipped", hostname, row, reason: staged.reason, ...(staged.owner === undefined ? {} : { owner: staged.owner }) };
    case "delete":
      return { action: "delete", hostname, host: staged.host, reason: staged.reason };
  }
}

/** A created host's change-log entry: its owner, labels and inventory, each from nothing. */
function createdChanges(account: string, state: HostState): Record<string, { old: unknown; new: unknown }> {
  const changes: Record<string, { old: unknown; new: unknown }> = { created: { old: null, new: account } };
  if (Object.keys(state.labels).length > 0) changes.labels = mapDiff({}, state.labels);
  if (Object.keys(state.inventory).length > 0) changes.inventory = mapDiff({}, state.inventory);
  return changes;
}
