/**
 * The fake Checkmk site: what an exporter meets on a real Checkmk 2.4 site, checked against Checkmk's contract.
 * Every test closes its fake, and close() throws when a request or an answer was off the contract.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { type CheckmkFake, startCheckmkFake } from "./checkmk/fake.ts";
import type { SiteOptions } from "./checkmk/site.ts";

let fake: CheckmkFake | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function start(options: SiteOptions = {}): CheckmkFake {
  fake = startCheckmkFake({ users: [{ name: "automation", secret: "s3cret", role: "admin" }, { name: "viewer", secret: "v1ew", role: "guest" }], ...options });
  return fake;
}

interface Call {
  body?: unknown;
  ifMatch?: string;
  user?: string | null;
  headers?: Record<string, string>;
}

/** A request as a well-behaved client sends it: Bearer credentials, Accept and Content-Type JSON. */
async function call(method: string, path: string, { body, ifMatch, user = "automation s3cret", headers = {} }: Call = {}) {
  const sent: Record<string, string> = { Accept: "application/json", ...headers };
  if (user !== null) sent.Authorization = `Bearer ${user}`;
  if (body !== undefined) sent["Content-Type"] = "application/json";
  if (ifMatch !== undefined) sent["If-Match"] = ifMatch;
  const response = await fetch(`${fake!.apiUrl}${path}`, { method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body), redirect: "manual" });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const BULK_CREATE = "/domain-types/host_config/actions/bulk-create/invoke";
const BULK_UPDATE = "/domain-types/host_config/actions/bulk-update/invoke";
const BULK_DELETE = "/domain-types/host_config/actions/bulk-delete/invoke";
const ALL_HOSTS = "/domain-types/host_config/collections/all";
const FOLDERS = "/domain-types/folder_config/collections/all";
const PENDING = "/domain-types/activation_run/collections/pending_changes";
const ACTIVATE = "/domain-types/activation_run/actions/activate-changes/invoke";

async function createFolder(parent: string, name: string) {
  const answer = await call("POST", FOLDERS, { body: { name, title: name.toUpperCase(), parent } });
  expect(answer.status).toBe(200);
  return answer;
}

