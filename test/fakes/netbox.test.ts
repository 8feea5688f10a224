/**
 * The fake NetBox: what an importer and an exporter meet on a real NetBox 4.2, checked against NetBox's contract
 * (with the errata in netbox/errata.ts). Every test closes its fake, and close() throws when a request or an
 * answer was off the contract.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { DEFAULT_NETBOX_TOKEN, type NetboxFake, type NetboxOptions, startNetboxFake } from "./netbox/fake.ts";
import { Serializer } from "./netbox/serialize.ts";

let fake: NetboxFake | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function start(options: NetboxOptions = {}): NetboxFake {
  fake = startNetboxFake(options);
  return fake;
}

async function call(method: string, path: string, { body, authorization = `Token ${DEFAULT_NETBOX_TOKEN}` }: { body?: unknown; authorization?: string | null } = {}) {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (authorization !== null) headers.Authorization = authorization;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`${fake!.address}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** A small DCIM: two sites, a role, a device type, a tag; returns their ids. */
function seed(store: NetboxFake["store"]) {
  const berlin = store.create("sites", { name: "Berlin", slug: "berlin" });
  const paris = store.create("sites", { name: "Paris", slug: "paris", status: "planned" });
  const role = store.create("device-roles", { name: "Server", slug: "server" });
  const manufacturer = store.create("manufacturers", { name: "Dell", slug: "dell" });
  const type = store.create("device-types", { manufacturer: manufacturer.id, model: "R640", slug: "r640" });
  const tag = store.create("tags", { name: "syncer", slug: "syncer" });
  return { berlin: berlin.id, paris: paris.id, role: role.id, type: type.id, tag: tag.id };
}

