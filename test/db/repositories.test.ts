import { MemoryFirstTargetStateStore } from "../../src/db/memory-target-state.ts";
import { SqliteTargetStateStore } from "../../src/db/sqlite/target-state.ts";
import type { TargetStateStore } from "../../src/db/target-state.ts";
import { describe, expect, test } from "bun:test";
import { freshDatabase } from "../helpers/database.ts";

/**
 * The repositories of src/db/ through their interfaces, where they do more than store and read back:
 * kv expiry, token lookup, closing running records, retention's batches, transactions.
 */

const count = (storage: ReturnType<typeof freshDatabase>, sql: string) => storage.sqlite.query<{ n: number }, []>(`SELECT count(*) AS n FROM ${sql}`).get()!.n;

describe("kv: Ansible's cache contract, per plugin and account", () => {
  const a = { plugin: "a", account: "" };
  const b = { plugin: "b", account: "" };

  test("a value reads back in its plugin's and account's namespace only; setting it again replaces it", () => {
    const { kv } = freshDatabase();
    kv.set(a, "k", "one", undefined, 1_000);
    kv.set(a, "k", "two", undefined, 1_000);
    kv.set({ plugin: "a", account: "east" }, "k", "east's", undefined, 1_000);
    expect(kv.get(a, "k", 2_000)).toBe("two");
    expect(kv.get({ plugin: "a", account: "east" }, "k", 2_000)).toBe("east's");
    expect(kv.get({ plugin: "a", account: "west" }, "k", 2_000)).toBeUndefined();
    expect(kv.get(b, "k", 2_000)).toBeUndefined();
    expect(kv.get(a, "other", 2_000)).toBeUndefined();
  });

  test("an entry expires ttl seconds after it was set: read as missing from then on, and deleted", () => {
    const storage = freshDatabase();
    storage.kv.set(a, "k", "v", 10, 1_000);
    expect(storage.kv.get(a, "k", 10_999)).toBe("v");
    expect(count(storage, "plugin_kv")).toBe(1);
    expect(storage.kv.get(a, "k", 11_000)).toBeUndefined();
    expect(count(storage, "plugin_kv")).toBe(0);
  });

  test("setting a value deletes the namespace's expired entries, not other plugins' nor live ones", () => {
    const storage = freshDatabase();
    storage.kv.set(a, "old", "x", 1, 1_000);
    storage.kv.set(a, "forever", "x", undefined, 1_000);
    storage.kv.set(b, "old", "x", 1, 1_000);
    storage.kv.set(a, "new", "x", 60, 5_000);
    expect(storage.sqlite.query("SELECT plugin, key FROM plugin_kv ORDER BY plugin, key").all()).toEqual([
      { plugin: "a", key: "forever" },
      { plugin: "a", key: "new" },
      { plugin: "b", key: "old" },
    ]);
  });

  test("contains: true for a live value, false for a missing or expired one and for another namespace's", () => {
    const { kv } = freshDatabase();
    kv.set(a, "live", "x", undefined, 1_000);
    kv.set(a, "brief", "x", 1, 1_000);
    expect(kv.contains(a, "live", 1_500)).toBe(true);
    expect(kv.contains(a, "brief", 1_999)).toBe(true);
    expect(kv.contains(a, "brief", 2_000)).toBe(false);
    expect(kv.contains(a, "missing", 1_500)).toBe(false);
    expect(kv.contains(b, "live", 1_500)).toBe(false);
  });

  test("keys: the live keys with a prefix, in byte order, a page at a time; expired and other namespaces' keys left out", () => {
    const { kv } = freshDatabase();
    for (const key of ["host/b", "host/a", "host/c", "host/ä", "hostess", "group/x"]) kv.set(a, key, "x", undefined, 1_000);
    kv.set(a, "host/expired", "x", 1, 1_000);
    kv.set({ plugin: "a", account: "east" }, "host/east", "x", undefined, 1_000);
    kv.set(b, "host/b-plugin", "x", undefined, 1_000);
    expect(kv.keys(a, { prefix: "host/", limit: 100 }, 5_000)).toEqual({ keys: ["host/a", "host/b", "host/c", "host/ä"], next: null });
    expect(kv.keys(a, { prefix: "", limit: 100 }, 5_000).keys).toEqual(["group/x", "host/a", "host/b", "host/c", "host/ä", "hostess"]);
    // Pages: `next` is the last key of a full page, to ask after.
    const first = kv.keys(a, { prefix: "host", limit: 2 }, 5_000);
    expect(first).toEqual({ keys: ["host/a", "host/b"], next: "host/b" });
    expect(kv.keys(a, { prefix: "host", after: "host/b", limit: 2 }, 5_000)).toEqual({ keys: ["host/c", "host/ä"], next: "host/ä" });
    expect(kv.keys(a, { prefix: "host", after: "host/ä", limit: 2 }, 5_000)).toEqual({ keys: ["hostess"], next: null });
    // A prefix with LIKE's and GLOB's wildcards is taken literally.
    kv.set(a, "100%_*", "x", undefined, 1_000);
    expect(kv.keys(a, { prefix: "100%_", limit: 10 }, 5_000).keys).toEqual(["100%_*"]);
    expect(kv.keys(a, { prefix: "1%", limit: 10 }, 5_000).keys).toEqual([]);
  });

  test("delete: removes one key and says whether it had a live value", () => {
    const { kv } = freshDatabase();
    kv.set(a, "k", "x", undefined, 1_000);
    kv.set(a, "brief", "x", 1, 1_000);
    kv.set(b, "k", "x", undefined, 1_000);
    expect(kv.delete(a, "k", 1_500)).toBe(true);
    expect(kv.delete(a, "k", 1_500)).toBe(false);
    expect(kv.delete(a, "brief", 3_000)).toBe(false);
    expect(kv.get(b, "k", 1_500)).toBe("x");
  });

  test("flush: deletes the namespace's keys with a prefix, or all of them, and counts the live ones", () => {
    const storage = freshDatabase();
    const { kv } = storage;
    for (const key of ["host/a", "host/b", "group/x"]) kv.set(a, key, "x", undefined, 1_000);
    kv.set(a, "host/expired", "x", 1, 1_000);
    kv.set({ plugin: "a", account: "east" }, "host/east", "x", undefined, 1_000);
    kv.set(b, "host/b", "x", undefined, 1_000);
    expect(kv.flush(a, "host/", 5_000)).toBe(2);
    expect(kv.keys(a, { prefix: "", limit: 10 }, 5_000).keys).toEqual(["group/x"]);
    expect(kv.flush(a, "", 5_000)).toBe(1);
    expect(storage.sqlite.query("SELECT plugin, account, key FROM plugin_kv ORDER BY plugin, key").all()).toEqual([
      { plugin: "a", account: "east", key: "host/east" },
      { plugin: "b", account: "", key: "host/b" },
    ]);
  });
});

