import { and, asc, desc, eq, getTableColumns, gt, isNotNull, isNull, like, sql, type SQL } from "drizzle-orm";
import type { Statement } from "bun:sqlite";
import type { Db, OpenDatabase } from "../db/open.ts";
import { hostChanges, hostSeen, hosts, labelIndex } from "../db/schema.ts";

/** A host with when it was last seen (kept apart in host_seen). */
export type HostRow = typeof hosts.$inferSelect & { lastSeen: Date | null };

const hostColumns = { ...getTableColumns(hosts), lastSeen: hostSeen.lastSeen };

export interface HostFilter {
  account?: string;
  /** Every label must match (key = value), through the host_labels index. */
  labels?: Record<string, string>;
  /** A substring of the hostname. */
  search?: string;
  /** Deleted hosts instead of live ones. */
  deleted?: boolean;
  /** Hostname cursor: hosts after this one. */
  after?: string;
  limit: number;
}

type HostValues = [number, string, string | null, string, string, string, number, number | null, number, number | null, string | null];
/** The columns of a host as the API shows it, in the order hostJsonText reads them. */
const HOST_VALUES_SQL = `SELECT h.id, h.hostname, h.account, h.labels, h.inventory, h.lifecycle, h.first_seen, s.last_seen, h.last_changed, h.deleted_at, h.delete_reason
  FROM hosts AS h LEFT JOIN host_seen AS s ON s.host_id = h.id WHERE h.hostname = ?`;
const CHANGE_VALUES_SQL = "SELECT run_id, at, changes FROM host_changes WHERE host_id = ? ORDER BY id DESC LIMIT ?";

/** Rendered hosts kept for repeated reads; whichever was read least recently goes first. */
const RENDERED_CACHE_SIZE = 10_000;

const isoText = (ms: number | null) => (ms === null ? "null" : `"${new Date(ms).toISOString()}"`);

/** Read-side queries on hosts for the CLI and the API: filtered, cursor-paged lists and one host with its change log. */
export class HostQueries {
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

  private readonly db: Db;

  constructor({ db, sqlite }: OpenDatabase) {
    this.db = db;
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

  list(filter: HostFilter): { hosts: HostRow[]; next: string | null } {
    const conditions: SQL[] = [filter.deleted ? isNotNull(hosts.deletedAt) : isNull(hosts.deletedAt)];
    if (filter.account) conditions.push(eq(hosts.account, filter.account));
    if (filter.search) conditions.push(like(hosts.hostname, `%${filter.search.replace(/[\\%_]/g, "\\$&")}%`));
    if (filter.after) conditions.push(gt(hosts.hostname, filter.after));
    for (const [key, value] of Object.entries(filter.labels ?? {})) {
      conditions.push(sql`${hosts.id} IN (SELECT value FROM json_each((SELECT ${labelIndex.hostIds} FROM ${labelIndex} WHERE ${labelIndex.key} = ${key} AND ${labelIndex.value} = ${value})))`);
    }
    const rows = this.db
      .select(hostColumns)
      .from(hosts)
      .leftJoin(hostSeen, eq(hostSeen.hostId, hosts.id))
      .where(and(...conditions))
      .orderBy(asc(hosts.hostname))
      .limit(filter.limit + 1)
      .all();
    const page = rows.slice(0, filter.limit);
    return { hosts: page, next: rows.length > filter.limit ? page[page.length - 1]!.hostname : null };
  }

  get(hostname: string): HostRow | undefined {
    return this.byName.get({ hostname });
  }

  /**
   * The host and its newest 50 changes as JSON text, or undefined: hostJson's shape plus `changes`,
   * written from the stored JSON text without parsing it. The API's hottest read, so rendered hosts are
   * kept until the database changes at all, which SQLite's change counters tell: a write of this process
   * at once, a commit of another process within a millisecond. A test holds the text to hostJson.
   */
  json(hostname: string): string | undefined {
    // Other processes' commits are looked for at most once a millisecond (the PRAGMA costs more than a cached read).
    const now = performance.now();
    if (now - this.othersCheckedAt >= 1) {
      this.othersVersion = this.othersChanges.values()[0]![0] as number;
      this.othersCheckedAt = now;
    }
    const stamp = `${this.ownChanges.values()[0]![0]}:${this.othersVersion}`;
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

  changes(hostId: number, limit = 50) {
    return this.changeLog.all({ hostId, limit });
  }
}
