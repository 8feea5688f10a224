import type { Database, Statement } from "bun:sqlite";
import { SyncerError } from "../core/errors.ts";
import { LabelIndexChanges } from "./label-index.ts";
import type { FlatMap } from "./maps.ts";

/**
 * Reads and writes hosts for sync runs. The hot paths (looking up a page of hostnames, writing a
 * run's changes) use prepared bun:sqlite statements with JSON text passed through unparsed: on a
 * 100k-host import they cost a fraction of what the query builder does (bench/import.ts measures it).
 */

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

/** One host to write, as decided by a run's plan. */
export type HostWrite =
  | {
      action: "create";
      hostname: string;
      account: string;
      labels: FlatMap;
      inventory: FlatMap;
      /** Its change-log entry, when the writer keeps one for creations. */
      changes?: Record<string, { old: unknown; new: unknown }>;
    }
  | {
      action: "update";
      id: number;
      /** The host's last_changed when the plan was made: the write fails if someone changed it since. */
      lastChanged: number;
      account: string | null;
      labels: FlatMap;
      inventory: FlatMap;
      /** The labels before, when they change (to update the label index). */
      oldLabels: FlatMap | null;
      changes: Record<string, { old: unknown; new: unknown }>;
    }
  | { action: "delete"; id: number; lastChanged: number; reason: string };

export interface WriteSet {
  writes: HostWrite[];
  /** Hosts seen unchanged: only their last_seen moves. */
  touched: number[];
}

/** A live host's hostname, id and labels JSON. */
export type OwnedLabels = [hostname: string, id: number, labelsText: string];

type EligibleRow = [hostname: string, account: string | null, labels: string, inventory: string];

/** A page of eligible hosts as a JSON array of host views, its size, its hostnames and its last hostname. */
export interface EligiblePage {
  json: string;
  count: number;
  hostnames: string[];
  last: string | null;
}

// labels and inventory are JSON written by this store (JSON.stringify): spliced in as they are.
function pageOf(rows: EligibleRow[]): EligiblePage {
  const views = rows.map(([name, account, labels, inventory]) => `{"hostname":${JSON.stringify(name)},"account":${JSON.stringify(account)},"labels":${labels},"inventory":${inventory}}`);
  const hostnames = rows.map((row) => row[0]);
  return { json: `[${views.join(",")}]`, count: rows.length, hostnames, last: hostnames.at(-1) ?? null };
}

/** Most ids or names bound as one JSON array parameter. */
const CHUNK = 5000;

/** The columns an ExistingHost is read from, in this order. */
const HOST_COLUMNS = "id, hostname, account, labels, inventory, deleted_at, last_changed";
type Row = [number, string, string | null, string, string, number | null, number];
const hostOf = ([id, hostname, account, labelsText, inventoryText, deletedAt, lastChanged]: Row): ExistingHost => ({ id, hostname, account, labelsText, inventoryText, deletedAt, lastChanged });

export class HostStore {
  private readonly lookup: Statement<Row, [string]>;

  constructor(private readonly sqlite: Database) {
    this.lookup = sqlite.query<Row, [string]>(`SELECT ${HOST_COLUMNS} FROM hosts WHERE hostname IN (SELECT value FROM json_each(?))`);
  }

  /** The hosts among `hostnames` that exist (deleted ones too), by hostname. */
  existing(hostnames: string[]): Map<string, ExistingHost> {
    const found = new Map<string, ExistingHost>();
    for (let start = 0; start < hostnames.length; start += CHUNK) {
      for (const row of this.lookup.values(JSON.stringify(hostnames.slice(start, start + CHUNK))) as Row[]) found.set(row[1], hostOf(row));
    }
    return found;
  }

  /**
   * One page of the hosts that are exported (active, not deleted), by hostname after `after`, as a JSON
   * array of host views spliced from the stored text: nothing is parsed on the way to a plugin.
   */
  eligiblePage(after: string, limit: number, hostname?: string): EligiblePage {
    return this.eligible(after, null, hostname ?? null, limit);
  }

