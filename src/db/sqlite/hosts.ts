import type { Database, Statement } from "bun:sqlite";
import { desc, eq, getTableColumns, sql } from "drizzle-orm";
import type { LifecycleState } from "../../core/hosts.ts";
import type { EligiblePage, EligibleReader, ExistingHost, HostChangeRow, HostChanges, HostFilter, HostMap, HostRepository, HostRow, HostStaging, PurgeResult } from "../hosts.ts";
import { openBulkConnection, type Db } from "../open.ts";
import { hostChanges, hostSeen, hosts } from "../schema.ts";
import { INSERT_EVENT_SQL } from "./events.ts";
import { HostCountChanges } from "./host-counts.ts";
import { listHosts } from "./host-list.ts";
import { EXISTING_SQL, existingHosts, type ExistingRow } from "./host-lookup.ts";
import { SqliteHostStaging } from "./host-staging.ts";
import { LabelIndexChanges } from "./label-index.ts";

/**
 * The hosts in SQLite. The hot paths (looking up a page of hostnames, a page of hosts for a plugin, one
 * host for the API) use prepared bun:sqlite statements with JSON text passed through unparsed: on a
 * 100k-host import they cost a fraction of what the query builder does (bench/import.ts measures it).
 * The filtered lists use Drizzle; a run's writes go through a staging (host-staging.ts).
 */



/**
 * A page of exported hosts, the JSON array of host views made by SQLite from the stored text (labels and
 * inventory are JSON written by this repository: spliced in as they are), with its hostnames one a line,
 * both as UTF-8 bytes: no row becomes a JavaScript value, nor the page a JavaScript string. The hostname
 * index is named: without statistics SQLite would pick deleted_at's and sort every page. The aggregates
 * take the rows in the order the subquery gives them (a subquery with LIMIT under an aggregate is never
 * flattened into it); an ORDER BY inside them would sort every page's views again, which costs more than
 * the rest of the query.
 */
const ELIGIBLE_SQL = `SELECT count(*) AS count,
    CAST('[' || ifnull(group_concat(view, ','), '') || ']' AS BLOB) AS json,
    CAST(ifnull(group_concat(hostname, char(10)), '') AS BLOB) AS hostnames, max(hostname) AS last
  FROM (SELECT hostname, concat('{"hostname":', json_quote(hostname), ',"account":', json_quote(account), ',"labels":', labels, ',"inventory":', inventory, '}') AS view
    FROM hosts INDEXED BY hosts_hostname_unique
    WHERE deleted_at IS NULL AND lifecycle = 'active' AND hostname > ?1 AND (?2 IS NULL OR hostname = ?2)
    ORDER BY hostname LIMIT ?3)`;
/**
 * The same for an export that keeps memos (?4, the memos' target): each host's JSON's length in bytes and its
 * memo ("input fingerprint", "" without one), comma-separated in page order.
 */
const ELIGIBLE_MEMO_SQL = `SELECT count(*) AS count,
    CAST('[' || ifnull(group_concat(view, ','), '') || ']' AS BLOB) AS json,
    CAST(ifnull(group_concat(hostname, char(10)), '') AS BLOB) AS hostnames, max(hostname) AS last,
    ifnull(group_concat(length(CAST(view AS BLOB)), ','), '') AS sizes, ifnull(group_concat(memo, ','), '') AS memos
  FROM (SELECT h.hostname, concat('{"hostname":', json_quote(h.hostname), ',"account":', json_quote(h.account), ',"labels":', h.labels, ',"inventory":', h.inventory, '}') AS view,
      ifnull(m.input || ' ' || m.fingerprint, '') AS memo
    FROM hosts AS h INDEXED BY hosts_hostname_unique LEFT JOIN export_memos AS m ON m.target = ?4 AND m.hostname = h.hostname
    WHERE h.deleted_at IS NULL AND h.lifecycle = 'active' AND h.hostname > ?1 AND (?2 IS NULL OR h.hostname = ?2)
    ORDER BY h.hostname LIMIT ?3)`;
type EligibleRow = { count: number; json: Uint8Array; hostnames: Uint8Array; last: string | null; sizes?: string; memos?: string };
const pageOf = (row: EligibleRow): EligiblePage =>
  row.memos === undefined ? { json: row.json, count: row.count, hostnames: row.hostnames, last: row.last } : { json: row.json, count: row.count, hostnames: row.hostnames, last: row.last, memos: { sizes: row.sizes!, memos: row.memos } };

/** A host with when it was last seen (kept apart in host_seen). */
const hostColumns = { ...getTableColumns(hosts), lastSeen: hostSeen.lastSeen };

type HostValues = [number, string, string | null, string, string, string, number, number | null, number, number | null, string | null];
/** The columns of a host as the API shows it, in the order render reads them. */
const HOST_VALUES_SQL = `SELECT h.id, h.hostname, h.account, h.labels, h.inventory, h.lifecycle, h.first_seen, s.last_seen, h.last_changed, h.deleted_at, h.delete_reason
  FROM hosts AS h LEFT JOIN host_seen AS s ON s.host_id = h.id WHERE h.hostname = ?`;