describe("hosts and folders", () => {
  test("folders are created parents first and addressed with ~ for /; hosts go into them in bulk and are listed with their attributes", async () => {
    start();
    const servers = await createFolder("~", "servers");
    expect(servers.body).toMatchObject({ id: "~servers", title: "SERVERS", extensions: { path: "/servers", attributes: {} } });
    expect(servers.headers.get("etag")).toMatch(/^"[0-9a-f]{64}"$/);
    expect((await call("POST", FOLDERS, { body: { name: "linux", title: "Linux", parent: "~nope" } })).status).toBe(400);
    await createFolder("~servers", "linux");
    expect((await call("GET", "/objects/folder_config/~servers~linux")).body.extensions.path).toBe("/servers/linux");

    const created = await call("POST", BULK_CREATE, {
      body: {
        entries: [
          { host_name: "web01.example.com", folder: "~servers~linux", attributes: { ipaddress: "192.0.2.10", labels: { cmdb_syncer: "csv", os: "linux" }, tag_criticality: "test" } },
          { host_name: "db01.example.com", folder: "/servers", attributes: { alias: "Database" } },
        ],
      },
    });
    expect(created.status).toBe(200);
    expect(created.body.value.map((host: { id: string }) => host.id)).toEqual(["web01.example.com", "db01.example.com"]);

    const all = await call("GET", `${ALL_HOSTS}?effective_attributes=true`);
    const web = all.body.value.find((host: { id: string }) => host.id === "web01.example.com");
    expect(web.extensions).toMatchObject({ folder: "/servers/linux", attributes: { ipaddress: "192.0.2.10", labels: { cmdb_syncer: "csv", os: "linux" }, tag_criticality: "test" }, effective_attributes: { tag_agent: "cmk-agent", tag_criticality: "test" } });
    // Checkmk adds meta_data to every host's attributes: an exporter's diff must leave it out.
    expect(Object.keys(web.extensions.attributes.meta_data)).toEqual(["created_at", "updated_at", "created_by"]);
    expect(all.body.value.find((host: { id: string }) => host.id === "db01.example.com").title).toBe("Database");

    const filtered = await call("GET", `${ALL_HOSTS}?hostnames=db01.example.com&hostnames=none`);
    expect(filtered.body.value.map((host: { id: string }) => host.id)).toEqual(["db01.example.com"]);
    const inFolder = await call("GET", "/objects/folder_config/~servers~linux/collections/hosts");
    expect(inFolder.body.value.map((host: { id: string }) => host.id)).toEqual(["web01.example.com"]);

    const recursive = await call("GET", `${FOLDERS}?parent=~servers&recursive=true&show_hosts=true`);
    expect(recursive.body.value.map((folder: { id: string }) => folder.id)).toEqual(["~servers", "~servers~linux"]);
    expect((await call("GET", FOLDERS)).body.value.map((folder: { id: string }) => folder.id)).toEqual(["~servers"]);
    expect(fake!.site.pendingChanges.map((change) => change.action_name)).toEqual(["new-folder", "new-folder", "create-host", "create-host"]);
  });

  test("a bulk create with a field error (existing host, unknown folder, unknown tag group or choice) is refused whole with Checkmk's fields", async () => {
    start({ tagGroups: { location: ["berlin", "paris"] } });
    await call("POST", BULK_CREATE, { body: { entries: [{ host_name: "a", folder: "/" }] } });
    const refused = await call("POST", BULK_CREATE, {
      body: {
        entries: [
          { host_name: "new1", folder: "/", attributes: { tag_location: "berlin" } },
          { host_name: "a", folder: "/" },
          { host_name: "new2", folder: "~missing" },
          { host_name: "new3", folder: "/", attributes: { tag_location: "rome", tag_nosuchgroup: "x", tag_criticality: "bogus" } },
        ],
      },
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.body.title).toBe("Bad Request");
    expect(refused.body.detail).toBe("These fields have problems: entries");
    expect(Object.keys(refused.body.fields.entries)).toEqual(["1", "2", "3"]);
    expect(refused.body.fields.entries["1"].host_name[0]).toContain("already exists");
    expect(refused.body.fields.entries["2"].folder[0]).toContain("could not be found");
    expect(Object.keys(refused.body.fields.entries["3"].attributes).sort()).toEqual(["tag_criticality", "tag_location", "tag_nosuchgroup"]);
    expect(refused.body.fields.entries["3"].attributes.tag_nosuchgroup).toEqual(["Unknown field."]);
    expect([...fake!.site.hosts.keys()]).toEqual(["a"]);
  });

  test("a host the site refuses is skipped and named under ext.failed_hosts while the rest of the bulk request succeeds", async () => {
    start();
    fake!.site.hostRefusals.set("bad", "Host name not resolvable");
    const answer = await call("POST", BULK_CREATE, { body: { entries: [{ host_name: "good", folder: "/" }, { host_name: "bad", folder: "/" }] } });
    expect(answer.status).toBe(400);
    expect(answer.body.title).toBe("Some actions failed");
    expect(answer.body.ext.failed_hosts).toEqual({ bad: "Validation failed: Host name not resolvable" });
    expect(answer.body.ext.succeeded_hosts.value.map((host: { id: string }) => host.id)).toEqual(["good"]);
    expect([...fake!.site.hosts.keys()]).toEqual(["good"]);
  });

  test("updating one host needs its ETag in If-Match: 428 without, 412 when stale, and the answer carries the new ETag", async () => {
    start();
    await call("POST", BULK_CREATE, { body: { entries: [{ host_name: "web01", folder: "/", attributes: { ipaddress: "192.0.2.1" } }] } });
    const shown = await call("GET", "/objects/host_config/web01");
    const etag = shown.headers.get("etag")!;

    const withoutIfMatch = await fetch(`${fake!.apiUrl}/objects/host_config/web01`, { method: "PUT", headers: { Authorization: "Bearer automation s3cret", Accept: "application/json", "Content-Type": "application/json" }, body: JSON.stringify({ update_attributes: { alias: "Web" } }) });
    expect(withoutIfMatch.status).toBe(428);
    // The contract marks If-Match as required: leaving it out is also recorded as an off-contract request.
    expect((await fake!.server.takeViolations()).map((violation) => violation.problems[0]!.at)).toEqual(["If-Match"]);

    expect((await call("PUT", "/objects/host_config/web01", { body: { update_attributes: { alias: "Web" } }, ifMatch: '"0000"' })).status).toBe(412);
    const updated = await call("PUT", "/objects/host_config/web01", { body: { update_attributes: { alias: "Web" } }, ifMatch: etag });
    expect(updated.status).toBe(200);
    expect(updated.body.extensions.attributes).toMatchObject({ ipaddress: "192.0.2.1", alias: "Web" });
    expect(updated.headers.get("etag")).not.toBe(etag);
    expect((await call("PUT", "/objects/host_config/web01", { body: { attributes: { ipaddress: "192.0.2.2" } }, ifMatch: etag })).status).toBe(412);
    const replaced = await call("PUT", "/objects/host_config/web01", { body: { attributes: { ipaddress: "192.0.2.2" } }, ifMatch: "*" });
    expect(Object.keys(replaced.body.extensions.attributes).sort()).toEqual(["ipaddress", "meta_data"]);
  });

  test("bulk update: update_attributes merges, attributes replaces, an empty attributes object changes nothing, removing an unset attribute fails that host", async () => {
    start();
    await call("POST", BULK_CREATE, { body: { entries: ["a", "b", "c", "d"].map((name) => ({ host_name: name, folder: "/", attributes: { alias: name, labels: { team: "x" } } })) } });
    const answer = await call("PUT", BULK_UPDATE, {
      body: {
        entries: [
          { host_name: "a", update_attributes: { labels: { team: "y" } } },
          { host_name: "b", attributes: { ipaddress: "192.0.2.2" } },
          { host_name: "c", attributes: {} },
          { host_name: "d", remove_attributes: ["alias", "ipaddress"] },
        ],
      },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.ext.failed_hosts).toEqual({ d: "Failed to remove ipaddress" });
    const attributesOf = (name: string) => {
      const { meta_data: _meta, ...rest } = fake!.site.hosts.get(name)!.attributes;
      return rest;
    };
    expect(attributesOf("a")).toEqual({ alias: "a", labels: { team: "y" } });
    expect(attributesOf("b")).toEqual({ ipaddress: "192.0.2.2" });
    expect(attributesOf("c")).toEqual({ alias: "c", labels: { team: "x" } });
    // Checkmk removes what it can before it reports the host as failed.
    expect(attributesOf("d")).toEqual({ labels: { team: "x" } });

    const twoActions = await call("PUT", BULK_UPDATE, { body: { entries: [{ host_name: "a", attributes: { alias: "x" }, remove_attributes: ["alias"] }, { host_name: "nope", update_attributes: {} }] } });
    expect(twoActions.status).toBe(400);
    expect(twoActions.body.fields.entries["0"]._schema[0]).toContain("only allows 1 action");
    expect(twoActions.body.fields.entries["1"].host_name[0]).toContain("Host not found");
  });

  test("bulk delete removes the hosts; one unknown name refuses the whole request", async () => {
    start();
    await call("POST", BULK_CREATE, { body: { entries: ["a", "b", "c"].map((name) => ({ host_name: name, folder: "/" })) } });
    const refused = await call("POST", BULK_DELETE, { body: { entries: ["a", "zz"] } });
    expect(refused.status).toBe(400);
    expect(refused.body.fields.entries["1"][0]).toContain("Host not found");
    expect(fake!.site.hosts.size).toBe(3);
    expect((await call("POST", BULK_DELETE, { body: { entries: ["a", "b"] } })).status).toBe(204);
    expect([...fake!.site.hosts.keys()]).toEqual(["c"]);
    expect((await call("DELETE", "/objects/host_config/c")).status).toBe(204);
    expect((await call("GET", "/objects/host_config/c")).status).toBe(404);
  });

  test("a host moves to another folder with its ETag; moving it where it is is refused", async () => {
    start();
    await createFolder("~", "target");
    const folderEtag = async () => (await call("GET", "/objects/folder_config/~target")).headers.get("etag");
    const targetBefore = await folderEtag();
    await call("POST", BULK_CREATE, { body: { entries: [{ host_name: "web01", folder: "/" }] } });
    const etag = (await call("GET", "/objects/host_config/web01")).headers.get("etag")!;
    const moved = await call("POST", "/objects/host_config/web01/actions/move/invoke", { body: { target_folder: "~target" }, ifMatch: etag });
    expect(moved.status).toBe(200);
    expect(moved.body.extensions.folder).toBe("/target");
    const again = await call("POST", "/objects/host_config/web01/actions/move/invoke", { body: { target_folder: "/target" }, ifMatch: moved.headers.get("etag")! });
    expect(again.body.title).toBe("Invalid move action");
    // A folder's ETag covers its hosts: moving a host in changes the folder's ETag.
    expect(await folderEtag()).not.toBe(targetBefore);
  });

  test("folders: update with If-Match, delete refused while not empty in abort mode, the root is never deleted", async () => {
    start();
    await createFolder("~", "servers");
    await call("POST", BULK_CREATE, { body: { entries: [{ host_name: "web01", folder: "~servers" }] } });
    const etag = (await call("GET", "/objects/folder_config/~servers")).headers.get("etag")!;
    expect((await call("PUT", "/objects/folder_config/~servers", { body: { title: "Servers" }, ifMatch: '"stale"' })).status).toBe(412);
    const updated = await call("PUT", "/objects/folder_config/~servers", { body: { title: "Servers", update_attributes: { tag_criticality: "test" } }, ifMatch: etag });
    expect(updated.body).toMatchObject({ title: "Servers", extensions: { attributes: { tag_criticality: "test" } } });
    expect((await call("GET", `${ALL_HOSTS}?effective_attributes=true`)).body.value[0].extensions.effective_attributes.tag_criticality).toBe("test");
    expect((await call("DELETE", "/objects/folder_config/~servers?delete_mode=abort_on_nonempty")).status).toBe(409);
    expect((await call("DELETE", "/objects/folder_config/~")).status).toBe(401);
    expect((await call("DELETE", "/objects/folder_config/~servers")).status).toBe(204);
    expect(fake!.site.hosts.size).toBe(0);
  });
});

describe("pending changes and activation", () => {
  async function pendingEtag() {
    const answer = await call("GET", PENDING);
    expect(answer.status).toBe(200);
    return { etag: answer.headers.get("etag")!, changes: answer.body.value };
  }

  test("activating needs the pending changes' ETag; the run is waited for and clears what it activated; with nothing pending it is 422", async () => {
    start();
    await call("POST", BULK_CREATE, { body: { entries: [{ host_name: "a", folder: "/" }] } });
    const before = await pendingEtag();
    expect(before.changes.map((change: { action_name: string; user_id: string }) => [change.action_name, change.user_id])).toEqual([["create-host", "automation"]]);

    expect((await call("POST", ACTIVATE, { body: { redirect: false }, ifMatch: '"stale"' })).status).toBe(412);
    const started = await call("POST", ACTIVATE, { body: { redirect: false, sites: [], force_foreign_changes: false }, ifMatch: before.etag });
    expect(started.status).toBe(200);
    expect(started.body.extensions.is_running).toBe(true);
    const id = started.body.id;
    expect((await call("GET", `/objects/activation_run/${id}`)).body.extensions.is_running).toBe(true);
    expect((await call("GET", "/domain-types/activation_run/collections/running")).body.value.map((run: { id: string }) => run.id)).toEqual([id]);

    expect((await call("GET", `/objects/activation_run/${id}/actions/wait-for-completion/invoke`)).status).toBe(204);
    expect((await call("GET", `/objects/activation_run/${id}`)).body.extensions).toMatchObject({ is_running: false, status_per_site: [{ site: "mysite", status_text: "Success" }] });
    const after = await pendingEtag();
    expect(after.changes).toEqual([]);
    expect((await call("POST", ACTIVATE, { body: {}, ifMatch: after.etag })).status).toBe(422);
    expect((await call("GET", "/objects/activation_run/nope")).status).toBe(404);
  });

  test("redirect=true answers 303 to wait-for-completion, which answers 302 to itself while the run is still going", async () => {
    start({ activationWaits: 3 });
    await call("POST", BULK_CREATE, { body: { entries: [{ host_name: "a", folder: "/" }] } });
    const started = await call("POST", ACTIVATE, { body: { redirect: true }, ifMatch: "*" });
    expect(started.status).toBe(303);
    const location = started.headers.get("location")!;
    expect(location).toMatch(/^\/mysite\/check_mk\/api\/1\.0\/objects\/activation_run\/[0-9a-f-]{36}\/actions\/wait-for-completion\/invoke$/);
    const wait = location.replace("/mysite/check_mk/api/1.0", "");
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call("GET", wait)).status);
    expect(statuses).toEqual([302, 302, 204]);
  });

  test("a held activation keeps wait-for-completion waiting until the test finishes it; a second activation meanwhile is 423", async () => {
    start();
    fake!.site.holdActivations();
    await call("POST", BULK_CREATE, { body: { entries: [{ host_name: "a", folder: "/" }] } });
    const id = (await call("POST", ACTIVATE, { body: {}, ifMatch: "*" })).body.id;
    let answered = false;
    const waiting = call("GET", `/objects/activation_run/${id}/actions/wait-for-completion/invoke`).then((answer) => ((answered = true), answer));
    await call("POST", BULK_CREATE, { body: { entries: [{ host_name: "b", folder: "/" }] } });
    expect((await call("POST", ACTIVATE, { body: {}, ifMatch: "*" })).status).toBe(423);
    // Both later requests were answered while the wait was held.
    expect(answered).toBe(false);
    fake!.site.finishActivations();
    expect((await waiting).status).toBe(204);
    // The change made during the run stays pending.
    expect(fake!.site.pendingChanges.map((change) => change.text)).toEqual(["Created new host b."]);
  });

  test("changes of another user need force_foreign_changes", async () => {
    start();
    fake!.site.recordChange("edit-host", "Modified host x.", "cmkadmin");
    expect((await call("POST", ACTIVATE, { body: {}, ifMatch: "*" })).status).toBe(401);
    expect((await call("POST", ACTIVATE, { body: { force_foreign_changes: true }, ifMatch: "*" })).status).toBe(200);
  });
});

