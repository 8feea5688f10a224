// The key-value cache: Ansible's cache plugin contract (get, set with expiry, contains, keys, delete,
// flush). Entries belong to the plugin and the call's account (a call without one has its own), live in
// the daemon's database across calls and runs, and an expired entry reads as missing everywhere.
// Needs the manifest's "kv" permission. Keys are 1-256 characters, values up to 1 MiB.
import * as host from "./host";
import { JsonReader } from "./json-reader";
import { JsonWriter } from "./json-writer";

/** {"key": key} as UTF-8 JSON; `ttlSeconds` > 0 adds the expiry, `value` non-null the value. */
function entryJson(key: string, value: string | null = null, ttlSeconds: i32 = 0): ArrayBuffer {
  const json = new JsonWriter(64 + key.length * 3 + (value === null ? 0 : value.length * 3));
  json.beginObject();
  json.key("key");
  json.string(key);
  if (value !== null) {
    json.key("value");
    json.string(value);
  }
  if (ttlSeconds > 0) {
    json.key("ttl_seconds");
    json.integer(ttlSeconds);
  }
  json.endObject();
  return json.toBytes();
}

/** The pending answer of the last host call, `length` bytes. */
function result(length: u32): ArrayBuffer {
  const buffer = new ArrayBuffer(<i32>length);
  if (length > 0) host.result_read(changetype<usize>(buffer), length);
  return buffer;
}

export namespace kv {
  /** The cached value, or null when missing or expired. */
  export function get(key: string): string | null {
    const request = entryJson(key);
    const length = host.kv_get(changetype<usize>(request), request.byteLength);
    return length < 0 ? null : String.UTF8.decode(result(<u32>length));
  }

  /** Caches a value; with ttlSeconds > 0 it reads as missing after that many seconds. */
  export function set(key: string, value: string, ttlSeconds: i32 = 0): void {
    const request = entryJson(key, value, ttlSeconds);
    host.kv_set(changetype<usize>(request), request.byteLength);
  }

  /** Whether the key has a value that has not expired. */
  export function contains(key: string): bool {
    const request = entryJson(key);
    return host.kv_contains(changetype<usize>(request), request.byteLength) == 1;
  }

  /** Deletes the key (Ansible's `delete`); whether it had a value that had not expired. */
  export function remove(key: string): bool {
    const request = entryJson(key);
    return host.kv_delete(changetype<usize>(request), request.byteLength) == 1;
  }

  /** Every key with a value that has not expired and that starts with `prefix`, in byte order. */
  export function keys(prefix: string = ""): string[] {
    const found = new Array<string>();
    let after: string | null = null;
    do {
      const json = new JsonWriter(64 + prefix.length * 3);
      json.beginObject();
      json.key("prefix");
      json.string(prefix);
      if (after !== null) {
        json.key("after");
        json.string(after);
      }
      json.endObject();
      const request = json.toBytes();
      const answer = JsonReader.fromBytes(result(host.kv_keys(changetype<usize>(request), request.byteLength)));
      after = null;
      // {"keys": [...], "next": key or null}; an empty answer (the request failed: the call's error says why) ends the walk.
      if (!answer.beginObject()) break;
      while (answer.nextKey()) {
        if (answer.keyIs("keys")) {
          answer.beginArray();
          while (answer.nextItem()) found.push(answer.string());
        } else if (answer.keyIs("next") && !answer.nullValue()) {
          after = answer.string();
        } else {
          answer.skip();
        }
      }
    } while (after !== null);
    return found;
  }

  /** Deletes every key that starts with `prefix`, all of them by default (Ansible's `flush`); how many values went. */
  export function flush(prefix: string = ""): i32 {
    const json = new JsonWriter(64 + prefix.length * 3);
    json.beginObject();
    json.key("prefix");
    json.string(prefix);
    json.endObject();
    const request = json.toBytes();
    return max(host.kv_flush(changetype<usize>(request), request.byteLength), 0);
  }
}
