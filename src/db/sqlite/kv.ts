import { and, eq, lte } from "drizzle-orm";
import type { KvRepository } from "../kv.ts";
import type { Db } from "../open.ts";
import { pluginKv } from "../schema.ts";

export class SqliteKvRepository implements KvRepository {
  constructor(private readonly db: Db) {}

  get(plugin: string, key: string, now: number): string | undefined {
    const row = this.db
      .select({ value: pluginKv.value, expiresAt: pluginKv.expiresAt })
      .from(pluginKv)
      .where(and(eq(pluginKv.plugin, plugin), eq(pluginKv.key, key)))
      .get();
    if (!row) return undefined;
    if (row.expiresAt !== null && row.expiresAt <= now) {
      this.db.delete(pluginKv).where(and(eq(pluginKv.plugin, plugin), eq(pluginKv.key, key))).run();
      return undefined;
    }
    return row.value;
  }

  set(plugin: string, key: string, value: string, ttlSeconds: number | undefined, now: number): void {
    const expiresAt = ttlSeconds === undefined ? null : now + ttlSeconds * 1000;
    this.db
      .insert(pluginKv)
      .values({ plugin, key, value, expiresAt })
      .onConflictDoUpdate({ target: [pluginKv.plugin, pluginKv.key], set: { value, expiresAt } })
      .run();
    this.db.delete(pluginKv).where(and(eq(pluginKv.plugin, plugin), lte(pluginKv.expiresAt, now))).run();
  }
}
