import { pluginEventType } from "../../core/events.ts";
import type { KvKeysPage, KvNamespace } from "../../db/kv.ts";
import type { Storage } from "../../db/storage.ts";
import { KV_KEYS_LIMIT } from "../abi.ts";

/** Most hosts one read returns (key and value sizes are bounded by the ABI schemas in abi.ts). */
const HOSTS_PAGE_MAX = 1000;

/**
 * What host functions read and write on a plugin's behalf, always within that plugin's own namespace
 * (and for kv, the call's account's):
 * the kv, events and plugin-hosts repositories of the daemon's storage. Used in the daemon, which
 * answers the sandbox's host calls (plugin-data.ts); a sandbox process holds no storage.
 */
export class PluginStore {
  constructor(
    private readonly storage: Storage,
    private readonly plugin: string,
  ) {}

  /** The plugin's kv entries for `account` (null: a call without one). */
  private namespace(account: string | null): KvNamespace {
    return { plugin: this.plugin, account: account ?? "" };
  }

  kvGet(account: string | null, key: string, now = Date.now()): string | undefined {
    return this.storage.kv.get(this.namespace(account), key, now);
  }

  kvSet(account: string | null, key: string, value: string, ttlSeconds: number | undefined, now = Date.now()): void {
    this.storage.kv.set(this.namespace(account), key, value, ttlSeconds, now);
  }

  kvContains(account: string | null, key: string, now = Date.now()): boolean {
    return this.storage.kv.contains(this.namespace(account), key, now);
  }

  kvKeys(account: string | null, query: { prefix: string; after?: string; limit?: number }, now = Date.now()): KvKeysPage {
    return this.storage.kv.keys(this.namespace(account), { prefix: query.prefix, after: query.after, limit: Math.min(query.limit ?? KV_KEYS_LIMIT, KV_KEYS_LIMIT) }, now);
  }

  kvDelete(account: string | null, key: string, now = Date.now()): boolean {
    return this.storage.kv.delete(this.namespace(account), key, now);
  }

  kvFlush(account: string | null, prefix: string, now = Date.now()): number {
    return this.storage.kv.flush(this.namespace(account), prefix, now);
  }

  emitEvent(type: string, data: unknown, account: string | null, runId: number | undefined): void {
    this.storage.events.emit({ plugin: this.plugin, type: pluginEventType(this.plugin, type), data, account, runId: runId ?? null, at: Date.now() });
  }

  readHosts(query: { hostnames?: string[]; account?: string; after?: string; limit?: number }) {
    const limit = Math.min(Math.max(1, query.limit ?? 100), HOSTS_PAGE_MAX);
    return this.storage.pluginHosts.page({ hostnames: query.hostnames?.slice(0, HOSTS_PAGE_MAX), account: query.account, after: query.after, limit });
  }
}