describe("tokens", () => {
  const token = (name: string, hash: string, createdAt = new Date(1_000)) => ({ name, prefix: "syncer_abcde", hash, scopes: ["hosts:read"], createdAt });

  test("byHash finds a token, revoked or not, with its scopes and times; an unknown hash finds nothing", () => {
    const { tokens } = freshDatabase();
    const made = tokens.insert(token("ci", "h1"));
    expect(tokens.byHash("h1")).toEqual({ id: made.id, name: "ci", prefix: "syncer_abcde", scopes: ["hosts:read"], createdAt: new Date(1_000), lastUsedAt: null, revokedAt: null });
    tokens.touch(made.id, 5_000);
    tokens.revoke(made.id, new Date(6_000));
    expect(tokens.byHash("h1")).toMatchObject({ lastUsedAt: new Date(5_000), revokedAt: new Date(6_000) });
    expect(tokens.byHash("h2")).toBeUndefined();
  });

  test("activeNamed skips revoked tokens; matching finds by id or by name, revoked ones too, oldest first", () => {
    const { tokens } = freshDatabase();
    const first = tokens.insert(token("ci", "h1"));
    tokens.revoke(first.id, new Date(2_000));
    const second = tokens.insert(token("ci", "h2"));
    tokens.insert(token("other", "h3"));
    expect(tokens.activeNamed("ci")?.id).toBe(second.id);
    expect(tokens.activeNamed("nobody")).toBeUndefined();
    expect(tokens.matching({ name: "ci" }).map((info) => info.id)).toEqual([first.id, second.id]);
    expect(tokens.matching({ id: second.id }).map((info) => info.name)).toEqual(["ci"]);
    expect(tokens.list().map((info) => info.name)).toEqual(["ci", "ci", "other"]);
  });
});

