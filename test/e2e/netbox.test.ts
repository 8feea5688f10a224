import { afterEach, describe, expect, test } from "bun:test";
import { runSyncerAsync, tempDir, writeConfig } from "../helpers/binary.ts";
import { DEFAULT_NETBOX_TOKEN, type NetboxFake, startNetboxFake } from "../fakes/netbox/fake.ts";
import { seedNetbox } from "../fakes/netbox/seed.ts";

/**
 * The netbox plugin's imports through the compiled binary against the contract-checking NetBox fake:
 * devices and virtual machines become hosts, paged, filtered, with their related objects as labels and
 * the rest as inventory. Every request is checked against NetBox's OpenAPI contract; closing the fake fails
 * the test on any violation.
 */

type Json = Record<string, any>;

let fake: NetboxFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** A NetBox with two sites, a role, a device type, a platform, a tag, a tenant and a custom field. */
function netbox(options: { pageSize?: number } = {}) {
  fake = startNetboxFake({ maxPageSize: options.pageSize ?? 1000, customFields: [{ name: "owner_team", type: "text", objectTypes: ["dcim.device", "virtualization.virtualmachine"] }] });
  const { store } = fake;
  const ids = seedNetbox(store);
  return { fake, store, ids };
}

async function syncer(config: string, ...args: string[]): Promise<{ code: number; json: Json }> {
  const result = await runSyncerAsync([...args, "--config", config, "--json"], { env: { NETBOX_TOKEN: DEFAULT_NETBOX_TOKEN } });
  expect(result.stdout + result.stderr).not.toContain(DEFAULT_NETBOX_TOKEN);
  try {
    return { code: result.code, json: JSON.parse(result.stdout) };
  } catch {
    throw new Error(`not JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
  }
}

function configFor(address: string, customFields = "") {
  const dir = tempDir("syncer-netbox-");
  return writeConfig(dir, `[server]\ndata_dir = "data"\n[accounts.nb]\nplugin = "netbox"\naddress = "${address}"\npassword = "\${env:NETBOX_TOKEN}"\n[accounts.nb.custom_fields]\n${customFields}`);
}

describe("netbox import_devices", () => {
  test("devices become hosts: related objects, tags and custom fields as labels, the rest as inventory; nameless ones are skipped and counted", async () => {
    const { fake, store, ids } = netbox();
    const web01 = store.create("devices", {
      name: "web01", device_type: ids.type, role: ids.role, site: ids.berlin, platform: ids.platform, tenant: ids.tenant, serial: "SN-1",
      tags: [ids.tag], custom_fields: { owner_team: "web" },
    });
    const ip = store.create("ip-addresses", { address: "192.0.2.10/24" }, { assigned_to: { type: "devices", id: web01.id } });
    store.write("devices", [{ data: { primary_ip4: ip.id }, existing: web01 }], true);
    store.create("devices", { name: "db01", device_type: ids.type, role: ids.role, site: ids.paris, status: "planned" });
    store.create("devices", { device_type: ids.type, role: ids.role, site: ids.paris });
    const config = configFor(fake.address);
    const { code, json } = await syncer(config, "netbox", "import_devices", "nb");
    expect(code).toBe(0);
    expect(json).toMatchObject({ created: 2, failed: 0 });
    expect(json.details).toContainEqual({ level: "warn", message: "1 devices without a name skipped (offset 0)" });
    const host = (await syncer(config, "hosts", "show", "web01")).json;
    expect(host.labels).toEqual({ site: "Berlin", role: "Server", platform: "Debian 12", status: "active", tenant: "Ops", primary_ip4: "192.0.2.10/24", tags: "Production", cf_owner_team: "web" });
    expect(host.inventory).toMatchObject({ nb__id: web01.id, nb__serial: "SN-1", "nb__device_type.model": "R640", "nb__device_type.manufacturer.name": "Dell", "nb__site.slug": "berlin" });
    expect(Object.keys(host.inventory).some((key) => key.endsWith(".url") || key.endsWith(".display"))).toBe(false);
    expect((await syncer(config, "hosts", "show", "db01")).json.labels).toMatchObject({ site: "Paris", status: "planned" });
  });

  test("pages by limit and offset up to NetBox's largest page, and passes the account's filters", async () => {
    const { fake, store, ids } = netbox({ pageSize: 3 });
    for (let i = 1; i <= 7; i++) store.create("devices", { name: `dev${i}`, device_type: ids.type, role: ids.role, site: i % 2 ? ids.berlin : ids.paris });
    const all = await syncer(configFor(fake.address, "page_size = 1000\n"), "netbox", "import_devices", "nb");
    expect(all.json).toMatchObject({ created: 7 });
    // NetBox answers at most 3 a page here, whatever the limit: 3 + 3 + 1.
    expect(fake.server.requestCounts()["GET /api/dcim/devices/"]).toBe(3);
    fake.server.resetCounts();
    const berlin = await syncer(configFor(fake.address, 'filters = ["site=berlin"]\n'), "netbox", "import_devices", "nb");
    expect(berlin.json).toMatchObject({ created: 4 });
  });

  test("a wrong token is an auth error; an unknown filter value is NetBox's own error, with the status", async () => {
    const { fake } = netbox();
    const dir = tempDir("syncer-netbox-");
    const config = writeConfig(dir, `[server]\ndata_dir = "data"\n[accounts.nb]\nplugin = "netbox"\naddress = "${fake.address}"\npassword = "not-the-token"\n`);
    const refused = await syncer(config, "netbox", "import_devices", "nb");
    expect(refused.code).not.toBe(0);
    expect(refused.json.error.kind).toBe("auth");
    const unknown = await syncer(configFor(fake.address, 'filters = ["site=nowhere"]\n'), "netbox", "import_devices", "nb");
    expect(unknown.code).not.toBe(0);
    expect(unknown.json.error.message).toContain("HTTP 400");
    expect(unknown.json.error.message).toContain("nowhere");
  });
});

describe("netbox import_vms", () => {
  test("virtual machines become hosts with their cluster", async () => {
    const { fake, store, ids } = netbox();
    const cluster = store.create("clusters", { name: "pve-berlin", type: store.create("cluster-types", { name: "Proxmox", slug: "proxmox" }).id });
    store.create("virtual-machines", { name: "vm01", cluster: cluster.id, site: ids.berlin, role: ids.role, vcpus: 4, memory: 8192 });
    const config = configFor(fake.address);
    expect((await syncer(config, "netbox", "import_vms", "nb")).json).toMatchObject({ created: 1 });
    const vm = (await syncer(config, "hosts", "show", "vm01")).json;
    expect(vm.labels).toMatchObject({ cluster: "pve-berlin", site: "Berlin", role: "Server", status: "active" });
    expect(vm.inventory).toMatchObject({ nb__vcpus: 4, nb__memory: 8192 });
  });
});
