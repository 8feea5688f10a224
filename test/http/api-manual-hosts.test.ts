import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { apiApp, type ApiApp } from "../helpers/api-app.ts";
import { DEMO_CSV } from "../helpers/plugins.ts";

/**
 * Hosts made by hand through API v1, in-process through the real app: a write without an account (or
 * with the built-in owner's name) is owned by `manual`, logs its creation, and is taken over by a
 * master account only.
 */

let app: ApiApp;
const row = (hostname: string) => app.query(`SELECT account, labels, deleted_at FROM hosts WHERE hostname = '${hostname}'`);

beforeAll(() => {
  const csv = (name: string, master: boolean) => `[accounts.${name}]\nplugin = "csv"\nis_master = ${master}\n[accounts.${name}.custom_fields]\npath = ${JSON.stringify(DEMO_CSV)}\n`;
  app = apiApp(csv("feed", false) + csv("cmdb", true));
});
afterAll(() => app.close());

describe("API v1: hosts made by hand", () => {
  test("PUT without an account creates a host owned by manual, with its creation in the change log", async () => {
    const { status, body } = await app.request("/api/v1/hosts/hand01.example.com", { method: "PUT", json: { labels: { site: "lab" } } });
    expect(status).toBe(201);
    expect(body).toMatchObject({ outcome: "created", host: { account: "manual", labels: { site: "lab" } } });
    const read = await app.request("/api/v1/hosts/hand01.example.com");
    expect(read.body.changes).toMatchObject([{ run_id: null, changes: { created: { old: null, new: "manual" }, labels: { old: {}, new: { site: "lab" } } } }]);
  });

  test("a host read and written back as it was keeps its owner: account 'manual' is the manual owner, not an unknown account", async () => {
    const { body: host } = await app.request("/api/v1/hosts/hand01.example.com");
    const again = await app.request("/api/v1/hosts/hand01.example.com", { method: "PUT", json: { account: host.account, labels: host.labels } });
    expect(again.status).toBe(200);
    expect(again.body.outcome).toBe("unchanged");
    const bulk = await app.request("/api/v1/hosts/bulk", { method: "POST", json: { account: "manual", hosts: [{ hostname: "hand02.example.com" }] } });
    expect(bulk.body).toMatchObject({ created: 1 });
    expect(row("hand02.example.com")).toEqual([{ account: "manual", labels: "{}", deleted_at: null }]);
  });

  test("a write for a non-master account is refused with 409 and writes nothing; a master account's takes the host over", async () => {
    const refused = await app.request("/api/v1/hosts/hand01.example.com", { method: "PUT", json: { account: "feed", labels: { site: "feed" } } });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ kind: "account_conflict", details: { conflicts: [{ hostname: "hand01.example.com", owner: "manual" }] } });
    expect(row("hand01.example.com")).toEqual([{ account: "manual", labels: '{"site":"lab"}', deleted_at: null }]);
    const taken = await app.request("/api/v1/hosts/hand01.example.com", { method: "PUT", json: { account: "cmdb", labels: { site: "cmdb" } } });
    expect(taken.body).toMatchObject({ outcome: "updated", host: { account: "cmdb", labels: { site: "cmdb" } } });
  });
});