describe("runs and job runs", () => {
  const owner = { pid: 1, started: "boot/1" };
  const other = { pid: 2, started: null };

  test("interrupt closes only running records, by id or by owner, with duration from their start, never below 0", () => {
    const { runs } = freshDatabase();
    const entry = { plugin: "csv", command: "import_hosts", account: null, trigger: "cli" };
    const a = runs.start({ ...entry, startedAt: 1_000, owner });
    const b = runs.start({ ...entry, startedAt: 9_000, owner });
    const c = runs.start({ ...entry, startedAt: 1_000, owner: other });
    const done = runs.start({ ...entry, startedAt: 1_000, owner });
    runs.finish(done, { status: "ok", finishedAt: 2_000, durationMs: 1_000, counts: { created: 1, updated: 0, unchanged: 0, skipped: 0, deleted: 0, failed: 0 }, details: [] });
    expect(runs.runningOwners()).toEqual([
      { id: a, owner },
      { id: b, owner },
      { id: c, owner: other },
    ]);

    const error = { kind: "interrupted", message: "gone" };
    expect(runs.interrupt({ owner }, 5_000, error)).toHaveLength(2);
    expect(runs.interrupt({ ids: [c, done] }, 6_000, error)).toEqual([c]);
    expect([a, b, c, done].map((id) => runs.get(id)).map((run) => [run?.status, run?.durationMs, run?.errorMessage ?? null])).toEqual([
      ["interrupted", 4_000, "gone"],
      ["interrupted", 0, "gone"],
      ["interrupted", 5_000, "gone"],
      ["ok", 1_000, null],
    ]);
  });

  test("a job's running record comes with its owner; list is newest first", () => {
    const { jobRuns } = freshDatabase();
    const first = jobRuns.start({ job: "nightly", trigger: "cli", startedAt: 1_000, owner });
    jobRuns.finish(first, { status: "failed", finishedAt: 2_000, durationMs: 1_000, steps: [], error: { kind: "connection", message: "refused" } });
    const second = jobRuns.start({ job: "nightly", trigger: "schedule", startedAt: 3_000, owner: other });
    expect(jobRuns.running("nightly")).toEqual({ run: expect.objectContaining({ id: second, status: "running" }), owner: other });
    expect(jobRuns.running("hourly")).toBeUndefined();
    expect(jobRuns.list("nightly", 10).map((run) => [run.id, run.status, run.error?.message])).toEqual([
      [second, "running", undefined],
      [first, "failed", "refused"],
    ]);
  });
});

describe("retention", () => {
  test("deleteBefore removes at most `limit` records from before the cutoff, and never a running run", () => {
    const storage = freshDatabase();
    for (const [status, startedAt] of [["ok", 1_000], ["failed", 2_000], ["running", 1_000], ["ok", 5_000]] as const) {
      storage.sqlite.query("INSERT INTO runs (plugin, command, trigger, status, started_at) VALUES ('csv', 'import_hosts', 'cli', ?, ?)").run(status, startedAt);
    }
    expect(storage.retention.deleteBefore("runs", 4_000, 1)).toBe(1);
    expect(storage.retention.deleteBefore("runs", 4_000, 10)).toBe(1);
    expect(storage.retention.deleteBefore("runs", 4_000, 10)).toBe(0);
    expect(storage.sqlite.query("SELECT status FROM runs ORDER BY id").all()).toEqual([{ status: "running" }, { status: "ok" }]);
  });
});

