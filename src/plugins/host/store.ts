import { pluginEventType } from "../../core/events.ts";
import type { Storage } from "../../db/storage.ts";

/** Most hosts one read returns (key and value sizes are bounded by the ABI schemas in abi.ts). */
const HOSTS_PAGE_MAX = 1000;

/**
 * What host functions read and write on a plugin's behalf, always within that plugin's own namespace:
 * the kv, events and plugin-hosts repositories of the daemon's storage. Used in the daemon, which
 * answers the sandbox's host calls (plugin-data.ts); a sandbox process holds no storage.
 */
export class PluginStore {
  constructor(
    private readonly storage: Storage,
    private readonly plugin: string,
  ) {}

  kvGet(key: string, now = Date.now()): string | undefined {
    return this.storage.kv.get(this.plugin, key, now);
  }

  kvSet(key: string, value: string, ttlSeconds: number | undefined, now = Date.now()): void {
    this.storage.kv.set(this.plugin, key, value, ttlSeconds, now);
  }

  emitEvent(type: string, data: unknown, account: string | null, runId: number | undefined): void {
    this.storage.events.emit({ plugin: this.plugin, type: pluginEventType(this.plugin, type), data, account, runId: runId ?? null, at: Date.now() });
  }

  readHosts(query: { hostnames?: string[]; account?: string; after?: string; limit?: number }) {
    const limit = Math.min(Math.max(1, query.limit ?? 100), HOSTS_PAGE_MAX);
    return this.storage.pluginHosts.page({ hostnames: query.hostnames?.slice(0, HOSTS_PAGE_MAX), account: query.account, after: query.after, limit });
  }
}