  /** The eligible hosts after `after` up to and including `through` (to the end when null), as eligiblePage gives them. */
  eligibleRange(after: string, through: string | null): EligiblePage {
    return this.eligible(after, through, null, -1);
  }

  /** The hostname index is named: without statistics SQLite would pick deleted_at's and sort every page. A limit of -1 is none. */
  private eligible(after: string, through: string | null, hostname: string | null, limit: number): EligiblePage {
    const rows = this.sqlite
      .query<EligibleRow, [string, string | null, string | null, number]>(
        `SELECT hostname, account, labels, inventory
         FROM hosts INDEXED BY hosts_hostname_unique
         WHERE deleted_at IS NULL AND lifecycle = 'active' AND hostname > ?1 AND (?2 IS NULL OR hostname <= ?2) AND (?3 IS NULL OR hostname = ?3)
         ORDER BY hostname LIMIT ?4`,
      )
      .values(after, through, hostname, limit) as EligibleRow[];
    return pageOf(rows);
  }

  /**
   * Where a page of at most `size` eligible hosts after `after` ends: the `size`-th hostname after it,
   * deleted and inactive hosts counted, or null when fewer are left. A walk over the hostname index
   * alone, so pages can be cut without reading them.
   */
  pageEnd(after: string, size: number): string | null {
    const row = this.sqlite
      .query<[string], [string, number]>("SELECT hostname FROM hosts INDEXED BY hosts_hostname_unique WHERE hostname > ?1 ORDER BY hostname LIMIT 1 OFFSET ?2")
      .values(after, size - 1) as [string][];
    return row[0]?.[0] ?? null;
  }

  /** Sets a host's lifecycle state (only active hosts are exported), logging the change. False: no such host. */
  setLifecycle(hostname: string, state: string, now: number, runId: number | null = null): boolean {
    return this.sqlite.transaction(() => {
      const row = this.sqlite.query<{ id: number; lifecycle: string }, [string]>("SELECT id, lifecycle FROM hosts WHERE hostname = ?").get(hostname);
      if (!row) return false;
      if (row.lifecycle === state) return true;
      this.sqlite.query("UPDATE hosts SET lifecycle = ?, last_changed = ? WHERE id = ?").run(state, now, row.id);
      this.sqlite
        .query("INSERT INTO host_changes (host_id, run_id, at, changes) VALUES (?, ?, ?, ?)")
        .run(row.id, runId, now, JSON.stringify({ lifecycle: { old: row.lifecycle, new: state } }));
      return true;
    }).immediate();
  }

  /** How many hosts an account owns, deleted ones included. */
  ownedCount(account: string): number {
    return this.sqlite.query<{ owned: number }, [string]>("SELECT count(*) AS owned FROM hosts WHERE account = ?").get(account)!.owned;
  }

  /**
   * The id and labels JSON of each live host an account owns, by hostname: all a re-import needs to
   * see that a host is unchanged. Three columns and no objects per row: a third of ownedBy's cost.
   */
  ownedLabels(account: string): Map<string, OwnedLabels> {
    const owned = new Map<string, OwnedLabels>();
    const rows = this.sqlite.query<OwnedLabels, [string]>("SELECT hostname, id, labels FROM hosts WHERE account = ? AND deleted_at IS NULL").values(account) as OwnedLabels[];
    for (const row of rows) owned.set(row[0], row);
    return owned;
  }

  /** The live (not deleted) hosts an account owns. */
  ownedBy(account: string): ExistingHost[] {
    const rows = this.sqlite.query<Row, [string]>(`SELECT ${HOST_COLUMNS} FROM hosts WHERE account = ? AND deleted_at IS NULL`).values(account) as Row[];
    return rows.map(hostOf);
  }