describe("transactions", () => {
  test("what the work wrote is gone when it throws; its value is returned when it does not", () => {
    const storage = freshDatabase();
    const entry = { plugin: "csv", command: "import_hosts", account: null, trigger: "cli", startedAt: 1_000, owner: { pid: 1, started: null } };
    expect(() =>
      storage.transaction(
        (tx) => {
          tx.runs.start(entry);
          throw new Error("no");
        },
        { lockWrites: true },
      ),
    ).toThrow("no");
    expect(count(storage, "runs")).toBe(0);
    expect(storage.transaction((tx) => tx.runs.start(entry))).toBe(1);
    expect(count(storage, "runs")).toBe(1);
  });

  test("reachable until closed", () => {
    const storage = freshDatabase();
    expect(storage.reachable()).toBe(true);
    storage.close();
    expect(storage.reachable()).toBe(false);
  });
});

describe("hosts as plugins read them", () => {
  test("live hosts in pages by hostname, by name or account; next names the last of a page when more follow", () => {
    const storage = freshDatabase();
    for (const [hostname, account, deleted] of [["a", "x", null], ["b", "y", null], ["c", "x", 1], ["d", "x", null]] as const) {
      storage.sqlite.query("INSERT INTO hosts (hostname, account, first_seen, last_changed, deleted_at) VALUES (?, ?, 0, 0, ?)").run(hostname, account, deleted);
    }
    const names = (page: { hosts: { hostname: string }[]; next: string | null }) => [page.hosts.map((host) => host.hostname), page.next];
    expect(names(storage.pluginHosts.page({ limit: 2 }))).toEqual([["a", "b"], "b"]);
    expect(names(storage.pluginHosts.page({ limit: 2, after: "b" }))).toEqual([["d"], null]);
    expect(names(storage.pluginHosts.page({ limit: 10, account: "x" }))).toEqual([["a", "d"], null]);
    expect(names(storage.pluginHosts.page({ limit: 10, hostnames: ["c", "d", "e"] }))).toEqual([["d"], null]);
    expect(storage.pluginHosts.page({ limit: 1 }).hosts[0]).toEqual({ hostname: "a", account: "x", labels: {}, inventory: {}, lifecycle: "active" });
  });
});

