/**
 * The netbox import asks NetBox for the next page while it reads the page it has (http_prefetch): the
 * request of the next call goes out during this one, and the next call takes its answer instead of asking
 * again. Called page by page in the sandbox, as a run calls it, against the contract-checking fake.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { DEFAULT_NETBOX_TOKEN, type NetboxFake, startNetboxFake } from "../fakes/netbox/fake.ts";
import { seedNetbox } from "../fakes/netbox/seed.ts";
import { pluginHarness, type Harness } from "../helpers/plugins.ts";
import { until } from "../helpers/until.ts";

let fake: NetboxFake | undefined;
let harness: Harness | undefined;
afterEach(async () => {
  harness?.close();
  harness = undefined;
  await fake?.close();
  fake = undefined;
});

type Page = { hosts: { hostname: string }[]; next: string | null };

/** A NetBox of `devices` devices that answers at most `maxPageSize` a page, and a runtime with an account for it. */
function setup(devices: number, maxPageSize: number, customFields = "") {
  fake = startNetboxFake({ maxPageSize });
  const ids = seedNetbox(fake.store);
  for (let i = 1; i <= devices; i++) fake.store.create("devices", { name: `dev${String(i).padStart(2, "0")}`, device_type: ids.type, role: ids.role, site: ids.berlin });
  harness = pluginHarness(`[accounts.nb]\nplugin = "netbox"\naddress = "${fake.address}"\npassword = "\${env:NETBOX_TOKEN}"\n[accounts.nb.custom_fields]\n${customFields}`, {
    env: { NETBOX_TOKEN: DEFAULT_NETBOX_TOKEN },
  });
  const requests = () => fake!.server.requestCount("GET", "/api/dcim/devices/");
  const page = async (cursor: string | null): Promise<Page> => {
    const result = await harness!.call("netbox", "import_devices", { accountName: "nb", input: { page: cursor, page_size: 1000, last_success: null } });
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    return result.value as Page;
  };
  return { requests, page };
}

describe("netbox import: the next page is asked for during the page before it", () => {
  test("each page's request goes out while the call before it runs, and is sent once", async () => {
    const { requests, page } = setup(7, 3, "page_size = 3\n");
    const first = await page(null);
    expect(first.hosts.map((host) => host.hostname)).toEqual(["dev01", "dev02", "dev03"]);
    // The second page was asked for before anyone asked the plugin for it.
    await until("the second page's request", () => requests() === 2);
    const second = await page(first.next);
    expect(second.hosts.map((host) => host.hostname)).toEqual(["dev04", "dev05", "dev06"]);
    await until("the third page's request", () => requests() === 3);
    const third = await page(second.next);
    expect(third).toEqual({ hosts: [expect.objectContaining({ hostname: "dev07" })], next: null });
    // The last page names no next one: nothing more is asked for.
    expect(requests()).toBe(3);
  });

  test("a page size above NetBox's largest page: the next page starts where NetBox's link says, and no request is sent twice", async () => {
    const { requests, page } = setup(5, 2);
    let cursor: string | null = null;
    const names: string[] = [];
    do {
      const answer: Page = await page(cursor);
      names.push(...answer.hosts.map((host) => host.hostname));
      cursor = answer.next;
    } while (cursor !== null);
    expect(names).toEqual(["dev01", "dev02", "dev03", "dev04", "dev05"]);
    expect(requests()).toBe(3);
  });

  test("a prefetched page no call takes is not taken by another request: a first page asked for again is sent again", async () => {
    const { requests, page } = setup(4, 2);
    const first = await page(null);
    await until("the second page's request", () => requests() === 2);
    // The run starts over (another run of the same account): its first page is not the prefetched one, and is
    // asked for again (then the second page once more, during that call).
    expect((await page(null)).hosts.map((host) => host.hostname)).toEqual(first.hosts.map((host) => host.hostname));
    await until("the first page's request again, and the second's", () => requests() === 4);
  });
});