  /**
   * Writes a run's changes in one transaction: all or nothing. A host changed by someone else since
   * the plan was made fails the whole write (kind conflict), so nothing is overwritten unseen.
   */
  write(set: WriteSet, runId: number | null, now: number, changeLogLimit: number): void {
    const sqlite = this.sqlite;
    const insertHost = sqlite.query<never, [string, string, string, string, number, number, number | null]>(
      "INSERT INTO hosts (hostname, account, labels, inventory, lifecycle, first_seen, last_changed, created_run) VALUES (?, ?, ?, ?, 'active', ?, ?, ?)",
    );
    const insertSeen = sqlite.query<never, [number, number]>("INSERT INTO host_seen (host_id, last_seen) VALUES (?, ?)");
    const updateHost = sqlite.query<never, [string | null, string, string, number, number, number]>(
      "UPDATE hosts SET account = ?, labels = ?, inventory = ?, last_changed = ?, deleted_at = NULL, delete_reason = NULL WHERE id = ? AND last_changed = ?",
    );
    const deleteHost = sqlite.query<never, [number, string, number, number, number]>(
      "UPDATE hosts SET deleted_at = ?, delete_reason = ?, last_changed = ? WHERE id = ? AND last_changed = ? AND deleted_at IS NULL",
    );
    const logChange = sqlite.query<never, [number, number | null, number, string]>("INSERT INTO host_changes (host_id, run_id, at, changes) VALUES (?, ?, ?, ?)");
    const touch = sqlite.query<never, [number, string]>("UPDATE host_seen SET last_seen = ? WHERE host_id IN (SELECT value FROM json_each(?))");
    const conflict = (what: string) =>
      new SyncerError("conflict", `${what} was changed by someone else while this run was in progress; nothing was written, run it again`);

    const changed: number[] = [];
    /** Hosts whose last_seen moves: the unchanged ones and the updated ones. */
    const seen = set.touched.slice();
    const labelIndex = new LabelIndexChanges();
    sqlite.transaction(() => {
      for (const write of set.writes) {
        if (write.action === "create") {
          const id = Number(insertHost.run(write.hostname, write.account, JSON.stringify(write.labels), JSON.stringify(write.inventory), now, now, runId).lastInsertRowid);
          insertSeen.run(id, now);
          labelIndex.add(id, write.labels);
          if (write.changes && changeLogLimit > 0) logChange.run(id, runId, now, JSON.stringify(write.changes));
        } else if (write.action === "update") {
          const result = updateHost.run(write.account, JSON.stringify(write.labels), JSON.stringify(write.inventory), now, write.id, write.lastChanged);
          if (result.changes !== 1) throw conflict(`host #${write.id}`);
          seen.push(write.id);
          if (write.oldLabels) {
            labelIndex.remove(write.id, write.oldLabels);
            labelIndex.add(write.id, write.labels);
          }
          if (changeLogLimit > 0) logChange.run(write.id, runId, now, JSON.stringify(write.changes));
          changed.push(write.id);
        } else {
          const result = deleteHost.run(now, write.reason, now, write.id, write.lastChanged);
          if (result.changes !== 1) throw conflict(`host #${write.id}`);
          if (changeLogLimit > 0) logChange.run(write.id, runId, now, JSON.stringify({ deleted: { old: null, new: write.reason } }));
          changed.push(write.id);
        }
      }
      labelIndex.apply(sqlite);
      for (let start = 0; start < seen.length; start += CHUNK) touch.run(now, JSON.stringify(seen.slice(start, start + CHUNK)));
      if (changeLogLimit > 0) this.pruneChanges(changed, changeLogLimit);
    }).immediate();
  }

  /** Keeps the newest `limit` change-log entries of each of these hosts. */
  private pruneChanges(hostIds: number[], limit: number): void {
    const prune = this.sqlite.query<never, [string, number]>(
      `DELETE FROM host_changes WHERE host_id IN (SELECT value FROM json_each(?1)) AND id NOT IN (
         SELECT id FROM host_changes AS newest WHERE newest.host_id = host_changes.host_id ORDER BY id DESC LIMIT ?2)`,
    );
    for (let start = 0; start < hostIds.length; start += CHUNK) prune.run(JSON.stringify(hostIds.slice(start, start + CHUNK)), limit);
  }
}
