import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runSyncerAsync, tempDir, writeConfig } from "../helpers/binary.ts";
import { DEFAULT_NETBOX_TOKEN, type NetboxFake, startNetboxFake } from "../fakes/netbox/fake.ts";
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