describe("hosts as exports and inventories read them", () => {
  test("pages of exported hosts by hostname, whatever order they were stored in: the views' JSON and the hostnames as bytes; the reader gives the same pages", () => {
    const storage = freshDatabase();
    // Stored out of order, with a deleted and an inactive host between them.
    const stored: [string, string | null, string, number | null, string][] = [
      ["m", "x", '{"site":"b"}', null, "active"],
      ["b", null, "{}", null, "active"],
      ["zz", "x", '{"q":"ü \\"x\\""}', null, "active"],
      ["c", "x", "{}", 1, "active"],
      ["d", "x", "{}", null, "retired"],
      ["a", "y", '{"k":"v"}', null, "active"],
    ];
    for (const [hostname, account, labels, deleted, lifecycle] of stored) {
      storage.sqlite
        .query("INSERT INTO hosts (hostname, account, labels, inventory, first_seen, last_changed, deleted_at, lifecycle) VALUES (?, ?, ?, '{\"x__n\":1}', 0, 0, ?, ?)")
        .run(hostname, account, labels, deleted, lifecycle);
    }
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    const read = (page: { json: Uint8Array; hostnames: Uint8Array; count: number; last: string | null }) => ({ views: JSON.parse(text(page.json)), hostnames: text(page.hostnames), count: page.count, last: page.last });
    expect(read(storage.hosts.eligiblePage("", 2))).toEqual({
      views: [
        { hostname: "a", account: "y", labels: { k: "v" }, inventory: { x__n: 1 } },
        { hostname: "b", account: null, labels: {}, inventory: { x__n: 1 } },
      ],
      hostnames: "a\nb",
      count: 2,
      last: "b",
    });
    expect(read(storage.hosts.eligiblePage("b", 10))).toMatchObject({ hostnames: "m\nzz", count: 2, last: "zz" });
    expect(read(storage.hosts.eligiblePage("b", 10)).views[1]).toEqual({ hostname: "zz", account: "x", labels: { q: 'ü "x"' }, inventory: { x__n: 1 } });
    expect(read(storage.hosts.eligiblePage("zz", 10))).toEqual({ views: [], hostnames: "", count: 0, last: null });
    expect(read(storage.hosts.eligiblePage("", 10, "m"))).toMatchObject({ hostnames: "m", count: 1 });

    // Many hosts stored in a scrambled order come out sorted, page by page.
    const names = Array.from({ length: 500 }, (_, index) => `h${String((index * 7919) % 500).padStart(3, "0")}`);
    for (const hostname of names) storage.sqlite.query("INSERT INTO hosts (hostname, account, first_seen, last_changed) VALUES (?, 'x', 0, 0)").run(hostname);
    const reader = storage.hosts.eligibleReader();
    const seen: string[] = [];
    for (let after = ""; ; ) {
      const page = read(reader.page(after, 64));
      expect(page.views.map((view: { hostname: string }) => view.hostname).join("\n")).toBe(page.hostnames);
      seen.push(...(page.hostnames === "" ? [] : page.hostnames.split("\n")));
      if (page.count < 64) break;
      after = page.last!;
    }
    reader.close();
    expect(seen).toEqual([...names, "a", "b", "m", "zz"].sort());

    // With an export's memos, a page says where each host's JSON ends (its UTF-8 bytes, escapes and all) and each host's memo.
    storage.exportMemos.write("checkmk/export_hosts/a", [{ hostname: "zz", input: "i", fingerprint: "f" }]);
    const memoReader = storage.hosts.eligibleReader({ memos: "checkmk/export_hosts/a" });
    const page = memoReader.page("h499", 2);
    memoReader.close();
    const lengths = page.memos!.sizes.split(",").map(Number);
    expect(lengths).toHaveLength(2);
    expect(1 + lengths[0]! + 1 + lengths[1]! + 1).toBe(page.json.length);
    const first = text(page.json.subarray(1, 1 + lengths[0]!));
    const second = text(page.json.subarray(1 + lengths[0]! + 1, 1 + lengths[0]! + 1 + lengths[1]!));
    expect([JSON.parse(first).hostname, JSON.parse(second).hostname]).toEqual(["m", "zz"]);
    expect(page.memos!.memos).toBe(",i f");
  });
});

describe("export memos", () => {
  test("a target's memos by hostname, set and replaced; pruned of hosts no longer exported; other targets' untouched", () => {
    const storage = freshDatabase();
    for (const [hostname, lifecycle, deleted] of [["web01", "active", null], ["wéb02", "active", null], ["web03", "retired", null], ["web04", "active", 5]] as const) {
      storage.sqlite.query("INSERT INTO hosts (hostname, account, first_seen, last_changed, lifecycle, deleted_at) VALUES (?, 'x', 0, 0, ?, ?)").run(hostname, lifecycle, deleted);
    }
    const memos = storage.exportMemos;
    expect(memos.read("checkmk/export_hosts/a")).toEqual(new Map());
    const all = ["web01", "wéb02", "web03", "web04", "gone"].map((hostname) => ({ hostname, input: `i-${hostname}`, fingerprint: "f1" }));
    memos.write("checkmk/export_hosts/a", all);
    memos.write("checkmk/export_hosts/b", all);
    memos.write("checkmk/export_hosts/a", [{ hostname: "web01", input: "i3", fingerprint: "f3" }]);
    expect(memos.count("checkmk/export_hosts/a")).toBe(5);
    memos.prune("checkmk/export_hosts/a");
    expect(memos.read("checkmk/export_hosts/a")).toEqual(new Map([["web01", { input: "i3", fingerprint: "f3" }], ["wéb02", { input: "i-wéb02", fingerprint: "f1" }]]));
    expect(memos.count("checkmk/export_hosts/b")).toBe(5);
  });
});

const targetStores: [string, () => TargetStateStore][] = [
  ["on disk", () => new SqliteTargetStateStore()],
  ["in memory", () => new MemoryFirstTargetStateStore(() => new SqliteTargetStateStore())],
  // A budget of 40 UTF-16 units: the first pages stay in memory, a later one moves the store to disk.
  ["in memory until it moves to disk", () => new MemoryFirstTargetStateStore(() => new SqliteTargetStateStore(), 40)],
];

