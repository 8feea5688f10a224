/**
 * The checkmk plugin's diff of one export page, called in its sandbox with the page input as the daemon hands it
 * (`current` as the begin phase read it from the site, then the hosts): what Syncer wants and what the site holds
 * are equal when their JSON values are, whatever the escapes or the key order either side was written with.
 * Checkmk writes JSON as Python does (`"m\u00fcnchen"`, keys in its own order); Syncer's SDK writes `"münchen"`.
 * A difference that is only one of form must not be written to the site, on every run, for every host. The site is
 * the contract-checking fake, writing its answers with \u escapes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RawJson } from "../../src/plugins/raw-json.ts";
import { type CheckmkFake, startCheckmkFake } from "../fakes/checkmk/fake.ts";
import { pluginHarness, type Harness } from "../helpers/plugins.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";

let harness: Harness;
let fake: CheckmkFake;

beforeAll(() => {
  fake = startCheckmkFake({ users: [{ name: "automation", secret: "secret", role: "admin" }], asciiJson: true });
  const account = (name: string, extra = "") => `[accounts.${name}]\nplugin = "checkmk"\naddress = "${fake.address}"\nusername = "automation"\npassword = "secret"\n${extra}`;
  harness = pluginHarness(account("monitoring") + account("prefixed", `[accounts.prefixed.custom_fields]\nlabel_prefix = "cmdb"\n`));
}, COMPILE_TIMEOUT_MS);
afterAll(async () => {
  harness.close();
  await fake.close();
});

type Result = { hostname: string; status: string; message?: string; fingerprint?: string };

/** The site holds `attributes` for web01 (in the root folder), made anew: `current` as the begin phase reads it. */
async function siteHolds(attributes: Record<string, unknown>, accountName = "monitoring"): Promise<string> {
  fake.site.hosts.delete("web01");
  fake.site.createHost("web01", "", attributes, "automation");
  const begin = await harness.call("checkmk", "read_site", { accountName, input: { cursor: null } });
  if (!begin.ok) throw new Error(JSON.stringify(begin.error));
  const host = (begin.value as { hosts: { hostname: string; state: unknown; fingerprint: string }[] }).hosts.find((entry) => entry.hostname === "web01")!;
  expect(host.state).toMatchObject({ fingerprint: host.fingerprint });
  return JSON.stringify({ web01: host.state });
}

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
const writes = () => Object.entries(fake.server.requestCounts()).filter(([key]) => !key.startsWith("GET ")).reduce((sum, [, count]) => sum + count, 0);

describe("checkmk: an export page compares JSON values, not their texts", () => {
  test("escapes in the site's attributes (Python's \\u00fc, surrogate pairs) equal the same characters unescaped", async () => {
    const current = await siteHolds({ alias: "München / A", labels: { cmdb_syncer: "monitoring", site: "münchen 😀" } });
    expect(await page(current, host(`{"site":"münchen 😀"}`, `{"alias":"München / A"}`))).toEqual([{ hostname: "web01", status: "unchanged" }]);
  });

  test("escapes in what Syncer wants equal the site's characters; key order does not matter either", async () => {
    const current = await siteHolds({ labels: { site: "zürich", cmdb_syncer: "monitoring" }, alias: "Zürich" });
    expect(await page(current, host(`{"site":"z\\u00fcrich"}`, `{"alias":"Z\\u00fcrich"}`))).toEqual([{ hostname: "web01", status: "unchanged" }]);
  });

  test("escaped names (a host label’s, an attribute’s from the rules) equal the same names unescaped", async () => {
    const current = await siteHolds({ alias: "x", labels: { cmdb_syncer: "monitoring", rôle: "web", zone: "a" } });
    expect(await page(current, host(`{"zone":"a","r\\u00f4le":"web"}`, `{"ali\\u0061s":"x"}`))).toEqual([{ hostname: "web01", status: "unchanged" }]);
  });

  test("with a label prefix every label is compared by its prefixed name, and one that would be the ownership label does not replace it", async () => {
    const current = await siteHolds({ labels: { cmdb_syncer: "prefixed", cmdbsite: "berlin" } }, "prefixed");
    expect(await page(current, host(`{"site":"berlin","_syncer":"someone else"}`), "prefixed")).toEqual([{ hostname: "web01", status: "unchanged" }]);
  });

  test("a value that differs is still a difference: the site's attributes are read, the change shown decoded, and written", async () => {
    const current = await siteHolds({ labels: { cmdb_syncer: "monitoring", site: "münchen" } });
    const before = writes();
    expect(await page(current, host(`{"site":"berlin"}`))).toEqual([
      { hostname: "web01", status: "updated", message: 'labels: {"cmdb_syncer":"monitoring","site":"münchen"} → {"cmdb_syncer":"monitoring","site":"berlin"}' },
    ]);
    expect(writes()).toBe(before + 1);
    expect(fake.site.hosts.get("web01")!.attributes.labels).toEqual({ cmdb_syncer: "monitoring", site: "berlin" });
  });
});

describe("checkmk: an export page fingerprints each host as it wants it on the site", () => {
  test("an unchanged host answers the fingerprint the begin phase read, whatever form the site wrote; an updated one that of what it wrote, which the next read finds", async () => {
    const current = await siteHolds({ labels: { site: "münchen", cmdb_syncer: "monitoring" }, alias: "M" });
    const [unchanged] = await answered(current, host(`{"site":"münchen"}`, `{"alias":"M"}`));
    expect(unchanged).toEqual({ hostname: "web01", status: "unchanged", fingerprint: JSON.parse(current).web01.fingerprint });
    const [updated] = await answered(current, host(`{"site":"münchen"}`, `{"alias":"N"}`));
    const wrote = updated!.fingerprint!;
    expect(updated!.status).toBe("updated");
    expect(wrote).toMatch(/^[0-9a-f]{32}$/);
    expect(wrote).not.toBe(unchanged!.fingerprint!);
    const begin = await harness.call("checkmk", "read_site", { accountName: "monitoring", input: { cursor: null } });
    if (!begin.ok) throw new Error(JSON.stringify(begin.error));
    const read = (begin.value as { hosts: { hostname: string; fingerprint: string }[] }).hosts.find((entry) => entry.hostname === "web01")!;
    expect(read.fingerprint).toBe(wrote);
  });

  test("a host whose write failed answers no fingerprint", async () => {
    const current = await siteHolds({ labels: { cmdb_syncer: "monitoring" } });
    fake.server.failNth("PUT", "/domain-types/host_config/actions/bulk-update/invoke", 1);
    const [failed] = await answered(current, host(`{"site":"rome"}`));
    expect(failed).toMatchObject({ hostname: "web01", status: "failed" });
    expect(failed!.fingerprint).toBeUndefined();
  });
});
