import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runSyncerAsync, tempDir, writeConfig } from "../helpers/binary.ts";
import { DEFAULT_NETBOX_TOKEN, type NetboxFake, startNetboxFake } from "../fakes/netbox/fake.ts";
import { seedNetbox } from "../fakes/netbox/seed.ts";
import type { NetboxRecord } from "../fakes/netbox/store.ts";

/**
 * The netbox plugin's exports through the compiled binary against the contract-checking NetBox fake: hosts
 * imported from CSV, given NetBox fields by rules for target netbox, exported as devices (and virtual
 * machines), changed, exported again, removed. Every request is checked against NetBox's OpenAPI contract;
 * closing a fake fails the test on any violation.
 */

type Json = Record<string, any>;

const fakes: NetboxFake[] = [];
afterEach(async () => {
  for (const fake of fakes.splice(0)) await fake.close();
});

const DEVICES = "/api/dcim/devices/";
const VMS = "/api/virtualization/virtual-machines/";

const RULES = `
[[rules]]
name = "NetBox fields from the CMDB's labels"
target = "netbox"
match = "anyway"
set = { site = "{{ labels.site }}", role = "{{ labels.role }}", device_type = "r640", status = "{{ labels.status | default: 'active' }}" }

[[rules]]
name = "the owner team"
target = "netbox"
conditions = [{ label = "team", match = "regex", value = "." }]
set = { custom_fields.owner_team = "{{ labels.team }}", tags = "Production" }
`;

/** A NetBox with sites Berlin and Paris, a role, a device type, a tag, a custom field; one device people made. */
function netbox() {
  const fake = startNetboxFake({ customFields: [{ name: "owner_team", type: "text", objectTypes: ["dcim.device", "virtualization.virtualmachine"] }] });
  fakes.push(fake);
  const { store } = fake;
  const ids = {
    berlin: store.create("sites", { name: "Berlin", slug: "berlin" }).id,
    paris: store.create("sites", { name: "Paris", slug: "paris" }).id,
    server: store.create("device-roles", { name: "Server", slug: "server" }).id,
    switch: store.create("device-roles", { name: "Switch", slug: "switch" }).id,
    type: store.create("device-types", { manufacturer: store.create("manufacturers", { name: "Dell", slug: "dell" }).id, model: "R640", slug: "r640" }).id,
    production: store.create("tags", { name: "Production", slug: "prod" }).id,
  };
  const people = store.create("devices", { name: "people01", device_type: ids.type, role: ids.server, site: ids.berlin });
  return { fake, store, ids, people };
}

interface Setup {
  dir: string;
  config: string;
  csv(rows: string[][]): void;
  syncer(...args: string[]): Promise<{ code: number; json: Json }>;
  cli(...args: string[]): Promise<number>;
}

