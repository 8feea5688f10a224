// The call's plumbing: the request in, the response or error out, logs, the handed-over file, the cache,
// events and host reads (the host functions of host.ts, wrapped).
import { JSON } from "json-as";
import * as host from "./host";
import { ErrorEnvelope, Event, KvFlush, KvGet, KvKeys, KvKeysAnswer, KvSet, Request } from "./abi.generated";
import { JsonRaw } from "./json-raw";
import { JsonReader } from "./json-reader";

// ---------------------------------------------------------------- bytes and strings

/** UTF-8 bytes of a string (AssemblyScript strings are UTF-16 inside). */
export function utf8(text: string): ArrayBuffer {
  return String.UTF8.encode(text);
}

/** Sends `bytes` to a host function taking (ptr, len). */
// @ts-ignore: decorator
@inline function ptrOf(bytes: ArrayBuffer): usize {
  return changetype<usize>(bytes);
}

// @ts-ignore: decorator
@inline function lenOf(bytes: ArrayBuffer): u32 {
  return <u32>bytes.byteLength;
}

/** The pending result of the last host call that returned a length. */
export function readResult(length: u32): string {
  if (length == 0) return "";
  const buffer = new ArrayBuffer(<i32>length);
  host.result_read(changetype<usize>(buffer), length);
  return String.UTF8.decode(buffer);
}

// ---------------------------------------------------------------- request and response

/** The request of this call (the generated Request: account, options, dry_run, input). */
export function request(): Request {
  const reader = JsonReader.fromBytes(inputBytes());
  const call = Request.read(reader);
  // The host sends only requests its schema checked: a failure here is a bug, not bad input.
  if (reader.failed) throw new Error("the request is not ABI v1 JSON: " + reader.error);
  return call;
}

/** The raw request JSON of this call. */
export function inputString(): string {
  return String.UTF8.decode(inputBytes());
}

/** The raw request as UTF-8 bytes, not decoded: for JsonReader.fromBytes() on large requests. */
export function inputBytes(): ArrayBuffer {
  const length = host.input_length();
  const buffer = new ArrayBuffer(<i32>length);
  host.input_read(changetype<usize>(buffer), length);
  return buffer;
}

/** The request parsed into T with json-as (a @json class of the author's). */
export function input<T>(): T {
  return JSON.parse<T>(inputString());
}

/** Sets the response to a string taken as-is (it must be JSON). */
export function outputString(json: string): void {
  const bytes = utf8(json);
  host.output_write(ptrOf(bytes), lenOf(bytes));
}

/** Sets the response to bytes taken as-is (UTF-8 JSON), without a string in between. */
export function outputBytes(bytes: ArrayBuffer): void {
  host.output_write(ptrOf(bytes), lenOf(bytes));
}

/** Sets the response to value serialised with json-as (a @json class of the author's, string[], i64…). */
export function output<T>(value: T): void {
  outputString(JSON.stringify<T>(value));
}

// ---------------------------------------------------------------- handed-over file

export namespace file {
  /** Whether the host handed a file to this call (the command declares a file_option and the account sets it). */
  export function present(): bool {
    return host.file_length() >= 0;
  }
  /** The whole handed-over file as bytes (empty when there is none). Plugins have no filesystem: the host reads it. */
  export function bytes(): ArrayBuffer {
    const length = host.file_length();
    if (length <= 0) return new ArrayBuffer(0);
    const buffer = new ArrayBuffer(length);
    host.file_read(0, changetype<usize>(buffer), <u32>length);
    return buffer;
  }
}

// ---------------------------------------------------------------- errors

/** Error kinds a plugin reports (ABI v1). */
export namespace ErrorKind {
  export const Options = "options";
  export const Connection = "connection";
  export const Auth = "auth";
  export const Parser = "parser";
  export const Runtime = "runtime";
}

/** Sets the call's error and returns the non-zero code an export returns with it: `return fail(...)`. */
export function fail(kind: string, message: string): i32 {
  const envelope = new ErrorEnvelope();
  envelope.kind = kind;
  envelope.message = message;
  const bytes = utf8(envelope.toJson());
  host.error_write(ptrOf(bytes), lenOf(bytes));
  return 1;
}

// ---------------------------------------------------------------- log

