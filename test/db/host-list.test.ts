import { describe, expect, test } from "bun:test";
import { LIFECYCLE_STATES, type LifecycleState } from "../../src/core/hosts.ts";
import type { HostFilter, StagedHost } from "../../src/db/hosts.ts";
import { RECOUNT_SQL } from "../../src/db/sqlite/host-counts.ts";
import { listHosts, type ListOptions } from "../../src/db/sqlite/host-list.ts";
import type { SqliteStorage } from "../../src/db/sqlite/storage.ts";
import { freshDatabase } from "../helpers/database.ts";

/**
 * The hosts listing (UI, API, CLI) over the index each filter picks, and host_counts, which every write
 * of hosts keeps: both checked against the plain answer, computed here from every host.
 */

interface Made {
  hostname: string;
  account: string;
  labels: Record<string, string>;
  lifecycle: LifecycleState;
  deleted: boolean;
}

function write(storage: SqliteStorage, hosts: StagedHost[]): void {
  const staging = storage.hosts.stage();
  expect(staging.add(hosts)).toBeUndefined();
  staging.apply(1, 1_000, 0);
  staging.close();
}

/** 3000 hosts: three accounts, a common label, a rare one (fewer hosts than the label driver's limit), a few not active, some deleted. */
function inventory(storage: SqliteStorage): Made[] {
  const made: Made[] = [];
  const creates: StagedHost[] = [];
  for (let i = 0; i < 3000; i++) {
    // Names out of id order, so that hostname order is not insertion order.
    const hostname = `${["web", "db", "cache"][i % 3]}${String((i * 7919) % 3000).padStart(4, "0")}.${i % 2 ? "berlin" : "paris"}.example.com`;
    const labels: Record<string, string> = { site: i % 2 ? "berlin" : "paris", rack: `r${i % 40}` };
    if (i % 250 === 0) labels.special = "yes";
    if (i === 7) labels['we"ird'] = "quote";
    const account = ["a", "b", "c"][i % 3]!;
    creates.push({ action: "create", hostname, account, labels: JSON.stringify(labels), inventory: "{}" });
    made.push({ hostname, account, labels, lifecycle: "active", deleted: false });
  }
  write(storage, creates);
  for (const [index, state] of [[5, "decommissioned"], [6, "planned"], [11, "decommissioned"], [12, "archived"]] as const) {
    storage.hosts.setLifecycle(made[index]!.hostname, state, 2_000);
    made[index]!.lifecycle = state;
  }
  const doomed = made.filter((_, index) => index % 97 === 3);
  const existing = storage.hosts.existing(doomed.map((host) => host.hostname));
  write(storage, doomed.map((host) => ({ action: "delete", hostname: host.hostname, host: existing.get(host.hostname)!, reason: "test", changes: "{}" })));
  for (const host of doomed) host.deleted = true;
  return made;
}

function expected(made: Made[], filter: Omit<HostFilter, "limit" | "after">): string[] {
  return made
    .filter((host) => host.deleted === Boolean(filter.deleted))
    .filter((host) => filter.account === undefined || host.account === filter.account)
    .filter((host) => filter.lifecycle === undefined || host.lifecycle === filter.lifecycle)
    .filter((host) => filter.search === undefined || host.hostname.toLowerCase().includes(filter.search.toLowerCase()))
    .filter((host) => Object.entries(filter.labels ?? {}).every(([key, value]) => host.labels[key] === value))
    .map((host) => host.hostname)
    .sort();
}

/** Every page in turn, following `next`; the hostnames met, and how many answers it took. */
function walk(storage: SqliteStorage, filter: Omit<HostFilter, "limit" | "after">, limit: number, options: ListOptions = {}): { hostnames: string[]; answers: number; shortPages: number } {
  const hostnames: string[] = [];
  let after: string | undefined;
  let answers = 0;
  let shortPages = 0;
  for (;;) {
    const page = listHosts(storage.sqlite, { ...filter, after, limit }, options);
    answers++;
    expect(page.hosts.length).toBeLessThanOrEqual(limit);
    hostnames.push(...page.hosts.map((host) => host.hostname));
    if (page.next === null) return { hostnames, answers, shortPages };
    if (page.hosts.length < limit) shortPages++;
    after = page.next;
    if (answers > 10_000) throw new Error("the walk does not end");
  }
}