const CHANGE_VALUES_SQL = "SELECT run_id, at, changes FROM host_changes WHERE host_id = ? ORDER BY id DESC LIMIT ?";

/** Rendered hosts kept for repeated reads; whichever was read least recently goes first. */
const RENDERED_CACHE_SIZE = 10_000;

const isoText = (ms: number | null) => (ms === null ? "null" : `"${new Date(ms).toISOString()}"`);

export class SqliteHostRepository implements HostRepository {
  private readonly lookup: Statement<ExistingRow, [string]>;
  private readonly eligibleRows: Statement<EligibleRow, [string, string | null, number]>;
  /** Prepared once: a single-host read is the API's hottest path, and building the query costs more than running it. */
  private readonly byName;
  private readonly changeLog;
  private readonly hostValues: Statement<HostValues, [string]>;
  private readonly changeValues: Statement<[number | null, number, string], [number, number]>;
  /** SQLite's change counters: this connection's own writes, and commits by other connections (CLI runs). */
  private readonly ownChanges: Statement<[number], []>;
  private readonly othersChanges: Statement<[number], []>;
  private readonly rendered = new Map<string, string>();
  private renderedAt = "";
  private othersVersion = 0;
  private othersCheckedAt = -Infinity;
  /** Writes of this process on connections of its own (stagings): counted here, as its own writes are. */
  private stagedWrites = 0;

  /** `path`: the database's file, for the connections of bulk jobs (openBulkConnection). */
  constructor(
    private readonly sqlite: Database,
    private readonly db: Db,
    private readonly path: string,
  ) {
    this.lookup = sqlite.query<ExistingRow, [string]>(EXISTING_SQL);
    this.eligibleRows = sqlite.query<EligibleRow, [string, string | null, number]>(ELIGIBLE_SQL);
    this.hostValues = sqlite.query(HOST_VALUES_SQL);
    this.changeValues = sqlite.query(CHANGE_VALUES_SQL);
    this.ownChanges = sqlite.query("SELECT total_changes()");
    this.othersChanges = sqlite.query("PRAGMA data_version");
    this.byName = db.select(hostColumns).from(hosts).leftJoin(hostSeen, eq(hostSeen.hostId, hosts.id)).where(eq(hosts.hostname, sql.placeholder("hostname"))).prepare();
    this.changeLog = db
      .select()
      .from(hostChanges)
      .where(eq(hostChanges.hostId, sql.placeholder("hostId")))
      .orderBy(desc(hostChanges.id))
      .limit(sql.placeholder("limit"))
      .prepare();
  }

  // --- runs

  existing(hostnames: string[]): Map<string, ExistingHost> {
    return existingHosts(this.lookup, hostnames);
  }

  /** On a connection of its own (see openBulkConnection), closed with the staging. */
  stage(): HostStaging {
    return new SqliteHostStaging(openBulkConnection(this.path), () => this.stagedWrites++);
  }

  setLifecycle(hostname: string, state: LifecycleState, now: number, runId: number | null = null): boolean {
    return this.sqlite.transaction(() => {
      const row = this.sqlite
        .query<{ id: number; lifecycle: string; account: string | null; deleted_at: number | null }, [string]>("SELECT id, lifecycle, account, deleted_at FROM hosts WHERE hostname = ?")
        .get(hostname);
      if (!row) return false;
      if (row.lifecycle === state) return true;
      this.sqlite.query("UPDATE hosts SET lifecycle = ?, last_changed = ? WHERE id = ?").run(state, now, row.id);
      if (row.deleted_at === null) {
        const counts = new HostCountChanges();
        counts.add(row.account, row.lifecycle, -1);
        counts.add(row.account, state, 1);
        counts.apply(this.sqlite);
      }
      this.sqlite
        .query("INSERT INTO host_changes (host_id, run_id, at, changes) VALUES (?, ?, ?, ?)")
        .run(row.id, runId, now, JSON.stringify({ lifecycle: { old: row.lifecycle, new: state } }));
      const event = { hostname, old: row.lifecycle, new: state };
      this.sqlite.query(INSERT_EVENT_SQL).run("host.lifecycle", JSON.stringify(event), null, row.account, runId, now);
      return true;
    }).immediate();
  }

  /** A host restored meanwhile by an import is not deleted any more, so it is not touched. */
  purgeDeleted(before: number, options: { dryRun?: boolean } = {}): PurgeResult {
    const sqlite = this.sqlite;
    return sqlite
      .transaction(() => {
        const rows = sqlite
          .query<{ id: number; hostname: string; labels: string }, [number]>("SELECT id, hostname, labels FROM hosts WHERE deleted_at IS NOT NULL AND deleted_at < ? ORDER BY hostname")
          .all(before);
        if (rows.length === 0) return { hostnames: [], changes: 0 };
        const ids = JSON.stringify(rows.map((row) => row.id));
        const { changes } = sqlite.query<{ changes: number }, [string]>("SELECT count(*) AS changes FROM host_changes WHERE host_id IN (SELECT value FROM json_each(?))").get(ids)!;
        if (!options.dryRun) {
          // Soft-deleted hosts stay in the label index (queries filter them); purged ones leave it.
          const index = new LabelIndexChanges();
          for (const row of rows) index.remove(row.id, JSON.parse(row.labels) as HostMap);
          index.apply(sqlite);
          // host_changes and host_seen go with their host (ON DELETE CASCADE).
          sqlite.query<never, [string]>("DELETE FROM hosts WHERE id IN (SELECT value FROM json_each(?))").run(ids);
        }
        return { hostnames: rows.map((row) => row.hostname), changes };
      })
      .immediate();
  }