function logAt(level: u32, message: string): void {
  const bytes = utf8(message);
  host.log_write(level, ptrOf(bytes), lenOf(bytes));
}

export namespace log {
  export function debug(message: string): void {
    logAt(0, message);
  }
  export function info(message: string): void {
    logAt(1, message);
  }
  export function warn(message: string): void {
    logAt(2, message);
  }
  export function error(message: string): void {
    logAt(3, message);
  }
}

// ---------------------------------------------------------------- key-value cache

// Ansible's cache plugin contract (get, set with expiry, contains, keys, delete, flush). Entries belong to
// the plugin and the call's account (a call without one has its own), live in the daemon's database across
// calls and runs, and an expired entry reads as missing everywhere. Needs the manifest's "kv" permission.
// Keys are 1-256 characters, values up to 1 MiB.

/** {"key": key} as UTF-8 JSON: the argument of kv_get, kv_contains and kv_delete. */
function kvKey(key: string): ArrayBuffer {
  const k = new KvGet();
  k.key = key;
  return utf8(k.toJson());
}

export namespace kv {
  /** The cached value, or null when missing or expired. */
  export function get(key: string): string | null {
    const bytes = kvKey(key);
    const length = host.kv_get(ptrOf(bytes), lenOf(bytes));
    return length < 0 ? null : readResult(<u32>length);
  }
  /** Caches a value; with ttlSeconds > 0 it reads as missing after that many seconds. */
  export function set(key: string, value: string, ttlSeconds: i32 = 0): void {
    const entry = new KvSet();
    entry.key = key;
    entry.value = value;
    if (ttlSeconds > 0) entry.ttl_seconds = <f64>ttlSeconds;
    const bytes = utf8(entry.toJson());
    host.kv_set(ptrOf(bytes), lenOf(bytes));
  }
  /** Whether the key has a value that has not expired. */
  export function contains(key: string): bool {
    const bytes = kvKey(key);
    return host.kv_contains(ptrOf(bytes), lenOf(bytes)) == 1;
  }
  /** Deletes the key (Ansible's `delete`: a reserved word here); whether it had a value that had not expired. */
  export function remove(key: string): bool {
    const bytes = kvKey(key);
    return host.kv_delete(ptrOf(bytes), lenOf(bytes)) == 1;
  }
  /** Every key with a value that has not expired and that starts with `prefix`, in byte order (asked page by page). */
  export function keys(prefix: string = ""): string[] {
    const found = new Array<string>();
    const ask = new KvKeys();
    ask.prefix = prefix;
    let more = true;
    while (more) {
      const bytes = utf8(ask.toJson());
      // An empty answer (the request failed: the call's error says why) reads as no keys and no next page.
      const answer = KvKeysAnswer.parse(readResult(host.kv_keys(ptrOf(bytes), lenOf(bytes))));
      for (let i = 0; i < answer.keys.length; i++) found.push(answer.keys[i]);
      const next = answer.next;
      more = next !== null;
      if (next !== null) ask.after = next;
    }
    return found;
  }
  /** Deletes every key that starts with `prefix`, all of them by default (Ansible's `flush`); how many values went. */
  export function flush(prefix: string = ""): i32 {
    const ask = new KvFlush();
    ask.prefix = prefix;
    const bytes = utf8(ask.toJson());
    return max(host.kv_flush(ptrOf(bytes), lenOf(bytes)), 0);
  }
}

// ---------------------------------------------------------------- events

export namespace events {
  /** Emits an event; `dataJson` is the event's data as JSON text. */
  export function emit(type: string, dataJson: string = "null"): void {
    const event = new Event();
    event.type = type;
    event.data = new JsonRaw(dataJson);
    const bytes = utf8(event.toJson());
    host.event_emit(ptrOf(bytes), lenOf(bytes));
  }
}

// ---------------------------------------------------------------- hosts

export namespace hosts {
  /** Reads hosts from the inventory; `queryJson` is {hostnames?, account?, after?, limit?}. Returns {hosts, next} as JSON text. */
  export function read(queryJson: string): string {
    const bytes = utf8(queryJson);
    return readResult(host.hosts_read(ptrOf(bytes), lenOf(bytes)));
  }
}
