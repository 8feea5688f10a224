/**
 * Whose entries a kv read or write touches: one plugin's, for one account ("" for a call without an
 * account). Nothing reaches across namespaces.
 */
export interface KvNamespace {
  plugin: string;
  account: string;
}

/** A page of a namespace's keys, in key order; `next` is the key to continue after, or null after the last. */
export interface KvKeysPage {
  keys: string[];
  next: string | null;
}

/**
 * Plugins' key-value cache (host functions kv_*), the contract of Ansible's cache plugins: get, set with
 * expiry, contains, keys, delete, flush. `now` is Unix ms; an entry expired at `now` reads as missing
 * everywhere (get, contains, keys) and is deleted when met.
 */
export interface KvRepository {
  /** The value for `key`; undefined when there is none or it had expired at `now`, which deletes it. */
  get(namespace: KvNamespace, key: string, now: number): string | undefined;
  /**
   * Sets the value for `key`, expiring `ttlSeconds` after `now`, or never without one; and deletes the
   * namespace's entries expired at `now`, so that the cache does not grow without bound.
   */
  set(namespace: KvNamespace, key: string, value: string, ttlSeconds: number | undefined, now: number): void;
  /** Whether `key` has a value that had not expired at `now`. */
  contains(namespace: KvNamespace, key: string, now: number): boolean;
  /** Up to `limit` unexpired keys starting with `prefix` and sorting after `after` (when given), in byte order. */
  keys(namespace: KvNamespace, query: { prefix: string; after?: string; limit: number }, now: number): KvKeysPage;
  /** Deletes `key`; whether it had a value that had not expired at `now`. */
  delete(namespace: KvNamespace, key: string, now: number): boolean;
  /** Deletes every key starting with `prefix` ("": all of the namespace's); how many unexpired entries went. */
  flush(namespace: KvNamespace, prefix: string, now: number): number;
}
