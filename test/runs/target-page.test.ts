/**
 * The seam between stored pages and plugins: a page of hosts as one target receives it.
 */
import { expect, test } from "bun:test";
import type { EligiblePage } from "../../src/db/hosts.ts";
import { pageForTarget } from "../../src/runs/target-page.ts";
import type { FunctionCaller } from "../../src/rules/plugin-functions.ts";
import { host, ruleBook } from "../helpers/rules.ts";

/** These rules use no plugin filter or test: nothing may be called. */
const noCalls: FunctionCaller = () => {
  throw new Error("no plugin function was to be called");
};

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

const stored = (hosts: ReturnType<typeof host>[]): EligiblePage => ({
  json: utf8(JSON.stringify(hosts)),
  count: hosts.length,
  hostnames: utf8(hosts.map((one) => one.hostname).join("\n")),
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

test("a target without rules, filter or rewrite gets the stored page itself, unparsed", async () => {
  const page = stored([host("a", { site: "x" })]);
  expect(await pageForTarget(book.forTarget("csv"), page, noCalls)).toEqual({ page, ignored: 0, failed: [] });
  expect((await pageForTarget(book.forTarget("csv"), page, noCalls)).page).toBe(page);
});

test("each host with what the rules give it; ignored hosts and failed ones left out and counted; paging goes on from the stored page", async () => {
  const page = stored([host("a", { site: "berlin", n: "1" }), host("b", { role: "db" }), host("c", { site: "rome", n: "100000000" }), host("d", { role: "db" })]);
  const result = await pageForTarget(book.forTarget("checkmk"), page, noCalls);
  expect(JSON.parse(text(result.page.json))).toEqual([{ hostname: "a", account: "cmdb", labels: { site: "berlin", n: "1" }, inventory: {}, outcomes: { folder: "/berlinx" } }]);
  expect(result.page).toMatchObject({ count: 1, last: "d" });
  expect(text(result.page.hostnames)).toBe("a");
  expect(result.ignored).toBe(2);
  expect(result.failed).toEqual([{ hostname: "c", message: expect.stringMatching(/^rule "folder" \(.*\) failed for host c: memory alloc limit exceeded/) }]);
});

test("a page whose hosts are all left out is empty but keeps its place", async () => {
  const result = await pageForTarget(book.forTarget("checkmk"), stored([host("b", { role: "db" })]), noCalls);
  expect({ ...result.page, json: text(result.page.json), hostnames: text(result.page.hostnames) }).toEqual({ json: "[]", count: 0, hostnames: "", last: "b" });
});