describe("authentication", () => {
  test("Bearer <user> <secret>: missing or wrong credentials are 401 as Checkmk words them; a guest may read but not write", async () => {
    start();
    const missing = await call("GET", ALL_HOSTS, { user: null });
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ title: "You need to be authenticated to use the REST API.", status: 401 });
    expect((await call("GET", ALL_HOSTS, { user: "automation wrong" })).status).toBe(401);
    expect((await call("GET", ALL_HOSTS, { headers: { Authorization: "Basic YTpi" }, user: null })).body.title).toBe("Unsupported Auth Type: Basic");
    expect((await call("GET", ALL_HOSTS, { user: "viewer v1ew" })).status).toBe(200);
    const write = await call("POST", BULK_CREATE, { user: "viewer v1ew", body: { entries: [{ host_name: "a", folder: "/" }] } });
    expect(write.status).toBe(401);
    expect(write.body.detail).toContain("lack the permission");
    expect(fake!.site.hosts.size).toBe(0);
  });

  test("a site with configuration disabled answers 403 on Setup endpoints", async () => {
    start({ setupDisabled: true });
    const answer = await call("GET", ALL_HOSTS);
    expect(answer.status).toBe(403);
    expect(answer.body.title).toBe("Forbidden: Setup is disabled");
    expect((await call("GET", "/version")).status).toBe(200);
  });
});

