/**
 * The checkmk plugin's begin phase (read_site) reads the site a folder at a time, and asks Checkmk for the next
 * folder of the call while it reads the one it has (http_prefetch): Checkmk's time overlaps the plugin's, and
 * no folder is asked for twice. Called in the sandbox as a run calls it, against the contract-checking fake.
 */
import { expect, test } from "bun:test";
import { startCheckmkFake } from "../fakes/checkmk/fake.ts";
import { pluginHarness } from "../helpers/plugins.ts";

const SECRET = "automation-s3cret-value";
const FOLDER_HOSTS = "GET /objects/folder_config/{folder}/collections/hosts";

test("one call reads every folder of a small site, each folder's hosts asked for once", async () => {
  const fake = startCheckmkFake({ users: [{ name: "automation", secret: SECRET, role: "admin" }] });
  for (const name of ["berlin", "paris", "rome"]) {
    fake.site.createFolder("", name, name, {}, "cmkadmin");
    for (let i = 1; i <= 3; i++) fake.site.createHost(`${name}${i}`, name, { alias: `${name} ${i}` }, "cmkadmin");
  }
  const harness = pluginHarness(`[accounts.monitoring]\nplugin = "checkmk"\naddress = "${fake.address}"\nusername = "automation"\npassword = "\${env:CHECKMK_SECRET}"\n`, {
    env: { CHECKMK_SECRET: SECRET },
  });
  try {
    const result = await harness.call("checkmk", "read_site", { accountName: "monitoring", input: { cursor: null } });
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    const answer = result.value as { hosts: { hostname: string; owned: boolean }[]; next: string | null; also?: string[] };
    expect(answer.hosts.map((host) => host.hostname).sort()).toEqual(["berlin1", "berlin2", "berlin3", "paris1", "paris2", "paris3", "rome1", "rome2", "rome3"]);
    expect(answer.next).toBeNull();
    expect(answer.also).toBeUndefined();
    // The root folder and the three: each asked for once, the prefetched ones taken by the call, not sent again.
    expect(fake.site.folders.size).toBe(4);
    expect(fake.server.requestCounts()[FOLDER_HOSTS]).toBe(4);
  } finally {
    harness.close();
    await fake.close();
  }
});