const FILTERS: Omit<HostFilter, "limit" | "after">[] = [
  {},
  { account: "b" },
  { search: "BERLIN" },
  { search: "0042" },
  { search: "100%_" },
  { labels: { site: "paris" } },
  { labels: { special: "yes" } },
  { labels: { special: "yes", site: "berlin" } },
  { labels: { rack: "r7" }, account: "b" },
  { labels: { 'we"ird': "quote" } },
  { labels: { site: "nowhere" } },
  { lifecycle: "decommissioned" },
  { lifecycle: "active", search: "cache" },
  { lifecycle: "planned", account: "a" },
  { deleted: true },
  { deleted: true, search: "web", account: "c" },
  { account: "a", search: "db", labels: { site: "paris" }, lifecycle: "active" },
];

describe("the hosts listing", () => {
  const storage = freshDatabase();
  const made = inventory(storage);

  for (const filter of FILTERS) {
    test(`pages of ${JSON.stringify(filter)} hold exactly the matching hosts, in hostname order, each once`, () => {
      const want = expected(made, filter);
      for (const limit of [13, 100]) expect(walk(storage, filter, limit).hostnames).toEqual(want);
      // Labels of more than 100 hosts walked rather than sorted (the inventory is small), with a tiny budget:
      // filtered walks stop early and answer short pages, and still meet every host.
      expect(walk(storage, filter, 25, { scanBudget: 64, labelDriverMaxHosts: 100 }).hostnames).toEqual(want);
    });
  }

  test("a filter that matches no host of a long walk answers within its budget: short pages with where to go on, then the end", () => {
    const result = walk(storage, { search: "no-such-host" }, 50, { scanBudget: 500 });
    expect(result.hostnames).toEqual([]);
    // 3000 rows looked at 500 per answer, and a last answer finding the end.
    expect(result.answers).toBe(3000 / 500 + 1);
    expect(result.shortPages).toBe(result.answers - 1);
  });

  test("the repository's list and the API's filters answer the same", () => {
    expect(storage.hosts.list({ search: "0042", limit: 10 }).hosts.map((host) => host.hostname)).toEqual(expected(made, { search: "0042" }).slice(0, 10));
    const first = storage.hosts.list({ labels: { site: "berlin" }, account: "b", limit: 3 });
    expect(first.hosts.map((host) => host.hostname)).toEqual(expected(made, { labels: { site: "berlin" }, account: "b" }).slice(0, 3));
    expect(first.next).toBe(first.hosts[2]!.hostname);
    expect(first.hosts[0]!.labels.site).toBe("berlin");
  });
});

