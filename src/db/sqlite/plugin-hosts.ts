import { and, asc, eq, gt, inArray, isNull } from "drizzle-orm";
import type { Db } from "../open.ts";
import type { PluginHostQuery, PluginHostRepository, PluginHostView } from "../plugin-hosts.ts";
import { hosts } from "../schema.ts";

export class SqlitePluginHostRepository implements PluginHostRepository {
  constructor(private readonly db: Db) {}

  page(query: PluginHostQuery): { hosts: PluginHostView[]; next: string | null } {
    const conditions = [isNull(hosts.deletedAt)];
    if (query.hostnames) conditions.push(inArray(hosts.hostname, query.hostnames));
    if (query.account) conditions.push(eq(hosts.account, query.account));
    if (query.after) conditions.push(gt(hosts.hostname, query.after));
    // One more than asked for: whether another page follows.
    const rows = this.db
      .select({ hostname: hosts.hostname, account: hosts.account, labels: hosts.labels, inventory: hosts.inventory, lifecycle: hosts.lifecycle })
      .from(hosts)
      .where(and(...conditions))
      .orderBy(asc(hosts.hostname))
      .limit(query.limit + 1)
      .all();
    const page = rows.slice(0, query.limit);
    return { hosts: page, next: rows.length > query.limit ? (page[page.length - 1]?.hostname ?? null) : null };
  }
}
