import { describe, expect, test } from "bun:test";
import { answerHostCall } from "../../src/plugins/host/plugin-data.ts";
import { PluginStore } from "../../src/plugins/host/store.ts";
import type { CallContext } from "../../src/plugins/protocol.ts";
import { freshDatabase } from "../helpers/database.ts";

/**
 * The daemon's answers to a sandbox's kv host calls (in process: the same function the pipe's other end
 * reaches). The namespace is the daemon's knowledge of the call, never the sandbox's word.
 */
describe("the daemon answers kv host calls in the calling plugin's and account's namespace", () => {
  const call = (account: string | null): CallContext => ({ debug: false, account });

  test("each of the cache's calls, for one account", () => {
    const storage = freshDatabase();
    const store = new PluginStore(storage, "netbox");
    const ask = (name: Parameters<typeof answerHostCall>[1], args: unknown) => answerHostCall(store, name, args, call("east"));
    expect(ask("kv_set", { key: "etag/1", value: "W/1" })).toBeNull();
    expect(ask("kv_set", { key: "etag/2", value: "W/2", ttl_seconds: 60 })).toBeNull();
    expect(ask("kv_get", { key: "etag/1" })).toBe("W/1");
    expect(ask("kv_contains", { key: "etag/2" })).toBe(true);
    expect(ask("kv_keys", { prefix: "etag/", limit: 1 })).toEqual({ keys: ["etag/1"], next: "etag/1" });
    expect(ask("kv_keys", { prefix: "etag/", after: "etag/1" })).toEqual({ keys: ["etag/2"], next: null });
    expect(ask("kv_delete", { key: "etag/1" })).toBe(true);
    expect(ask("kv_flush", {})).toBe(1);
    expect(ask("kv_get", { key: "etag/2" })).toBeNull();
    expect(storage.sqlite.query("SELECT count(*) AS n FROM plugin_kv").get()).toEqual({ n: 0 });
  });

  test("the account comes from the call in flight: another account, or none, sees nothing of it", () => {
    const store = new PluginStore(freshDatabase(), "netbox");
    answerHostCall(store, "kv_set", { key: "k", value: "east's" }, call("east"));
    expect(answerHostCall(store, "kv_get", { key: "k" }, call("west"))).toBeNull();
    expect(answerHostCall(store, "kv_contains", { key: "k" }, call(null))).toBe(false);
    expect(answerHostCall(store, "kv_flush", { prefix: "" }, call(null))).toBe(0);
    expect(answerHostCall(store, "kv_get", { key: "k" }, call("east"))).toBe("east's");
  });

  test("arguments are checked again in the daemon: a bad one throws and nothing is written", () => {
    const storage = freshDatabase();
    const store = new PluginStore(storage, "netbox");
    expect(() => answerHostCall(store, "kv_keys", { prefix: "x", limit: 5000 }, call(null))).toThrow(/<=1000/);
    expect(() => answerHostCall(store, "kv_delete", { key: "" }, call(null))).toThrow();
    expect(() => answerHostCall(store, "kv_flush", { prefix: "x", plugin: "other" }, call(null))).toThrow(/plugin/);
    expect(() => answerHostCall(store, "kv_set", { key: "k", value: "v", ttl_seconds: 0 }, call(null))).toThrow(/>=1/);
    expect(storage.sqlite.query("SELECT count(*) AS n FROM plugin_kv").get()).toEqual({ n: 0 });
  });
});