describe("host_counts", () => {
  const counts = (storage: SqliteStorage) => storage.sqlite.query("SELECT account, lifecycle, hosts FROM host_counts ORDER BY 1, 2").all();
  const recount = (storage: SqliteStorage) => storage.sqlite.query(`SELECT * FROM (${RECOUNT_SQL}) ORDER BY 1, 2`).all();

  test("stays equal to a full count through creations, owner changes, deletions, restorations, lifecycle changes and purges", () => {
    const storage = freshDatabase();
    const made = inventory(storage);
    expect(counts(storage)).toEqual(recount(storage));
    // Owner changes (b → a), a restoration (deleted → live, owner c), and an update keeping its owner.
    const moved = made.filter((host) => host.account === "b" && !host.deleted).slice(0, 40).map((host) => host.hostname);
    const restored = made.find((host) => host.deleted)!.hostname;
    const kept = made.find((host) => host.account === "c" && !host.deleted)!.hostname;
    const existing = storage.hosts.existing([...moved, restored, kept]);
    const update = (hostname: string, account: string): StagedHost => ({ action: "update", hostname, host: existing.get(hostname)!, account, labels: "{}", inventory: "{}", labelsChanged: true, changes: "{}" });
    write(storage, [...moved.map((hostname) => update(hostname, "a")), update(restored, "c"), update(kept, "c")]);
    expect(counts(storage)).toEqual(recount(storage));
    for (const state of LIFECYCLE_STATES) storage.hosts.setLifecycle(moved[0]!, state, 3_000);
    storage.hosts.setLifecycle(made.find((host) => host.deleted && host.hostname !== restored)!.hostname, "archived", 3_000);
    expect(counts(storage)).toEqual(recount(storage));
    storage.hosts.purgeDeleted(Number.MAX_SAFE_INTEGER);
    expect(counts(storage)).toEqual(recount(storage));
    expect(storage.stats.liveHosts().reduce((sum, row) => sum + row.hosts, 0)).toBe(storage.sqlite.query<{ n: number }, []>("SELECT count(*) AS n FROM hosts WHERE deleted_at IS NULL").get()!.n);
    expect(storage.stats.liveHostsByAccount().find((row) => row.account === "a")!.hosts).toBe(1000 + 40 - made.filter((host) => host.account === "a" && host.deleted).length);
  });

  test("creations count for the account each is written for: from a page, from the plan, and after hooks moved or dropped some", () => {
    const storage = freshDatabase();
    const page = (names: string[]) => new TextEncoder().encode(JSON.stringify(names.map((hostname) => ({ hostname, labels: { site: "x" } }))));
    const create = (hostname: string, account: string): StagedHost => ({ action: "create", hostname, account, labels: "{}", inventory: "{}" });
    const unplanned = (): StagedHost => {
      throw new Error("a new host of a page is decided by the page's statement");
    };
    // Without hooks: the page's creates are the importing account's, the plan's those it names.
    let staging = storage.hosts.stage();
    expect(staging.addPage(0, page(["p1", "p2", "p3"]), "a", unplanned)).toBe(3);
    expect(staging.add([create("q1", "b"), create("q2", "c")])).toBeUndefined();
    staging.apply(1, 1_000, 0);
    staging.close();
    expect(counts(storage)).toEqual([
      { account: "a", lifecycle: "active", hosts: 3 },
      { account: "b", lifecycle: "active", hosts: 1 },
      { account: "c", lifecycle: "active", hosts: 1 },
    ]);
    // A hook drops a create; another gives one another owner.
    staging = storage.hosts.stage();
    expect(staging.addPage(0, page(["p4", "p5"]), "a", unplanned)).toBe(2);
    staging.remove(["p5"]);
    staging.apply(2, 2_000, 0);
    staging.close();
    expect(counts(storage)).toContainEqual({ account: "a", lifecycle: "active", hosts: 4 });
    staging = storage.hosts.stage();
    expect(staging.addPage(0, page(["p6", "p7"]), "a", unplanned)).toBe(2);
    staging.replace([create("p6", "d")]);
    staging.apply(3, 3_000, 0);
    staging.close();
    expect(counts(storage)).toEqual(recount(storage));
    expect(counts(storage)).toContainEqual({ account: "a", lifecycle: "active", hosts: 5 });
    expect(counts(storage)).toContainEqual({ account: "d", lifecycle: "active", hosts: 1 });
    // Every created host has its last-seen row, under the id it was given.
    expect(storage.sqlite.query("SELECT count(*) AS n FROM host_seen JOIN hosts ON hosts.id = host_seen.host_id").get()).toEqual({ n: 8 });
  });

  test("a write that fails changes no count", () => {
    const storage = freshDatabase();
    inventory(storage);
    const before = counts(storage);
    const staging = storage.hosts.stage();
    staging.add([{ action: "create", hostname: "new.example.com", account: "z", labels: "{}", inventory: "{}" }]);
    // Someone else creates the same host meanwhile: the staged creation conflicts, and nothing is written.
    write(storage, [{ action: "create", hostname: "new.example.com", account: "y", labels: "{}", inventory: "{}" }]);
    const between = counts(storage);
    expect(() => staging.apply(2, 5_000, 0)).toThrow();
    staging.close();
    expect(counts(storage)).toEqual(between);
    expect(between).not.toEqual(before);
    expect(counts(storage)).toEqual(recount(storage));
  });
});
