/**
 * The seam between stored pages and plugins: a page of hosts as one target receives it.
 */
import { expect, test } from "bun:test";
import type { EligiblePage } from "../../src/db/hosts.ts";
import { pageForTarget } from "../../src/runs/target-page.ts";
import { host, ruleBook } from "../helpers/rules.ts";

const stored = (hosts: ReturnType<typeof host>[]): EligiblePage => ({
  json: JSON.stringify(hosts),
  count: hosts.length,
  hostnames: hosts.map((one) => one.hostname),
  last: hosts.at(-1)?.hostname ?? null,
});

const book = ruleBook(`
[[rules]]
name = "no databases"
target = "checkmk"
conditions = [{ label = "role", match = "equal", value = "db" }]
set = { ignore_host = true }

[[rules]]
name = "folder"
target = "checkmk"
match = "anyway"
set = { folder = "/{{ labels.site }}{% for i in (1..labels.n) %}x{% endfor %}" }
`);

test("a target without rules, filter or rewrite gets the stored page itself, unparsed", () => {
  const page = stored([host("a", { site: "x" })]);
  expect(pageForTarget(book.forTarget("csv"), page)).toEqual({ page, ignored: 0, failed: [] });
  expect(pageForTarget(book.forTarget("csv"), page).page).toBe(page);
});

test("each host with what the rules give it; ignored hosts and failed ones left out and counted; paging goes on from the stored page", () => {
  const page = stored([host("a", { site: "berlin", n: "1" }), host("b", { role: "db" }), host("c", { site: "rome", n: "100000000" }), host("d", { role: "db" })]);
  const result = pageForTarget(book.forTarget("checkmk"), page);
  expect(JSON.parse(result.page.json)).toEqual([{ hostname: "a", account: "cmdb", labels: { site: "berlin", n: "1" }, inventory: {}, outcomes: { folder: "/berlinx" } }]);
  expect(result.page).toMatchObject({ count: 1, hostnames: ["a"], last: "d" });
  expect(result.ignored).toBe(2);
  expect(result.failed).toEqual([{ hostname: "c", message: expect.stringMatching(/^rule "folder" \(.*\) failed for host c: memory alloc limit exceeded/) }]);
});

test("a page whose hosts are all left out is empty but keeps its place", () => {
  const result = pageForTarget(book.forTarget("checkmk"), stored([host("b", { role: "db" })]));
  expect(result.page).toEqual({ json: "[]", count: 0, hostnames: [], last: "b" });
});