describe("requests off the contract", () => {
  test("an unknown body field, a query parameter the operation lacks, a bad path parameter: answered as Checkmk does and recorded", async () => {
    start();
    const unknownField = await call("POST", BULK_CREATE, { body: { entries: [{ host_name: "a", folder: "/", attribute: {} }] } });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.fields).toEqual({ entries: { "0": { attribute: ["is not in the contract"] } } });
    expect((await call("GET", `${ALL_HOSTS}?folder=/servers`)).status).toBe(400);
    expect((await call("GET", "/objects/host_config/bad%20name")).status).toBe(404);
    expect((await call("POST", BULK_CREATE, { body: { entries: [{ host_name: "a" }] } })).body.fields).toEqual({ entries: { "0": { folder: ["is required"] } } });
    const recorded = await fake!.server.takeViolations();
    expect(recorded.map((violation) => `${violation.operation} ${violation.problems.map((problem) => `${problem.in}:${problem.at}`).join(",")}`)).toEqual([
      "POST /domain-types/host_config/actions/bulk-create/invoke body:entries/0/attribute",
      "GET /domain-types/host_config/collections/all query:folder",
      "GET /objects/host_config/{host_name} path:host_name",
      "POST /domain-types/host_config/actions/bulk-create/invoke body:entries/0/folder",
    ]);
    expect(fake!.site.hosts.size).toBe(0);
  });

  test("no Accept header is 406, a body without Content-Type 415, an unknown path 404, a wrong method 405; each recorded", async () => {
    start();
    const noAccept = await fetch(`${fake!.apiUrl}${ALL_HOSTS}`, { headers: { Authorization: "Bearer automation s3cret", Accept: "" } });
    expect(noAccept.status).toBe(406);
    const noContentType = await fetch(`${fake!.apiUrl}${BULK_DELETE}`, { method: "POST", headers: { Authorization: "Bearer automation s3cret", Accept: "application/json", "Content-Type": "" }, body: '{"entries":["a"]}' });
    expect(noContentType.status).toBe(415);
    expect((await call("GET", "/domain-types/host_config/collections/everything")).status).toBe(404);
    expect((await call("DELETE", ALL_HOSTS)).status).toBe(405);
    expect(await fake!.server.takeViolations()).toHaveLength(4);
  });

  test("close() throws while a violation is recorded and not taken", async () => {
    const own = startCheckmkFake();
    await fetch(`${own.apiUrl}/nothing-here`, { headers: { Authorization: "Bearer automation automation-secret", Accept: "application/json" } });
    await expect(own.close()).rejects.toThrow("GET /mysite/check_mk/api/1.0/nothing-here: path is not an operation of the contract");
  });
});

