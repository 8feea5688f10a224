import * as v from "valibot";
import { HostsReadSchema, KvFlushSchema, KvGetSchema, KvKeysSchema, KvSetSchema } from "../abi.ts";
import type { CallContext, HostCallName } from "../protocol.ts";
import type { PluginStore } from "./store.ts";

/**
 * What a plugin keeps with syncer besides its answer: its key-value cache, its events, and reads of
 * the inventory. Within a call the sandbox asks the daemon for each (sandbox/daemon-link.ts); the
 * daemon answers from storage (`answerHostCall`), always in the calling plugin's own namespace; kv
 * entries also in the call's account's (plugins/host/store.ts).
 */
export interface PluginData {
  kvGet(key: string): string | undefined;
  kvSet(key: string, value: string, ttlSeconds: number | undefined): void;
  kvContains(key: string): boolean;
  kvKeys(query: v.InferOutput<typeof KvKeysSchema>): { keys: string[]; next: string | null };
  /** Whether the key had a value (not expired). */
  kvDelete(key: string): boolean;
  /** How many values went (expired ones not counted). */
  kvFlush(prefix: string): number;
  emitEvent(type: string, data: unknown): void;
  readHosts(query: v.InferOutput<typeof HostsReadSchema>): unknown;
}

/** An event as the sandbox sends it on: its type already checked and redacted there. */
const EmittedEventSchema = v.strictObject({ type: v.pipe(v.string(), v.maxLength(256)), data: v.unknown() });

/**
 * The daemon's side of a host call. The arguments are checked again here: the daemon does not take a
 * sandbox process's word for their shape. The account and run of an event are the daemon's own
 * knowledge of the call in flight.
 */
export function answerHostCall(store: PluginStore, name: HostCallName, args: unknown, context: CallContext): unknown {
  switch (name) {
    case "kv_get":
      return store.kvGet(context.account, v.parse(KvGetSchema, args).key) ?? null;
    case "kv_set": {
      const entry = v.parse(KvSetSchema, args);
      store.kvSet(context.account, entry.key, entry.value, entry.ttl_seconds);
      return null;
    }
    case "kv_contains":
      return store.kvContains(context.account, v.parse(KvGetSchema, args).key);
    case "kv_keys":
      return store.kvKeys(context.account, v.parse(KvKeysSchema, args));
    case "kv_delete":
      return store.kvDelete(context.account, v.parse(KvGetSchema, args).key);
    case "kv_flush":
      return store.kvFlush(context.account, v.parse(KvFlushSchema, args).prefix ?? "");
    case "event_emit": {
      const event = v.parse(EmittedEventSchema, args);
      store.emitEvent(event.type, event.data ?? null, context.account, context.runId);
      return null;
    }
    case "hosts_read":
      return store.readHosts(v.parse(HostsReadSchema, args));
    default:
      throw new Error(`no host call '${String(name)}'`);
  }
}
