/** Plugins' key-value cache (host functions kv_get and kv_set), namespaced by plugin. */
export interface KvRepository {
  /** The plugin's value for `key`; undefined when there is none or it had expired at `now` (Unix ms), which deletes it. */
  get(plugin: string, key: string, now: number): string | undefined;
  /**
   * Sets the plugin's value for `key`, expiring `ttlSeconds` after `now` (Unix ms), or never without one; and
   * deletes the plugin's entries expired at `now`, so that the cache does not grow without bound.
   */
  set(plugin: string, key: string, value: string, ttlSeconds: number | undefined, now: number): void;
}