describe("faults and counts", () => {
  test("the n-th request to an operation answers 500, the others pass; requests are counted per method and path template", async () => {
    start();
    fake!.server.failNth("POST", BULK_CREATE, 2);
    const statuses = [];
    for (const name of ["a", "b", "c"]) statuses.push((await call("POST", BULK_CREATE, { body: { entries: [{ host_name: name, folder: "/" }] } })).status);
    expect(statuses).toEqual([200, 500, 200]);
    expect([...fake!.site.hosts.keys()]).toEqual(["a", "c"]);
    await call("GET", "/objects/host_config/a");
    await call("GET", "/objects/host_config/c");
    expect(fake!.server.requestCounts()).toEqual({ [`POST ${BULK_CREATE}`]: 3, "GET /objects/host_config/{host_name}": 2 });
    expect(fake!.server.writeCount()).toBe(3);
  });

  test("refuseAuth answers every request 401; hold() keeps answers back until released", async () => {
    start();
    fake!.server.refuseAuth();
    expect((await call("GET", ALL_HOSTS)).status).toBe(401);
    fake!.server.refuseAuth(false);
    const gate = fake!.server.hold("GET", ALL_HOSTS);
    let answered = false;
    const held = call("GET", ALL_HOSTS).then((answer) => ((answered = true), answer));
    await gate.arrived;
    expect((await call("GET", "/version")).status).toBe(200);
    expect(answered).toBe(false);
    gate.release();
    expect((await held).status).toBe(200);
  });
});