function setup(fake: NetboxFake, extra = "", rules = RULES): Setup {
  const dir = tempDir("syncer-netbox-export-");
  const config = writeConfig(
    dir,
    `[server]\ndata_dir = "data"\n` +
      `[accounts.cmdb]\nplugin = "csv"\n[accounts.cmdb.custom_fields]\npath = "hosts.csv"\nhostname_column = "host"\nlabel_columns = ["site", "role", "status", "team"]\n` +
      `[accounts.nb]\nplugin = "netbox"\naddress = "${fake.address}"\npassword = "\${env:NETBOX_TOKEN}"\ndelete_limit = "50%"\n[accounts.nb.custom_fields]\n${extra}\n` +
      rules,
  );
  return {
    dir,
    config,
    csv: (rows) => writeFileSync(join(dir, "hosts.csv"), ["host,site,role,status,team", ...rows.map((row) => row.join(","))].join("\n") + "\n"),
    syncer: async (...args) => {
      const result = await runSyncerAsync([...args, "--config", config, "--json"], { env: { NETBOX_TOKEN: DEFAULT_NETBOX_TOKEN } });
      expect(result.stdout + result.stderr).not.toContain(DEFAULT_NETBOX_TOKEN);
      try {
        return { code: result.code, json: JSON.parse(result.stdout) };
      } catch {
        throw new Error(`not JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
      }
    },
    cli: async (...args) => (await runSyncerAsync([...args, "--config", config], { env: { NETBOX_TOKEN: DEFAULT_NETBOX_TOKEN } })).code,
  };
}

const byName = (fake: NetboxFake, name: string, type: "devices" | "virtual-machines" = "devices"): NetboxRecord | undefined => fake.store.all(type).find((record) => record.name === name);
const tagSlugs = (fake: NetboxFake, record: NetboxRecord) => record.tags.map((id) => fake.store.get("tags", id)!.slug).sort();

describe("netbox export_devices", () => {
  test("the first export creates the devices in bulk with the rules' fields and the syncer tag; a device people made under a host's name is left alone", async () => {
    const { fake, ids, people } = netbox();
    const s = setup(fake);
    s.csv([["web01", "berlin", "server", "active", "web"], ["web02", "Paris", "Switch", "planned", ""], ["people01", "paris", "server", "", ""]]);
    expect((await s.syncer("csv", "import_hosts", "cmdb")).code).toBe(0);
    const { code, json } = await s.syncer("netbox", "export_devices", "nb");
    expect(json.error).toBeUndefined();
    expect(code).toBe(0);
    expect(json).toMatchObject({ created: 2, skipped: 1, updated: 0, deleted: 0, failed: 0 });
    expect(json.details).toContainEqual({ level: "info", message: expect.stringMatching(/^people01: skipped: NetBox has a device people01 \(id \d+\) without the tag syncer/) });
    const web01 = byName(fake, "web01")!;
    expect(web01).toMatchObject({ site: ids.berlin, role: ids.server, device_type: ids.type, status: "active", custom_fields: { owner_team: "web" } });
    expect(tagSlugs(fake, web01)).toEqual(["prod", "syncer"]);
    expect(byName(fake, "web02")).toMatchObject({ site: ids.paris, role: ids.switch, status: "planned" });
    expect(tagSlugs(fake, byName(fake, "web02")!)).toEqual(["syncer"]);
    expect(fake.store.get("devices", people.id)).toEqual(people);
    const counts = fake.server.requestCounts();
    // In bulk: one POST for both devices (and one for the syncer tag), never one per device.
    expect(counts[`POST ${DEVICES}`]).toBe(1);
    expect(counts["POST /api/extras/tags/"]).toBe(1);
  });
});

describe("netbox export_devices: changes", () => {
  test("a second export with nothing changed sends no write; a changed host is PATCHed alone, with only the fields that differ", async () => {
    const { fake, ids } = netbox();
    const s = setup(fake);
    s.csv([["web01", "berlin", "server", "active", "web"], ["web02", "berlin", "server", "active", ""], ["web03", "paris", "server", "active", ""]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    expect((await s.syncer("netbox", "export_devices", "nb")).json).toMatchObject({ created: 3 });
    const writes = fake.server.writeCount();
    const again = await s.syncer("netbox", "export_devices", "nb");
    expect(again.json).toMatchObject({ created: 0, updated: 0, unchanged: 3, deleted: 0, failed: 0 });
    expect(fake.server.writeCount()).toBe(writes);

    s.csv([["web01", "berlin", "server", "active", "db"], ["web02", "paris", "switch", "active", ""], ["web03", "paris", "server", "active", ""]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    const before = byName(fake, "web03")!;
    fake.server.resetCounts();
    const changed = await s.syncer("netbox", "export_devices", "nb");
    expect(changed.json).toMatchObject({ updated: 2, unchanged: 1 });
    expect(changed.json.details).toContainEqual({ level: "info", message: "web01: updated: custom_fields.owner_team: \"web\" → \"db\"" });
    expect(changed.json.details).toContainEqual({ level: "info", message: "web02: updated: site: Berlin → Paris; role: Server → Switch" });
    expect(byName(fake, "web02")).toMatchObject({ site: ids.paris, role: ids.switch });
    expect(byName(fake, "web01")!.custom_fields).toEqual({ owner_team: "db" });
    expect(byName(fake, "web03")).toEqual(before);
    expect(fake.server.requestCounts()[`PATCH ${DEVICES}`]).toBe(1);
    expect(fake.server.writeCount()).toBe(1);
  });

  test("devices Syncer tagged whose hosts are gone are deleted, within the delete limit (--force goes past it); untagged ones never are", async () => {
    const { fake, people } = netbox();
    const s = setup(fake);
    s.csv([["web01", "berlin", "server", "active", ""], ["web02", "berlin", "server", "active", ""], ["web03", "paris", "server", "active", ""], ["web04", "paris", "server", "active", ""]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    await s.syncer("netbox", "export_devices", "nb");
    const names = () => fake.store.all("devices").map((device) => device.name).sort();
    expect(names()).toEqual(["people01", "web01", "web02", "web03", "web04"]);
    expect(await s.cli("hosts", "lifecycle", "web04", "decommissioned")).toBe(0);
    const removed = await s.syncer("netbox", "export_devices", "nb");
    expect(removed.json).toMatchObject({ deleted: 1, unchanged: 3 });
    expect(names()).toEqual(["people01", "web01", "web02", "web03"]);
    expect(fake.server.requestCounts()[`DELETE ${DEVICES}`]).toBe(1);

    // Two of the three owned devices gone: past 50%, nothing is deleted and the run says why.
    expect(await s.cli("hosts", "lifecycle", "web02", "decommissioned")).toBe(0);
    expect(await s.cli("hosts", "lifecycle", "web03", "decommissioned")).toBe(0);
    const refused = await s.syncer("netbox", "export_devices", "nb");
    expect(refused.code).not.toBe(0);
    expect(refused.json.error.kind).toBe("delete_limit");
    expect(names()).toEqual(["people01", "web01", "web02", "web03"]);
    expect((await s.syncer("netbox", "export_devices", "nb", "--force")).json).toMatchObject({ deleted: 2 });
    expect(names()).toEqual(["people01", "web01"]);
    expect(fake.store.get("devices", people.id)).toEqual(people);
  });

  test("--dry-run reads NetBox, reports the whole diff (create with its fields, update old → new, delete), and writes nothing", async () => {
    const { fake } = netbox();
    const s = setup(fake);
    s.csv([["web01", "berlin", "server", "active", ""], ["web02", "berlin", "server", "active", ""], ["web03", "berlin", "server", "active", ""]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    await s.syncer("netbox", "export_devices", "nb");
    s.csv([["web01", "paris", "server", "offline", ""], ["web02", "berlin", "server", "active", ""], ["web05", "berlin", "server", "active", "web"]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    expect(await s.cli("hosts", "lifecycle", "web03", "decommissioned")).toBe(0);
    const writes = fake.server.writeCount();
    const devices = JSON.stringify(fake.store.all("devices"));
    const dry = await s.syncer("netbox", "export_devices", "nb", "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.json).toMatchObject({ created: 1, updated: 1, unchanged: 1, deleted: 1 });
    expect(dry.json.details).toContainEqual({ level: "info", message: "web01: updated: site: Berlin → Paris; status: active → offline" });
    expect(dry.json.details).toContainEqual({ level: "info", message: "web05: created: site: Berlin; role: Server; device_type: R640; status: active; tags: Production,syncer; custom_fields.owner_team: \"web\"" });
    expect(dry.json.details).toContainEqual({ level: "info", message: expect.stringMatching(/^web03: deleted: would delete device \d+ \(tagged syncer\)$/) });
    expect(fake.server.writeCount()).toBe(writes);
    expect(JSON.stringify(fake.store.all("devices"))).toBe(devices);
  });

  test("NetBox's validation error for one object is reported with its field messages while the others are created; a wrong token is an auth error", async () => {
    const { fake, ids } = netbox();
    // People made DB01 in Berlin; NetBox's names are unique per site whatever their case, and the name lookup is exact.
    fake.store.create("devices", { name: "DB01", device_type: ids.type, role: ids.server, site: ids.berlin });
    const s = setup(fake);
    s.csv([["db01", "berlin", "server", "active", ""], ["web01", "berlin", "server", "active", ""], ["web02", "nowhere", "server", "active", ""]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    const { code, json } = await s.syncer("netbox", "export_devices", "nb");
    expect(code).toBe(0);
    expect(json).toMatchObject({ created: 1, failed: 2 });
    expect(json.details).toContainEqual({ level: "error", message: "db01: failed: NetBox refused to create it: Device name must be unique per site." });
    expect(json.details).toContainEqual({ level: "error", message: "web02: failed: the site 'nowhere' is not in NetBox (create_missing is off)" });
    expect(byName(fake, "web01")).toBeDefined();

    const dir = tempDir("syncer-netbox-export-");
    const config = writeConfig(dir, `[server]\ndata_dir = "data"\n[accounts.nb]\nplugin = "netbox"\naddress = "${fake.address}"\npassword = "not-the-token"\n`);
    const refused = await runSyncerAsync(["netbox", "export_devices", "nb", "--config", config, "--json"]);
    expect(JSON.parse(refused.stdout).error.kind).toBe("auth");
  });

  test("an update NetBox refuses is found by sending the chunk's objects one by one; the others are updated", async () => {
    const { fake, ids } = netbox();
    const s = setup(fake);
    s.csv([["web01", "berlin", "server", "active", ""], ["web02", "berlin", "server", "active", ""]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    expect((await s.syncer("netbox", "export_devices", "nb")).json).toMatchObject({ created: 2 });
    // Meanwhile people made a web02 in Paris: names are unique per site.
    fake.store.create("devices", { name: "web02", device_type: ids.type, role: ids.server, site: ids.paris });
    s.csv([["web01", "paris", "server", "active", ""], ["web02", "paris", "server", "active", ""]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    fake.server.resetCounts();
    const { json } = await s.syncer("netbox", "export_devices", "nb");
    expect(json).toMatchObject({ updated: 1, failed: 1 });
    expect(json.details).toContainEqual({ level: "error", message: "web02: failed: NetBox refused the update: Device name must be unique per site." });
    expect(fake.store.all("devices").filter((device) => device.name === "web01").map((device) => device.site)).toEqual([ids.paris]);
    // The bulk PATCH, then each of its two objects alone.
    expect(fake.server.requestCounts()[`PATCH ${DEVICES}`]).toBe(3);
  });

  test("of two tagged devices with one name (NetBox lists them side by side, here across pages) the first is the host's, the other is left alone", async () => {
    const { fake, ids, store } = netbox();
    const tag = store.create("tags", { name: "syncer", slug: "syncer" }).id;
    const first = store.create("devices", { name: "web01", device_type: ids.type, role: ids.server, site: ids.berlin, tags: [tag] });
    const second = store.create("devices", { name: "web01", device_type: ids.type, role: ids.server, site: ids.paris, tags: [tag] });
    const s = setup(fake, "page_size = 1\n");
    s.csv([["web01", "berlin", "server", "active", ""]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    const { code, json } = await s.syncer("netbox", "export_devices", "nb");
    expect(code).toBe(0);
    expect(json).toMatchObject({ unchanged: 1, created: 0, deleted: 0, failed: 0 });
    expect(json.details).toContainEqual({ level: "warn", message: `NetBox has more than one device named web01 with the tag: device ${second.id} is left alone (Syncer has one host per name)` });
    expect(store.get("devices", first.id)).toEqual(first);
    expect(store.get("devices", second.id)).toEqual(second);
  });

  test("a NetBox that cannot be reached is a connection error, before anything is sent", async () => {
    const { fake } = netbox();
    const s = setup(fake);
    s.csv([["web01", "berlin", "server", "active", ""]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    const dir = tempDir("syncer-netbox-export-");
    const config = writeConfig(dir, `[server]\ndata_dir = "data"\n[accounts.nb]\nplugin = "netbox"\naddress = "http://127.0.0.1:9"\npassword = "secret-token"\n[accounts.nb.custom_fields]\ntimeout = 2\n`);
    const result = await runSyncerAsync(["netbox", "export_devices", "nb", "--config", config, "--json"]);
    expect(result.code).not.toBe(0);
    expect(JSON.parse(result.stdout).error.kind).toBe("connection");
  });

  test("create_missing makes the sites, roles, manufacturers and device types the rules name, once each, before the devices", async () => {
    const { fake } = netbox();
    const rules = `
[[rules]]
name = "NetBox fields"
target = "netbox"
match = "anyway"
set = { site = "{{ labels.site }}", role = "{{ labels.role }}", device_type = "PowerEdge R750", manufacturer = "Dell", platform = "Debian 12" }
`;
    const s = setup(fake, "create_missing = true\n", rules);
    s.csv([["web01", "Rome", "Database", "active", ""], ["web02", "Rome", "Database", "active", ""], ["web03", "berlin", "server", "active", ""]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    // A dry run says what it would create, and creates nothing.
    const dry = await s.syncer("netbox", "export_devices", "nb", "--dry-run");
    expect(dry.json).toMatchObject({ created: 3, failed: 0 });
    expect(dry.json.details).toContainEqual({ level: "info", message: "would create the site 'Rome'" });
    expect(dry.json.details).toContainEqual({ level: "info", message: "web01: created: site: Rome; role: Database; device_type: PowerEdge R750; platform: Debian 12; tags: syncer" });
    expect(fake.server.writeCount()).toBe(0);
    expect(fake.store.all("sites").map((site) => site.name)).toEqual(["Berlin", "Paris"]);
    const { json } = await s.syncer("netbox", "export_devices", "nb");
    expect(json).toMatchObject({ created: 3, failed: 0 });
    const rome = fake.store.all("sites").find((site) => site.name === "Rome")!;
    expect(rome.slug).toBe("rome");
    const type = fake.store.all("device-types").find((candidate) => candidate.model === "PowerEdge R750")!;
    expect(fake.store.get("manufacturers", type.manufacturer as number)!.name).toBe("Dell");
    expect(byName(fake, "web01")).toMatchObject({ site: rome.id, device_type: type.id, platform: fake.store.all("platforms")[0]!.id });
    const counts = fake.server.requestCounts();
    expect(counts["POST /api/dcim/sites/"]).toBe(1);
    expect(counts["POST /api/dcim/device-roles/"]).toBe(1);
    expect(counts["POST /api/dcim/device-types/"]).toBe(1);
    expect(counts["POST /api/dcim/manufacturers/"]).toBeUndefined();
  });
});

describe("netbox export_vms", () => {
  test("hosts become virtual machines in their cluster; again, nothing is written", async () => {
    const { fake, store } = netbox();
    const cluster = store.create("clusters", { name: "pve-berlin", type: store.create("cluster-types", { name: "Proxmox", slug: "proxmox" }).id });
    const rules = `
[[rules]]
name = "VMs"
target = "netbox"
match = "anyway"
set = { cluster = "pve-berlin", role = "{{ labels.role }}", status = "{{ labels.status }}" }
`;
    const s = setup(fake, "", rules);
    s.csv([["vm01", "berlin", "server", "active", ""], ["vm02", "berlin", "server", "staged", ""]]);
    await s.syncer("csv", "import_hosts", "cmdb");
    expect((await s.syncer("netbox", "export_vms", "nb")).json).toMatchObject({ created: 2, failed: 0 });
    expect(byName(fake, "vm02", "virtual-machines")).toMatchObject({ cluster: cluster.id, status: "staged" });
    expect(tagSlugs(fake, byName(fake, "vm01", "virtual-machines")!)).toEqual(["syncer"]);
    const writes = fake.server.writeCount();
    expect((await s.syncer("netbox", "export_vms", "nb")).json).toMatchObject({ unchanged: 2 });
    expect(fake.server.writeCount()).toBe(writes);
    expect(fake.server.requestCounts()[`POST ${VMS}`]).toBe(1);
  });
});

describe("netbox round trip", () => {
  test("devices imported from one NetBox and exported to another come out with the same fields", async () => {
    const customFields = [{ name: "owner_team", type: "text" as const, objectTypes: ["dcim.device"] }];
    const source = startNetboxFake({ customFields });
    const target = startNetboxFake({ customFields });
    fakes.push(source, target);
    const a = source.store;
    const ids = seedNetbox(a);
    a.create("devices", { name: "web01", device_type: ids.type, role: ids.role, site: ids.berlin, platform: ids.platform, tenant: ids.tenant, tags: [ids.tag], custom_fields: { owner_team: "web" } });
    a.create("devices", { name: "db01", device_type: ids.type, role: ids.role, site: ids.paris, status: "planned" });
    // The target knows the tenant and the tag; create_missing makes the rest.
    target.store.create("tenants", { name: "Ops", slug: "ops" });
    target.store.create("tags", { name: "Production", slug: "prod" });

    const dir = tempDir("syncer-netbox-roundtrip-");
    const config = writeConfig(
      dir,
      `[server]\ndata_dir = "data"\n` +
        `[accounts.source]\nplugin = "netbox"\naddress = "${source.address}"\npassword = "\${env:NETBOX_TOKEN}"\n` +
        `[accounts.target]\nplugin = "netbox"\naddress = "${target.address}"\npassword = "\${env:NETBOX_TOKEN}"\n[accounts.target.custom_fields]\ncreate_missing = true\n` +
        `[[rules]]\nname = "NetBox to NetBox"\ntarget = "target"\nmatch = "anyway"\n` +
        `set = { site = "{{ labels.site }}", role = "{{ labels.role }}", platform = "{{ labels.platform }}", status = "{{ labels.status }}", tenant = "{{ labels.tenant }}", tags = "{{ labels.tags }}", ` +
        `device_type = "{{ inventory['source__device_type.model'] }}", manufacturer = "{{ inventory['source__device_type.manufacturer.name'] }}", custom_fields.owner_team = "{{ labels.cf_owner_team }}" }\n`,
    );
    const run = async (...args: string[]) => {
      const result = await runSyncerAsync([...args, "--config", config, "--json"], { env: { NETBOX_TOKEN: DEFAULT_NETBOX_TOKEN } });
      return JSON.parse(result.stdout) as Json;
    };
    expect(await run("netbox", "import_devices", "source")).toMatchObject({ created: 2, failed: 0 });
    expect(await run("netbox", "export_devices", "target")).toMatchObject({ created: 2, failed: 0 });

    const view = (fake: NetboxFake, record: NetboxRecord) => {
      const name = (type: Parameters<NetboxFake["store"]["get"]>[0], id: unknown, field = "name") => (id === null ? null : fake.store.get(type, id as number)![field]);
      const type = fake.store.get("device-types", record.device_type as number)!;
      return {
        name: record.name,
        site: name("sites", record.site),
        role: name("device-roles", record.role),
        device_type: type.model,
        manufacturer: name("manufacturers", type.manufacturer),
        platform: name("platforms", record.platform),
        status: record.status,
        tenant: name("tenants", record.tenant),
        tags: record.tags.map((id) => fake.store.get("tags", id)!.name).filter((tag) => tag !== "syncer").sort(),
        custom_fields: record.custom_fields,
      };
    };
    const devices = (fake: NetboxFake) => fake.store.all("devices").map((record) => view(fake, record)).sort((x, y) => String(x.name).localeCompare(String(y.name)));
    expect(devices(target)).toEqual(devices(source));
    expect(devices(target).map((device) => device.name)).toEqual(["db01", "web01"]);
    // …and a second export finds nothing to change.
    expect(await run("netbox", "export_devices", "target")).toMatchObject({ unchanged: 2, created: 0, updated: 0 });
  });
});
