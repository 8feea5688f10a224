import { and, asc, desc, eq, getTableColumns, gt, isNotNull, isNull, like, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/open.ts";
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

/** Read-side queries on hosts for the CLI and the API: filtered, cursor-paged lists and one host with its change log. */
export class HostQueries {
  constructor(private readonly db: Db) {}

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
    return this.db.select(hostColumns).from(hosts).leftJoin(hostSeen, eq(hostSeen.hostId, hosts.id)).where(eq(hosts.hostname, hostname)).get();
  }

  changes(hostId: number, limit = 50) {
    return this.db.select().from(hostChanges).where(eq(hostChanges.hostId, hostId)).orderBy(desc(hostChanges.id)).limit(limit).all();
  }
}
