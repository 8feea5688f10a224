import { describe, expect, test } from "bun:test";
import type { EligiblePage, EligibleReader } from "../../src/db/hosts.ts";
import { StoredPagesAhead } from "../../src/runs/stored-pages-ahead.ts";

/**
 * An export's stored pages read ahead while its begin phase reads the target: the export gets the same pages in
 * the same order as from the store itself, the read-ahead holds no more than its budget, and stops when told.
 */

const encoder = new TextEncoder();

/** A store of `count` hosts named h000…, each one's JSON 20 bytes; it counts the pages it is asked for. */
function store(count: number) {
  const hostnames = Array.from({ length: count }, (_, index) => `h${String(index).padStart(3, "0")}`);
  const asked: string[] = [];
  let closed = false;
  const reader: EligibleReader = {
    page(after, limit) {
      asked.push(after);
      const names = hostnames.filter((name) => name > after).slice(0, limit);
      const json = encoder.encode(`[${names.map((name) => JSON.stringify({ hostname: name, x: "12" })).join(",")}]`);
      return { json, count: names.length, hostnames: encoder.encode(names.join("\n")), last: names.at(-1) ?? null };
    },
    close() {
      closed = true;
    },
  };
  return { reader, asked, closed: () => closed };
}

/** Every page of `reader` in order, as an export asks for them. */
function drain(reader: EligibleReader, limit: number): string[][] {
  const pages: string[][] = [];
  for (let after = ""; ; ) {
    const page = reader.page(after, limit);
    if (page.count === 0) return pages;
    pages.push(new TextDecoder().decode(page.hostnames).split("\n"));
    after = page.last!;
  }
}

describe("stored pages read ahead", () => {
  test("give the export the store's pages in order, each prepared once; past the budget the store answers", async () => {
    const { reader, asked } = store(10);
    const prepared: string[] = [];
    // Each page of 3 hosts is 2 + 3 * 20 + 2 = 64 bytes: a budget of 100 stops after two pages.
    const ahead = new StoredPagesAhead(reader, 3, (page) => prepared.push(page.last!), 100);
    await ahead.run();
    expect(asked).toEqual(["", "h002"]);
    expect(prepared).toEqual(["h002", "h005"]);
    expect(drain(ahead, 3)).toEqual(drain(store(10).reader, 3));
    // The two pages read ahead were not asked again; the rest were, in order.
    expect(asked).toEqual(["", "h002", "h005", "h008", "h009"]);
    expect(prepared).toEqual(["h002", "h005"]);
  });

  test("a store read to its end is not asked again, not even for the empty page after the last", async () => {
    const { reader, asked } = store(5);
    const ahead = new StoredPagesAhead(reader, 2, () => {});
    await ahead.run();
    expect(asked).toEqual(["", "h001", "h003", "h004"]);
    expect(drain(ahead, 2)).toEqual([["h000", "h001"], ["h002", "h003"], ["h004"]]);
    expect(asked).toHaveLength(4);
  });

  test("stop() ends the reading after the page it is on; a page asked out of turn comes from the store", async () => {
    const { reader, asked } = store(10);
    const ahead = new StoredPagesAhead(reader, 2, () => {});
    const running = ahead.run();
    // The first page is read at once; the next waits for a turn of the event loop, which stop() comes before.
    ahead.stop();
    await running;
    expect(asked).toEqual([""]);
    expect(new TextDecoder().decode(ahead.page("h004", 2).hostnames)).toBe("h005\nh006");
    expect(drain(ahead, 2)).toEqual(drain(store(10).reader, 2));
  });

  test("closing closes the store", () => {
    const { reader, closed } = store(1);
    new StoredPagesAhead(reader, 2, () => {}).close();
    expect(closed()).toBe(true);
  });
});