  // --- exports and inventories

  eligiblePage(after: string, limit: number, hostname?: string): EligiblePage {
    return pageOf(this.eligibleRows.get(after, hostname ?? null, limit)!);
  }

  eligibleReader(options: { memos?: string } = {}): EligibleReader {
    const connection = openBulkConnection(this.path);
    const { memos } = options;
    const page = connection.prepare<EligibleRow, [string, null, number] | [string, null, number, string]>(memos === undefined ? ELIGIBLE_SQL : ELIGIBLE_MEMO_SQL);
    return {
      page: (after, limit) => pageOf(page.get(...(memos === undefined ? ([after, null, limit] as const) : ([after, null, limit, memos] as const)))!),
      close: () => {
        page.finalize();
        connection.close();
      },
    };
  }

  // --- the CLI's and the API's reads

  list(filter: HostFilter): { hosts: HostRow[]; next: string | null } {
    return listHosts(this.sqlite, filter);
  }

  get(hostname: string): HostRow | undefined {
    return this.byName.get({ hostname });
  }

  /** From SQLite's change counters; other processes' commits are looked for at most once a millisecond (the PRAGMA costs more than a cached read). */
  version(): string {
    const now = performance.now();
    if (now - this.othersCheckedAt >= 1) {
      this.othersVersion = this.othersChanges.values()[0]![0] as number;
      this.othersCheckedAt = now;
    }
    return `${this.ownChanges.values()[0]![0]}:${this.stagedWrites}:${this.othersVersion}`;
  }

  /**
   * Written from the stored JSON text without parsing it, and kept until the database changes at all,
   * which SQLite's change counters tell: a write of this process (its stagings' too) at once, a commit of
   * another process within a millisecond. A test holds the text to hostJson.
   */
  json(hostname: string): string | undefined {
    const stamp = this.version();
    if (stamp !== this.renderedAt) {
      this.rendered.clear();
      this.renderedAt = stamp;
    }
    const cached = this.rendered.get(hostname);
    if (cached !== undefined) {
      this.rendered.delete(hostname);
      this.rendered.set(hostname, cached);
      return cached;
    }
    const text = this.render(hostname, 50);
    if (text === undefined) return undefined;
    if (this.rendered.size >= RENDERED_CACHE_SIZE) this.rendered.delete(this.rendered.keys().next().value!);
    this.rendered.set(hostname, text);
    return text;
  }

  private render(hostname: string, changeLimit: number): string | undefined {
    const row = this.hostValues.values(hostname)[0] as HostValues | undefined;
    if (!row) return undefined;
    const [id, name, account, labels, inventory, lifecycle, firstSeen, lastSeen, lastChanged, deletedAt, deleteReason] = row;
    const changes = (this.changeValues.values(id, changeLimit) as [number | null, number, string][]).map(([runId, at, change]) => `{"run_id":${runId},"at":${isoText(at)},"changes":${change}}`);
    return `{"hostname":${JSON.stringify(name)},"account":${JSON.stringify(account)},"labels":${labels},"inventory":${inventory},"lifecycle":${JSON.stringify(lifecycle)},"first_seen":${isoText(firstSeen)},"last_seen":${isoText(lastSeen)},"last_changed":${isoText(lastChanged)},"deleted_at":${isoText(deletedAt)},"delete_reason":${JSON.stringify(deleteReason)},"changes":[${changes.join(",")}]}`;
  }

  /** Newest first: a run's hosts lie together at the end of the table's ids, so a recent run's are found without reading the rest. */
  createdBy(runId: number, limit: number): string[] {
    return this.sqlite
      .query<{ hostname: string }, [number, number]>("SELECT hostname FROM hosts WHERE created_run = ? ORDER BY id DESC LIMIT ?")
      .all(runId, limit)
      .map((row) => row.hostname);
  }

  runChanges(runId: number, limit: number): { hostname: string; at: Date; changes: HostChanges }[] {
    return this.sqlite
      .query<{ hostname: string; at: number; changes: string }, [number, number]>(
        "SELECT h.hostname, c.at, c.changes FROM host_changes AS c INDEXED BY host_changes_run_idx JOIN hosts AS h ON h.id = c.host_id WHERE c.run_id = ? ORDER BY c.id LIMIT ?",
      )
      .all(runId, limit)
      .map((row) => ({ hostname: row.hostname, at: new Date(row.at), changes: JSON.parse(row.changes) as HostChanges }));
  }

  changes(hostId: number, limit = 50): HostChangeRow[] {
    return this.changeLog.all({ hostId, limit });
  }
}