describe.each(targetStores)("an export target's hosts (export phases), kept %s", (_, makeStore) => {
  test("take answers the kept states of the hosts the target has and marks every one taken; the owned ones never taken are left for finish", () => {
    const store = makeStore();
    try {
      store.add([
        { hostname: "web01", owned: true, state: '{"folder":"/a"}' },
        { hostname: "web02", owned: true, state: '{"folder":"/b"}' },
        { hostname: "people01", owned: false, state: "null" },
      ]);
      expect(store.take(["web01", "web09", "people01"])).toEqual(new Map([["web01", '{"folder":"/a"}'], ["people01", "null"]]));
      store.add([{ hostname: "web03", owned: true, state: '{"folder":"/c"}' }]);
      expect(store.ownedCounts()).toEqual({ owned: 3, untaken: 2 });
      expect(store.untakenOwned("", 1)).toEqual([{ hostname: "web02", state: '{"folder":"/b"}' }]);
      expect(store.untakenOwned("web02", 10)).toEqual([{ hostname: "web03", state: '{"folder":"/c"}' }]);
      expect(store.untakenOwned("web03", 10)).toEqual([]);
    } finally {
      store.close();
    }
  });

  test("the fingerprints of owned hosts the target fingerprinted, by hostname, without taking them", () => {
    const store = makeStore();
    try {
      store.add([
        { hostname: "web01", owned: true, state: "1", fingerprint: "f1" },
        { hostname: "web02", owned: true, state: "2" },
        { hostname: "people01", owned: false, state: "3", fingerprint: "f3" },
      ]);
      store.add([{ hostname: "web04", owned: true, state: "4", fingerprint: "f4" }]);
      expect(store.ownedFingerprints(["web01", "web02", "people01", "web04", "web09"])).toEqual(new Map([["web01", "f1"], ["web04", "f4"]]));
      expect(store.ownedCounts()).toEqual({ owned: 3, untaken: 3 });
    } finally {
      store.close();
    }
  });

  test("a hostname listed twice is a validation error naming it, and the page it came in is not kept", () => {
    const store = makeStore();
    try {
      store.add([{ hostname: "web01", owned: true, state: "1" }]);
      expect(() => store.add([{ hostname: "web02", owned: true, state: "2" }, { hostname: "web01", owned: true, state: "3" }])).toThrow('the target listed host "web01" twice');
      expect(() => store.add([{ hostname: "web04", owned: true, state: "4" }, { hostname: "web04", owned: true, state: "5" }])).toThrow('the target listed host "web04" twice');
      expect(store.ownedCounts()).toEqual({ owned: 1, untaken: 1 });
    } finally {
      store.close();
    }
  });
});

test("a target's hosts past the memory budget move to disk once, with what pages took before", () => {
  let spilled = 0;
  const store = new MemoryFirstTargetStateStore(() => {
    spilled++;
    return new SqliteTargetStateStore();
  }, 10);
  try {
    store.add([{ hostname: "a1", owned: true, state: "1" }, { hostname: "a2", owned: true, state: "2" }]);
    expect(store.take(["a1"])).toEqual(new Map([["a1", "1"]]));
    expect(spilled).toBe(0);
    store.add([{ hostname: "b1", owned: true, state: "3" }, { hostname: "b2", owned: false, state: "4" }, { hostname: "b3", owned: true, state: "5" }, { hostname: "b4", owned: true, state: "6" }]);
    expect(spilled).toBe(1);
    store.add([{ hostname: "c1", owned: true, state: "7" }]);
    expect(spilled).toBe(1);
    expect(store.take(["b1", "b2"])).toEqual(new Map([["b1", "3"], ["b2", "4"]]));
    expect(store.ownedCounts()).toEqual({ owned: 6, untaken: 4 });
    expect(store.untakenOwned("", 10).map((entry) => entry.hostname)).toEqual(["a2", "b3", "b4", "c1"]);
    expect(() => store.add([{ hostname: "a1", owned: true, state: "8" }])).toThrow('the target listed host "a1" twice');
  } finally {
    store.close();
  }
});

