import { and, asc, eq, gt, gte, isNull, lte, or, sql, type SQL } from "drizzle-orm";
import type { KvKeysPage, KvNamespace, KvRepository } from "../kv.ts";
import type { Db } from "../open.ts";
import { pluginKv } from "../schema.ts";

const inNamespace = (namespace: KvNamespace): SQL => and(eq(pluginKv.plugin, namespace.plugin), eq(pluginKv.account, namespace.account))!;
const unexpired = (now: number): SQL => or(isNull(pluginKv.expiresAt), gt(pluginKv.expiresAt, now))!;
/** Keys starting with `prefix`: the range from it on (so the primary key's index is used), then the prefix itself. */
const startsWith = (prefix: string): SQL => and(gte(pluginKv.key, prefix), sql`substr(${pluginKv.key}, 1, ${prefix.length}) = ${prefix}`)!;

export class SqliteKvRepository implements KvRepository {
  constructor(private readonly db: Db) {}

  get(namespace: KvNamespace, key: string, now: number): string | undefined {
    const where = and(inNamespace(namespace), eq(pluginKv.key, key));
    const row = this.db.select({ value: pluginKv.value, expiresAt: pluginKv.expiresAt }).from(pluginKv).where(where).get();
    if (!row) return undefined;
    if (row.expiresAt !== null && row.expiresAt <= now) {
      this.db.delete(pluginKv).where(where).run();
      return undefined;
    }
    return row.value;
  }

  set(namespace: KvNamespace, key: string, value: string, ttlSeconds: number | undefined, now: number): void {
    const expiresAt = ttlSeconds === undefined ? null : now + ttlSeconds * 1000;
    this.db
      .insert(pluginKv)
      .values({ ...namespace, key, value, expiresAt })
      .onConflictDoUpdate({ target: [pluginKv.plugin, pluginKv.account, pluginKv.key], set: { value, expiresAt } })
      .run();
    this.db.delete(pluginKv).where(and(inNamespace(namespace), lte(pluginKv.expiresAt, now))).run();
  }

  contains(namespace: KvNamespace, key: string, now: number): boolean {
    return this.db.select({ key: pluginKv.key }).from(pluginKv).where(and(inNamespace(namespace), eq(pluginKv.key, key), unexpired(now))).get() !== undefined;
  }

  keys(namespace: KvNamespace, query: { prefix: string; after?: string; limit: number }, now: number): KvKeysPage {
    const rows = this.db
      .select({ key: pluginKv.key })
      .from(pluginKv)
      .where(and(inNamespace(namespace), startsWith(query.prefix), query.after === undefined ? undefined : gt(pluginKv.key, query.after), unexpired(now)))
      .orderBy(asc(pluginKv.key))
      .limit(query.limit + 1)
      .all();
    const keys = rows.slice(0, query.limit).map((row) => row.key);
    return { keys, next: rows.length > query.limit ? keys[keys.length - 1]! : null };
  }

  delete(namespace: KvNamespace, key: string, now: number): boolean {
    const deleted = this.db.delete(pluginKv).where(and(inNamespace(namespace), eq(pluginKv.key, key))).returning({ expiresAt: pluginKv.expiresAt }).all();
    return deleted.some((row) => row.expiresAt === null || row.expiresAt > now);
  }

  flush(namespace: KvNamespace, prefix: string, now: number): number {
    const deleted = this.db.delete(pluginKv).where(and(inNamespace(namespace), startsWith(prefix))).returning({ expiresAt: pluginKv.expiresAt }).all();
    return deleted.filter((row) => row.expiresAt === null || row.expiresAt > now).length;
  }
}
