import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { apiApp, type ApiApp } from "../helpers/api-app.ts";
import { DEMO_CSV } from "../helpers/plugins.ts";

/**
 * Host writes of API v1 refuse bodies of the wrong shape, in-process through the real app: labels and
 * inventory are JSON objects, never arrays; a `__proto__` key is refused as imports refuse it, not
 * dropped. Each refusal is a 400 naming the field, and nothing is written.
 */

let app: ApiApp;
const hosts = () => app.query("SELECT hostname, account, labels, inventory FROM hosts ORDER BY hostname");

beforeAll(() => {
  app = apiApp(`[accounts.demo]\nplugin = "csv"\n[accounts.demo.custom_fields]\npath = ${JSON.stringify(DEMO_CSV)}\n`);
});
afterAll(() => app.close());

/** Sends the body as written: JSON.parse keeps `__proto__` as an own key, as a server must see it. */
const put = (path: string, raw: string) => app.request(path, { method: "PUT", body: raw, headers: { "content-type": "application/json" } });
const post = (path: string, raw: string) => app.request(path, { method: "POST", body: raw, headers: { "content-type": "application/json" } });

describe("API v1 host writes: the shapes of labels and inventory", () => {
  test.each([
    ['{"account":"demo","labels":["a","b"]}', "labels: expected an object of strings, got an array"],
    ['{"account":"demo","labels":"site=berlin"}', "labels: expected an object of strings, got a string"],
    ['{"account":"demo","labels":null}', "labels: expected an object of strings, got null"],
    ['{"account":"demo","inventory":[1,2]}', "inventory: expected an object of strings, numbers, booleans or nulls, got an array"],
    ['{"account":"demo","labels":{"__proto__":"x","site":"berlin"}}', "labels.__proto__: a reserved name"],
    ['{"account":"demo","inventory":{"__proto__":{"polluted":1}}}', "inventory.__proto__: a reserved name"],
  ])("PUT /hosts/x with %s is 400: %s, nothing written", async (raw, message) => {
    const before = hosts();
    const { status, body } = await put("/api/v1/hosts/shape01", raw);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ kind: "validation", message: `invalid body: ${message}` });
    expect(hosts()).toEqual(before);
  });

  test.each([
    ['{"account":"demo","hosts":[{"hostname":"ok01"},{"hostname":"bad01","labels":["a"]}]}', "hosts.1.labels: expected an object of strings, got an array"],
    ['{"account":"demo","hosts":[{"hostname":"bad02","inventory":[1]}]}', "hosts.0.inventory: expected an object of strings, numbers, booleans or nulls, got an array"],
    ['{"account":"demo","hosts":[{"hostname":"ok02"},{"hostname":"bad03","labels":{"__proto__":"x"}}]}', "hosts.1.labels.__proto__: a reserved name"],
  ])("POST /hosts/bulk with %s is 400: %s; no host of the request is written", async (raw, message) => {
    const before = hosts();
    const { status, body } = await post("/api/v1/hosts/bulk", raw);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ kind: "validation", message: `invalid body: ${message}` });
    expect(hosts()).toEqual(before);
  });

  test("PUT …/inventory/<namespace> refuses an array and a __proto__ key alike", async () => {
    expect((await put("/api/v1/hosts/keys01", '{"account":"demo"}')).status).toBe(201);
    const before = hosts();
    const array = await put("/api/v1/hosts/keys01/inventory/demo", '{"fields":[1,2]}');
    expect(array.status).toBe(400);
    expect(array.body.error.message).toBe("invalid body: fields: expected an object of strings, numbers, booleans or nulls, got an array");
    const proto = await put("/api/v1/hosts/keys01/inventory/demo", '{"fields":{"__proto__":"x"}}');
    expect(proto.status).toBe(400);
    expect(proto.body.error.message).toBe("invalid body: fields.__proto__: a reserved name");
    expect(hosts()).toEqual(before);
  });

  test("objects are stored as sent: keys such as constructor and prototype are kept, not dropped", async () => {
    const { status, body } = await put("/api/v1/hosts/keys02", '{"account":"demo","labels":{"constructor":"a","prototype":"b","site":"berlin"},"inventory":{"constructor":1}}');
    expect(status).toBe(201);
    expect(body.host.labels).toEqual({ constructor: "a", prototype: "b", site: "berlin" });
    expect(body.host.inventory).toEqual({ demo__constructor: 1 });
  });
});
