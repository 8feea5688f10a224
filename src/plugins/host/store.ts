import { openSqliteStorage } from "../../db/sqlite/storage.ts";
import type { Storage } from "../../db/storage.ts";

/** Most hosts one read returns (key and value sizes are bounded by the ABI schemas in abi.ts). */
const HOSTS_PAGE_MAX = 1000;

/**
 * What host functions read and write in the database on a plugin's behalf, always within that
 * plugin's own namespace: the kv, events and plugin-hosts repositories. Opened lazily by the sandbox
 * process, only for plugins granted kv, events or hosts.
 */
export class PluginStore {
  private storage: Storage | undefined;

  constructor(
    private readonly path: string,
    private readonly plugin: string,
  ) {}

  // The sandbox opens the daemon's database itself until it asks the daemon instead (test/architecture/layers.test.ts).
  private get opened(): Storage {
    return (this.storage ??= openSqliteStorage(this.path));
  }

  kvGet(key: string, now = Date.now()): string | undefined {
    return this.opened.kv.get(this.plugin, key, now);
  }

  kvSet(key: string, value: string, ttlSeconds: number | undefined, now = Date.now()): void {
    this.opened.kv.set(this.plugin, key, value, ttlSeconds, now);
  }

  emitEvent(type: string, data: unknown, account: string | null, runId: number | undefined): void {
    this.opened.events.emit({ plugin: this.plugin, type, data, account, runId: runId ?? null, createdAt: new Date() });
  }

  readHosts(query: { hostnames?: string[]; account?: string; after?: string; limit?: number }) {
    const limit = Math.min(Math.max(1, query.limit ?? 100), HOSTS_PAGE_MAX);
    return this.opened.pluginHosts.page({ hostnames: query.hostnames?.slice(0, HOSTS_PAGE_MAX), account: query.account, after: query.after, limit });
  }

  close(): void {
    this.storage?.close();
    this.storage = undefined;
  }
}
