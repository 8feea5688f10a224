/**
 * The checkmk plugin's diff of one export page, called in its sandbox with the page input as the daemon hands it
 * (`current` from the begin phase, then the hosts): what Syncer wants and what the site holds are equal when their
 * JSON values are, whatever the escapes, the key order or the spacing either side was written with. Checkmk writes
 * JSON as Python does (`"m\u00fcnchen"`, keys in its own order); Syncer's SDK writes `"münchen"`. A difference
 * that is only one of form must not be written to the site, on every run, for every host.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RawJson } from "../../src/plugins/raw-json.ts";
import { pluginHarness, type Harness } from "../helpers/plugins.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";

let harness: Harness;

beforeAll(() => {
  // Nothing listens at the address: a page that wanted to write would fail its hosts, not pass.
  const account = (name: string, extra = "") => `[accounts.${name}]\nplugin = "checkmk"\naddress = "http://127.0.0.1:9/mysite"\nusername = "automation"\npassword = "secret"\n${extra}`;
  harness = pluginHarness(account("monitoring") + account("prefixed", `[accounts.prefixed.custom_fields]\nlabel_prefix = "cmdb"\n`));
}, COMPILE_TIMEOUT_MS);
afterAll(() => harness.close());

type Result = { hostname: string; status: string; message?: string; fingerprint?: string };

/** One page's results as the plugin answered them: `current` and `hosts` as JSON texts, passed through byte for byte. */
async function answered(current: string, hosts: string, accountName = "monitoring"): Promise<Result[]> {
  const result = await harness.call("checkmk", "export_hosts", { accountName, input: { page: 0, current: new RawJson(current), hosts: new RawJson(hosts) } });
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return (result.value as { results: Result[] }).results;
}

/** The same, without the fingerprints (see the last describe). */
async function page(current: string, hosts: string, accountName = "monitoring"): Promise<Omit<Result, "fingerprint">[]> {
  return (await answered(current, hosts, accountName)).map(({ fingerprint: _, ...rest }) => rest);
}

const host = (labels: string, attributes = "{}") => `[{"hostname":"web01","labels":${labels},"inventory":{},"outcomes":{"folder":"/","attributes":${attributes}}}]`;

describe("checkmk: an export page compares JSON values, not their texts", () => {
  test("escapes in the site's attributes (Python's \\u00fc, \\/, \\u0041) equal the same characters unescaped", async () => {
    const current = `{"web01":{"folder":"/","owned":true,"attributes":{"alias":"M\\u00fcnchen \\/ \\u0041","labels":{"cmdb_syncer":"monitoring","site":"m\\u00fcnchen \\ud83d\\ude00"}}}}`;
    expect(await page(current, host(`{"site":"münchen 😀"}`, `{"alias":"München / A"}`))).toEqual([{ hostname: "web01", status: "unchanged" }]);
  });

  test("escapes in what Syncer wants equal the site's characters; key order and spacing do not matter either", async () => {
    const current = `{"web01":{"folder":"/","owned":true,"attributes":{ "labels" : {"site":"zürich","cmdb_syncer":"monitoring"}, "alias":"Z\u00fcrich"}}}`;
    expect(await page(current, host(`{"site":"z\\u00fcrich"}`, `{"alias":"Z\\u00fcrich"}`))).toEqual([{ hostname: "web01", status: "unchanged" }]);
  });

  test("escaped names (a host label’s, an attribute’s from the rules) equal the same names unescaped", async () => {
    const current = `{"web01":{"folder":"/","owned":true,"attributes":{"alias":"x","labels":{"cmdb_syncer":"monitoring","rôle":"web","zone":"a"}}}}`;
    expect(await page(current, host(`{"zone":"a","r\\u00f4le":"web"}`, `{"ali\\u0061s":"x"}`))).toEqual([{ hostname: "web01", status: "unchanged" }]);
  });

  test("with a label prefix every label is compared by its prefixed name, and one that would be the ownership label does not replace it", async () => {
    const current = `{"web01":{"folder":"/","owned":true,"attributes":{"labels":{"cmdb_syncer":"prefixed","cmdbsite":"berlin"}}}}`;
    expect(await page(current, host(`{"site":"berlin","_syncer":"someone else"}`), "prefixed")).toEqual([{ hostname: "web01", status: "unchanged" }]);
  });

  test("a value that differs is still a difference, shown decoded", async () => {
    const current = `{"web01":{"folder":"/","owned":true,"attributes":{"labels":{"cmdb_syncer":"monitoring","site":"m\\u00fcnchen"}}}}`;
    const [result] = await page(current, host(`{"site":"berlin"}`));
    // The write cannot reach the site (nothing listens): the host fails, its message naming the bulk update.
    expect(result).toMatchObject({ hostname: "web01", status: "failed", message: expect.stringContaining("bulk update") });
  });
});

describe("checkmk: an export page fingerprints each host as it wants it on the site", () => {
  test("the same wanted host has one fingerprint, whatever form the site's attributes were written in; a host that failed has none", async () => {
    const wanted = host(`{"site":"münchen"}`, `{"alias":"M"}`);
    const [plain] = await answered(`{"web01":{"folder":"/","owned":true,"attributes":{"alias":"M","labels":{"cmdb_syncer":"monitoring","site":"münchen"}}}}`, wanted);
    const [escaped] = await answered(`{"web01":{"folder":"/","owned":true,"attributes":{"labels":{"site":"m\\u00fcnchen","cmdb_syncer":"monitoring"},"alias":"\\u004d"}}}`, wanted);
    expect(plain).toMatchObject({ status: "unchanged", fingerprint: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(escaped).toEqual(plain!);
    const [other] = await answered(`{"web01":{"folder":"/","owned":true,"attributes":{"alias":"M","labels":{"cmdb_syncer":"monitoring","site":"münchen"}}}}`, host(`{"site":"münchen"}`, `{"alias":"N"}`));
    // Nothing listens at the account's address: the update fails, and a host that failed is not fingerprinted.
    expect(other).toMatchObject({ status: "failed" });
    expect(other!.fingerprint).toBeUndefined();
  });
});
