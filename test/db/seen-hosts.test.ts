import { describe, expect, test } from "bun:test";
import { HostIdSet } from "../../src/db/sqlite/host-id-set.ts";
import { SeenHosts } from "../../src/db/sqlite/seen-hosts.ts";

/**
 * What a staging keeps of a re-import's unchanged hosts instead of rows (seen-hosts.ts), and the set of the
 * stored hosts' ids it staged (host-id-set.ts).
 */

describe("the hosts a re-import saw unchanged", () => {
  test("keep each host's id, place and row, in the order they came, whatever runs they make", () => {
    const seen = new SeenHosts();
    const hosts = [
      { id: 10, seq: 1, page: 0, index: 0, row: 2 },
      { id: 11, seq: 2, page: 0, index: 1, row: 3 },
      { id: 12, seq: 3, page: 0, index: 2, row: 5 }, // a row skipped in the source: a run of its own
      { id: 13, seq: 4, page: 1, index: 0, row: 6 }, // another page
      { id: 3, seq: 5, page: 1, index: 1, row: null },
      { id: 4, seq: 6, page: 1, index: 2, row: null },
      { id: 90, seq: 8, page: 1, index: 4, row: null }, // a place between taken by a host the plan decided
    ];
    for (const host of hosts) seen.add(host.id, host.seq, host.page, host.index, host.row);
    expect(seen.size).toBe(7);
    expect([...seen.chunks(3)]).toEqual([hosts.slice(0, 3), hosts.slice(3, 6), hosts.slice(6)]);
    expect(seen.origin(11)).toEqual({ page: 0, index: 1, row: 3 });
    expect(seen.origin(4)).toEqual({ page: 1, index: 2 });
    expect(seen.origin(5)).toBeUndefined();
    // Ranges of ids, ascending, neighbours merged across pages and runs.
    expect(seen.ranges()).toEqual([
      [3, 4],
      [10, 13],
      [90, 90],
    ]);
  });

  test("a page given back takes out exactly what it added, inside a run too", () => {
    const seen = new SeenHosts();
    seen.add(1, 1, 0, 0, null);
    seen.add(2, 2, 0, 1, null);
    const mark = seen.mark();
    seen.add(3, 3, 0, 2, null);
    seen.add(7, 4, 0, 3, null);
    seen.rollback(mark);
    expect(seen.size).toBe(2);
    expect(seen.ranges()).toEqual([[1, 2]]);
    seen.add(3, 3, 0, 2, null);
    expect([...seen.chunks(10)].flat().map((host) => host.id)).toEqual([1, 2, 3]);
  });

  test("a million hosts in the order of the first import are a run a page: a few numbers, not a million", () => {
    const seen = new SeenHosts();
    for (let i = 0; i < 1_000_000; i++) seen.add(i + 1, i + 1, Math.floor(i / 5000), i % 5000, i + 2);
    expect(seen.size).toBe(1_000_000);
    expect(seen.ranges()).toEqual([[1, 1_000_000]]);
    expect(seen.origin(777_777)).toEqual({ page: 155, index: 2776, row: 777_778 });
    expect(seen.runCount).toBe(200);
  });
});

describe("the ids of the stored hosts staged", () => {
  test("are each in once; taken out, they may come again; an id far beyond the others is kept aside, not bits up to it", () => {
    const ids = new HostIdSet();
    for (const id of [1, 31, 32, 1_000_000, 2 ** 40, 0]) expect(ids.add(id)).toBe(true);
    for (const id of [1, 31, 32, 1_000_000, 2 ** 40, 0]) {
      expect(ids.has(id)).toBe(true);
      expect(ids.add(id)).toBe(false);
    }
    expect(ids.has(2)).toBe(false);
    expect(ids.has(2 ** 40 + 1)).toBe(false);
    expect(ids.has(5_000_000)).toBe(false);
    ids.delete(32);
    ids.delete(2 ** 40);
    ids.delete(9_999_999);
    expect(ids.has(32)).toBe(false);
    expect(ids.has(31)).toBe(true);
    expect(ids.add(2 ** 40)).toBe(true);
  });
});
