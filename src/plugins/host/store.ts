import { and, asc, eq, gt, inArray, isNull, lte } from "drizzle-orm";
import { openDatabase, type OpenDatabase } from "../../db/open.ts";
import { events, hosts, pluginKv } from "../../db/schema.ts";

/** Most hosts one read returns (key and value sizes are bounded by the ABI schemas in abi.ts). */
const HOSTS_PAGE_MAX = 1000;

/**
 * What host functions read and write in the database on a plugin's behalf, always within that
 * plugin's own namespace. Opened lazily by the sandbox process, only for plugins granted kv, events or hosts.
 */
export class PluginStore {
  private database: OpenDatabase | undefined;

  constructor(
    private readonly path: string,
    private readonly plugin: string,
  ) {}

  private get db() {
    return (this.database ??= openDatabase(this.path)).db;
  }

  kvGet(key: string, now = Date.now()): string | undefined {
    const row = this.db
      .select({ value: pluginKv.value, expiresAt: pluginKv.expiresAt })
      .from(pluginKv)
      .where(and(eq(pluginKv.plugin, this.plugin), eq(pluginKv.key, key)))
      .get();
    if (!row) return undefined;
    if (row.expiresAt !== null && row.expiresAt <= now) {
      this.db.delete(pluginKv).where(and(eq(pluginKv.plugin, this.plugin), eq(pluginKv.key, key))).run();
      return undefined;
    }
    return row.value;
  }

  kvSet(key: string, value: string, ttlSeconds: number | undefined, now = Date.now()): void {
    const expiresAt = ttlSeconds === undefined ? null : now + ttlSeconds * 1000;
    this.db
      .insert(pluginKv)
      .values({ plugin: this.plugin, key, value, expiresAt })
      .onConflictDoUpdate({ target: [pluginKv.plugin, pluginKv.key], set: { value, expiresAt } })
      .run();
    // Expired entries of this plugin go when it writes, so the cache does not grow without bound.
    this.db.delete(pluginKv).where(and(eq(pluginKv.plugin, this.plugin), lte(pluginKv.expiresAt, now))).run();
  }

  emitEvent(type: string, data: unknown, account: string | null, runId: number | undefined): void {
    this.db.insert(events).values({ plugin: this.plugin, type, data, account, runId, createdAt: new Date() }).run();
  }

  readHosts(query: { hostnames?: string[]; account?: string; after?: string; limit?: number }) {
    const limit = Math.min(Math.max(1, query.limit ?? 100), HOSTS_PAGE_MAX);
    const conditions = [isNull(hosts.deletedAt)];
    if (query.hostnames) conditions.push(inArray(hosts.hostname, query.hostnames.slice(0, HOSTS_PAGE_MAX)));
    if (query.account) conditions.push(eq(hosts.account, query.account));
    if (query.after) conditions.push(gt(hosts.hostname, query.after));
    const rows = this.db
      .select({ hostname: hosts.hostname, account: hosts.account, labels: hosts.labels, inventory: hosts.inventory, lifecycle: hosts.lifecycle })
      .from(hosts)
      .where(and(...conditions))
      .orderBy(asc(hosts.hostname))
      .limit(limit + 1)
      .all();
    const page = rows.slice(0, limit);
    return { hosts: page, next: rows.length > limit ? (page[page.length - 1]?.hostname ?? null) : null };
  }

  close(): void {
    this.database?.close();
    this.database = undefined;
  }
}

