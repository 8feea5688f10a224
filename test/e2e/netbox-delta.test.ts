import { afterEach, describe, expect, test } from "bun:test";
import { runSyncerAsync, tempDir, writeConfig } from "../helpers/binary.ts";
import { DEFAULT_NETBOX_TOKEN, type NetboxFake, startNetboxFake } from "../fakes/netbox/fake.ts";

/**
 * The netbox plugin's delta mode through the compiled binary: with `delta = true` an import asks NetBox only
 * for what changed since the account's last successful run (last_updated__gte, less a margin), and as such a
 * run cannot see deletions it says its pages are partial, so the daemon does not apply delete_missing.
 */

type Json = Record<string, any>;

let fake: NetboxFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe("netbox import_devices delta = true", () => {
  test("reads only what changed since the last successful run, and deletes nothing it did not see; a full import then does", async () => {
    fake = startNetboxFake();
    const { store } = fake;
    const site = store.create("sites", { name: "Berlin", slug: "berlin" }).id;
    const role = store.create("device-roles", { name: "Server", slug: "server" }).id;
    const type = store.create("device-types", { manufacturer: store.create("manufacturers", { name: "Dell", slug: "dell" }).id, model: "R640", slug: "r640" }).id;
    const [a, b, c] = ["a01", "b01", "c01"].map((name) => store.create("devices", { name, device_type: type, role, site }));
    const dir = tempDir("syncer-netbox-delta-");
    const account = `[accounts.nb]\nplugin = "netbox"\naddress = "${fake.address}"\npassword = "\${env:NETBOX_TOKEN}"\ndelete_missing = true\ndelete_limit = 5\n`;
    const delta = writeConfig(dir, `[server]\ndata_dir = "data"\n${account}[accounts.nb.custom_fields]\ndelta = true\ndelta_margin_seconds = 60\n`);
    const full = writeConfig(dir, `[server]\ndata_dir = "data"\n${account}`, "full.toml");
    const syncer = async (config: string, ...args: string[]): Promise<Json> => {
      const result = await runSyncerAsync([...args, "--config", config, "--json"], { env: { NETBOX_TOKEN: DEFAULT_NETBOX_TOKEN } });
      return JSON.parse(result.stdout) as Json;
    };
    const listed = () => fake!.server.requestCount("GET", "/api/dcim/devices/");

    // No successful run yet: the whole list.
    expect(await syncer(delta, "netbox", "import_devices", "nb")).toMatchObject({ created: 3, failed: 0 });

    // NetBox's clock is the fake's: from now on it writes at the real time, a second per write.
    store.clock = Date.now();
    store.write("devices", [{ data: { serial: "SN-B" }, existing: store.get("devices", b!.id)! }], true);
    store.delete("devices", [c!.id]);
    // An object changed long before the last run (beyond the margin) stays unread.
    store.objects.devices.get(a!.id)!.last_updated = new Date(Date.now() - 3_600_000).toISOString();

    const before = listed();
    const second = await syncer(delta, "netbox", "import_devices", "nb");
    expect(second).toMatchObject({ created: 0, updated: 1, unchanged: 0, deleted: 0, failed: 0 });
    expect(second.details).toContainEqual({ level: "info", message: expect.stringContaining("delete_missing is not applied: netbox import_devices read only what changed since the last successful run") });
    expect(listed() - before).toBe(1);
    expect((await syncer(delta, "hosts", "show", "b01")).inventory).toMatchObject({ nb__serial: "SN-B" });
    expect((await syncer(delta, "hosts", "show", "c01")).deleted_at).toBeNull();

    // A full import sees that c01 is gone.
    expect(await syncer(full, "netbox", "import_devices", "nb")).toMatchObject({ deleted: 1, failed: 0 });
    expect((await syncer(full, "hosts", "show", "c01")).delete_reason).toBe("not seen by netbox import_devices of account nb");
  });
});