describe("objects and nested answers", () => {
  test("a device is created with related objects by id or by attributes, and answered with them nested in their brief form", async () => {
    const { store } = start();
    const ids = seed(store);
    const created = await call("POST", "/api/dcim/devices/", {
      body: { name: "web01", device_type: { manufacturer: { name: "Dell", slug: "dell" }, model: "R640", slug: "r640" }, role: ids.role, site: { name: "Berlin", slug: "berlin" }, tags: [{ name: "syncer", slug: "syncer" }], serial: "X1" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 1,
      url: `${fake!.address}/api/dcim/devices/1/`,
      display: "web01",
      status: { value: "active", label: "Active" },
      site: { id: ids.berlin, name: "Berlin", slug: "berlin", url: `${fake!.address}/api/dcim/sites/${ids.berlin}/` },
      device_type: { id: ids.type, model: "R640", manufacturer: { name: "Dell", slug: "dell" } },
      role: { id: ids.role, slug: "server" },
      tags: [{ id: ids.tag, slug: "syncer", name: "syncer" }],
      platform: null,
      primary_ip4: null,
      face: null,
      serial: "X1",
      custom_fields: {},
    });
    const site = await call("GET", `/api/dcim/sites/${ids.berlin}/`);
    expect(site.body.device_count).toBe(1);
    expect((await call("GET", "/api/dcim/devices/99/")).body).toEqual({ detail: "No Device matches the given query." });
  });

  test("validation errors are 400 with NetBox's field messages, and nothing is stored", async () => {
    const { store } = start({ customFields: [{ name: "owner", type: "text", objectTypes: ["dcim.device"] }] });
    const ids = seed(store);
    const base = { device_type: ids.type, role: ids.role, site: ids.berlin };
    expect((await call("POST", "/api/dcim/devices/", { body: { ...base, name: "a", site: 999 } })).body).toEqual({ site: ["Related object not found using the provided numeric ID: 999"] });
    expect((await call("POST", "/api/dcim/devices/", { body: { ...base, name: "a", site: { name: "Rome", slug: "rome" } } })).body).toEqual({ site: ["Related object not found using the provided attributes: {'name': 'Rome', 'slug': 'rome'}"] });
    expect((await call("POST", "/api/dcim/devices/", { body: { ...base, name: "a", custom_fields: { nope: 1 } } })).body).toEqual({ custom_fields: ["Unknown field name 'nope' in custom field data."] });
    expect((await call("POST", "/api/dcim/devices/", { body: { ...base, name: "a", custom_fields: { owner: "ops" } } })).body.custom_fields).toEqual({ owner: "ops" });
    expect((await call("POST", "/api/dcim/devices/", { body: { ...base, name: "A" } })).body).toEqual({ __all__: ["Device name must be unique per site."] });
    expect((await call("POST", "/api/dcim/sites/", { body: { name: "Berlin", slug: "berlin2" } })).body).toEqual({ name: ["site with this name already exists."] });
    expect((await call("POST", "/api/virtualization/virtual-machines/", { body: { name: "vm1" } })).body).toEqual({ __all__: ["A virtual machine must be assigned to a site and/or cluster."] });
    expect(store.all("devices").map((device) => device.name)).toEqual(["a"]);
  });

  test("a primary IP must be assigned to the object (the fake models no interfaces: seed the assignment)", async () => {
    const { store } = start();
    const ids = seed(store);
    const device = store.create("devices", { name: "web01", device_type: ids.type, role: ids.role, site: ids.berlin });
    const assigned = store.create("ip-addresses", { address: "192.0.2.10/24" }, { assigned_to: { type: "devices", id: device.id } });
    const loose = store.create("ip-addresses", { address: "192.0.2.11/24" });
    expect((await call("PATCH", `/api/dcim/devices/${device.id}/`, { body: { primary_ip4: loose.id } })).body).toEqual({ primary_ip4: ["The specified IP address (192.0.2.11/24) is not assigned to this device."] });
    const patched = await call("PATCH", `/api/dcim/devices/${device.id}/`, { body: { primary_ip4: assigned.id } });
    expect(patched.body.primary_ip4).toMatchObject({ id: assigned.id, address: "192.0.2.10/24", family: { value: 4, label: "IPv4" } });
    expect(patched.body.primary_ip).toMatchObject({ id: assigned.id });
  });
});

describe("lists", () => {
  test("pages with limit/offset: count, next and previous links keep the filters; limit 0 or above the maximum gives the maximum page", async () => {
    const { store } = start({ maxPageSize: 4 });
    const ids = seed(store);
    for (let i = 1; i <= 7; i++) store.create("devices", { name: `dev${i}`, device_type: ids.type, role: ids.role, site: ids.berlin });
    const first = await call("GET", "/api/dcim/devices/?site=berlin&limit=3");
    expect(first.body.count).toBe(7);
    expect(first.body.results.map((device: { name: string }) => device.name)).toEqual(["dev1", "dev2", "dev3"]);
    expect(first.body.previous).toBeNull();
    expect(first.body.next).toBe(`${fake!.address}/api/dcim/devices/?site=berlin&limit=3&offset=3`);
    const second = await call("GET", new URL(first.body.next).pathname + new URL(first.body.next).search);
    expect(second.body.previous).toBe(`${fake!.address}/api/dcim/devices/?site=berlin&limit=3`);
    const last = await call("GET", "/api/dcim/devices/?site=berlin&limit=3&offset=6");
    expect(last.body.results.map((device: { name: string }) => device.name)).toEqual(["dev7"]);
    expect(last.body.next).toBeNull();
    expect((await call("GET", "/api/dcim/devices/?limit=0")).body.results).toHaveLength(4);
    expect((await call("GET", "/api/dcim/devices/?limit=500")).body.results).toHaveLength(4);
    expect((await call("GET", "/api/dcim/devices/")).body.next).toBe(`${fake!.address}/api/dcim/devices/?limit=4&offset=4`);
  });

  test("filters: values of one filter are OR'ed, tags AND'ed, filters AND'ed; last_updated__gte sees only later writes; an unknown slug is 400", async () => {
    const { store } = start();
    const ids = seed(store);
    const other = store.create("tags", { name: "other", slug: "other" });
    const make = (name: string, site: number, extra: Record<string, unknown> = {}) => store.create("devices", { name, device_type: ids.type, role: ids.role, site, ...extra });
    make("a", ids.berlin, { tags: [ids.tag] });
    make("b", ids.paris, { tags: [ids.tag, other.id], status: "planned" });
    const since = store.now();
    make("c", ids.paris, { status: "offline" });
    const names = async (query: string) => (await call("GET", `/api/dcim/devices/?${query}`)).body.results.map((device: { name: string }) => device.name);
    expect(await names("site=berlin&site=paris")).toEqual(["a", "b", "c"]);
    expect(await names("site=paris&status=planned&status=offline")).toEqual(["b", "c"]);
    expect(await names("tag=syncer")).toEqual(["a", "b"]);
    expect(await names("tag=syncer&tag=other")).toEqual(["b"]);
    expect(await names("name=a&name=c")).toEqual(["a", "c"]);
    expect(await names(`id=${store.all("devices")[1]!.id}`)).toEqual(["b"]);
    expect(await names(`last_updated__gte=${encodeURIComponent(since)}`)).toEqual(["c"]);
    expect(await names(`site_id=${ids.berlin}`)).toEqual(["a"]);
    expect((await call("GET", "/api/dcim/devices/?site=rome")).body).toEqual({ site: ["Select a valid choice. rome is not one of the available choices."] });
    expect((await call("GET", "/api/dcim/devices/?status=bogus")).status).toBe(400);
  });

  test("a lookup by many names in one request (as an exporter checks what it is about to create) answers the objects of each, paged", async () => {
    const { store } = start({ maxPageSize: 2 });
    const ids = seed(store);
    for (let i = 0; i < 300; i++) store.create("devices", { name: `dev${i}`, device_type: ids.type, role: ids.role, site: ids.berlin });
    const wanted = ["dev7", "dev250", "nope", "dev99"];
    const query = `${wanted.map((name) => `name=${name}`).join("&")}&limit=1000`;
    const first = await call("GET", `/api/dcim/devices/?${query}`);
    expect(first.body.count).toBe(3);
    expect(first.body.results.map((device: { name: string }) => device.name)).toEqual(["dev250", "dev7"]);
    expect(new URL(first.body.next).searchParams.getAll("name")).toEqual(wanted);
    const second = await call("GET", `/api/dcim/devices/?${query}&offset=2`);
    expect(second.body.results.map((device: { name: string }) => device.name)).toEqual(["dev99"]);
  });

  test("a list answers each object as it stands now: a write of the object, of a related object or a deletion shows in the next page, as a fresh serialisation writes it", async () => {
    const { store } = start();
    const ids = seed(store);
    const web01 = store.create("devices", { name: "web01", device_type: ids.type, role: ids.role, site: ids.berlin, tags: [ids.tag] });
    store.create("devices", { name: "web02", device_type: ids.type, role: ids.role, site: ids.paris });
    const list = async () => (await call("GET", "/api/dcim/devices/?limit=10")).body;
    const fresh = (id: number) => JSON.parse(JSON.stringify(new Serializer(fake!.server.checker.document, store, fake!.address).full("devices", store.get("devices", id)!)));
    expect((await list()).results.map((device: { site: { name: string } }) => device.site.name)).toEqual(["Berlin", "Paris"]);
    store.write("sites", [{ data: { name: "Berlin-Mitte" }, existing: store.get("sites", ids.berlin)! }], true);
    store.write("devices", [{ data: { serial: "S1" }, existing: web01 }], true);
    store.delete("tags", [ids.tag]);
    const after = await list();
    expect(after.results[0]).toMatchObject({ name: "web01", serial: "S1", site: { name: "Berlin-Mitte" }, tags: [] });
    expect(after.results[1]).toMatchObject({ name: "web02", site: { name: "Paris" } });
    expect(after.results).toEqual([fresh(web01.id), fresh(web01.id + 1)]);
    // The site's own answer counts its devices: a device written elsewhere changes it.
    const site = async () => (await call("GET", `/api/dcim/sites/?id=${ids.paris}`)).body.results[0];
    expect((await site()).device_count).toBe(1);
    store.create("devices", { name: "web03", device_type: ids.type, role: ids.role, site: ids.paris });
    expect((await site()).device_count).toBe(2);
  });

  test("a filter the contract has but the fake does not model is answered 501 and recorded, never ignored", async () => {
    start();
    expect((await call("GET", "/api/dcim/devices/?rack_id=1")).status).toBe(501);
    expect((await fake!.server.takeViolations()).map((violation) => [violation.side, violation.problems[0]!.message])).toEqual([["unimplemented", "the fake does not implement the rack_id= filter of /api/dcim/devices/"]]);
  });
});

describe("bulk operations", () => {
  test("a list POST creates all or none: one invalid object refuses the request with one error object per item", async () => {
    const { store } = start();
    const ids = seed(store);
    const device = (name: string, site: number) => ({ name, device_type: ids.type, role: ids.role, site, tags: [ids.tag] });
    const refused = await call("POST", "/api/dcim/devices/", { body: [device("a", ids.berlin), device("b", 999), device("a", ids.berlin)] });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual([{ __all__: ["Device name must be unique per site."] }, { site: ["Related object not found using the provided numeric ID: 999"] }, { __all__: ["Device name must be unique per site."] }]);
    expect(store.all("devices")).toHaveLength(0);
    const created = await call("POST", "/api/dcim/devices/", { body: [device("a", ids.berlin), device("b", ids.paris)] });
    expect(created.status).toBe(201);
    expect(created.body.map((one: { name: string }) => one.name)).toEqual(["a", "b"]);
  });

  test("a list PATCH updates the objects named by id (unknown ids are skipped); a list DELETE removes them", async () => {
    const { store } = start();
    const ids = seed(store);
    const [a, b] = ["a", "b"].map((name) => store.create("devices", { name, device_type: ids.type, role: ids.role, site: ids.berlin }));
    const before = a!.last_updated;
    const patched = await call("PATCH", "/api/dcim/devices/", { body: [{ id: a!.id, status: "offline", serial: "S1" }, { id: b!.id, site: ids.paris }, { id: 999, status: "offline" }] });
    expect(patched.status).toBe(200);
    expect(patched.body.map((one: { name: string; status: { value: string }; site: { slug: string } }) => [one.name, one.status.value, one.site.slug])).toEqual([["a", "offline", "berlin"], ["b", "active", "paris"]]);
    expect(store.get("devices", a!.id)!.last_updated > before).toBe(true);
    const refused = await call("PATCH", "/api/dcim/devices/", { body: [{ id: a!.id, status: "planned" }, { id: b!.id, site: 999 }] });
    expect(refused.body).toEqual({ site: ["Related object not found using the provided numeric ID: 999"] });
    expect(store.get("devices", a!.id)!.status).toBe("offline");
    expect((await call("DELETE", "/api/dcim/devices/", { body: [{ id: a!.id }, { id: 999 }] })).status).toBe(204);
    expect(store.all("devices").map((device) => device.name)).toEqual(["b"]);
    expect((await call("DELETE", `/api/dcim/sites/${ids.paris}/`)).status).toBe(409);
  });

  test("a bulk PATCH item without id is off the contract (errata: the published schema has no id at all)", async () => {
    start();
    const answer = await call("PATCH", "/api/dcim/devices/", { body: [{ status: "offline" }] });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual([{ id: ["is required"] }]);
    expect(await fake!.server.takeViolations()).toHaveLength(1);
  });
});

describe("authentication", () => {
  test("Token <key> (v1) and Bearer nbt_<key>.<token> (v2); missing, wrong or read-only credentials are 403 as NetBox answers", async () => {
    start({ tokens: [{ key: DEFAULT_NETBOX_TOKEN, version: 1 }, { key: "abc123", token: "s3cret", version: 2 }, { key: "feedfacefeedfacefeedfacefeedfacefeedface", version: 1, writeEnabled: false }] });
    expect((await call("GET", "/api/dcim/sites/")).status).toBe(200);
    expect((await call("GET", "/api/dcim/sites/", { authorization: "Bearer nbt_abc123.s3cret" })).status).toBe(200);
    expect((await call("GET", "/api/dcim/sites/", { authorization: "Token abc123" })).body).toEqual({ detail: "Invalid token" });
    expect((await call("GET", "/api/dcim/sites/", { authorization: "Bearer nbt_abc123.wrong" })).status).toBe(403);
    expect((await call("GET", "/api/dcim/sites/", { authorization: null })).body).toEqual({ detail: "Authentication credentials were not provided." });
    const readOnly = "Token feedfacefeedfacefeedfacefeedfacefeedface";
    expect((await call("GET", "/api/dcim/sites/", { authorization: readOnly })).status).toBe(200);
    expect((await call("POST", "/api/dcim/sites/", { authorization: readOnly, body: { name: "x", slug: "x" } })).body).toEqual({ detail: "You do not have permission to perform this action." });
  });
});

describe("requests off the contract", () => {
  test("a renamed field, a wrong type, an unknown filter and an unknown path are answered as NetBox would and recorded", async () => {
    const { store } = start();
    const ids = seed(store);
    const renamed = await call("POST", "/api/dcim/devices/", { body: { name: "a", device_type: ids.type, device_role: ids.role, site: ids.berlin } });
    expect(renamed.status).toBe(400);
    expect(renamed.body).toEqual({ role: ["is required"], device_role: ["is not in the contract"] });
    expect((await call("PATCH", "/api/dcim/sites/1/", { body: { status: "closed" } })).status).toBe(400);
    expect((await call("GET", "/api/dcim/devices/?sitename=berlin")).body).toEqual({ sitename: ["is not a parameter of this operation"] });
    expect((await call("GET", "/api/dcim/devices")).status).toBe(404);
    expect((await call("GET", "/api/dcim/devices/abc/")).status).toBe(404);
    expect((await fake!.server.takeViolations()).map((violation) => violation.operation)).toEqual([
      "POST /api/dcim/devices/",
      "PATCH /api/dcim/sites/{id}/",
      "GET /api/dcim/devices/",
      "GET /api/dcim/devices",
      "GET /api/dcim/devices/{id}/",
    ]);
    expect(store.all("devices")).toHaveLength(0);
  });
});

describe("faults and counts", () => {
  test("the n-th list request answers 500; requests are counted per method and path template", async () => {
    const { store } = start();
    seed(store);
    fake!.server.failNth("GET", "/api/dcim/sites/", 2);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call("GET", "/api/dcim/sites/")).status);
    expect(statuses).toEqual([200, 500, 200]);
    await call("GET", "/api/dcim/sites/1/");
    expect(fake!.server.requestCounts()).toEqual({ "GET /api/dcim/sites/": 3, "GET /api/dcim/sites/{id}/": 1 });
    expect(fake!.server.countsReport()).toBe("       3  GET /api/dcim/sites/\n       1  GET /api/dcim/sites/{id}/");
    expect(fake!.server.writeCount()).toBe(0);
  });
});
