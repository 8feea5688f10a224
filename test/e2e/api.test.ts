import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { runSyncer, startDaemon, tempDir, writeConfig, type RunningDaemon } from "../helpers/binary.ts";
import { buildFixturePlugins, FIXTURE_PLUGINS, DEMO_CSV } from "../helpers/plugins.ts";
import { answerOf } from "../helpers/api-app.ts";
import { rawRequest } from "../helpers/raw-http.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";

/**
 * API v1 against the compiled binary over real HTTP: tokens from `syncer token create`, hosts from a
 * real csv import, plugin endpoints served by a real plugin.
 */

const SECRET = "api-test-secret-4711";

let daemon: RunningDaemon;
let dir: string;
let config: string;
const tokens: Record<string, string> = {};

function tokenFor(name: string, scopes: string[]): string {
  const result = runSyncer(["token", "create", "--name", name, ...scopes.flatMap((scope) => ["--scope", scope]), "--json", "--config", config]);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout).token;
}

async function api(path: string, init: RequestInit & { as?: string; json?: unknown } = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const headers = new Headers(init.headers);
  if (init.as) headers.set("authorization", `Bearer ${tokens[init.as]}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  return answerOf(await fetch(`${daemon.url}${path}`, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body }));
}

/** Every host row, to show that a refused request wrote nothing. */
function snapshot(): unknown[] {
  const db = new Database(join(dir, "data", "syncer.db"), { readonly: true });
  try {
    return db.query("SELECT hostname, account, labels, inventory, deleted_at, last_changed FROM hosts ORDER BY hostname").all();
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  buildFixturePlugins();
  // Every command reads the config, whose demo password is this variable.
  process.env.API_TEST_SECRET = SECRET;
  dir = tempDir();
  config = writeConfig(
    dir,
    `[server]
listen = "127.0.0.1:0"
max_body_mb = 1
[plugins]
directories = [${JSON.stringify(FIXTURE_PLUGINS)}]
[sandbox]
timeout_seconds = 2
[accounts.demo]
plugin = "csv"
password = "\${env:API_TEST_SECRET}"
[accounts.demo.custom_fields]
path = ${JSON.stringify(DEMO_CSV)}
hostname_column = "host"
label_columns = ["site", "role"]
[accounts.cmdb]
plugin = "csv"
is_master = true
[accounts.cmdb.custom_fields]
path = ${JSON.stringify(DEMO_CSV)}
[accounts.ops]
plugin = "csv"
[accounts.ops.custom_fields]
path = ${JSON.stringify(DEMO_CSV)}
`,
  );
  expect(runSyncer(["csv", "import_hosts", "demo", "--config", config]).code).toBe(0);
  tokens.admin = tokenFor("ops", ["admin"]);
  tokens.reader = tokenFor("dashboard", ["hosts:read"]);
  tokens.writer = tokenFor("cmdb-feed", ["hosts:write"]);
  tokens.runs = tokenFor("ci", ["runs:read"]);
  const revoked = tokenFor("old", ["admin"]);
  expect(runSyncer(["token", "revoke", "old", "--config", config]).code).toBe(0);
  tokens.revoked = revoked;
  daemon = await startDaemon(["--config", config]);
}, COMPILE_TIMEOUT_MS);

afterAll(async () => {
  await daemon?.stop();
});

describe("API v1: tokens", () => {
  test("no token, a garbage token and a revoked token each get 401 as JSON; /healthz needs none", async () => {
    for (const as of [undefined, "revoked"]) {
      const { status, body, headers } = await api("/api/v1/hosts", { as });
      expect(status).toBe(401);
      expect(body.error.kind).toBe("unauthorized");
      expect(headers.get("www-authenticate")).toStartWith("Bearer");
    }
    const garbage = await api("/api/v1/hosts", { headers: { authorization: "Bearer syncer_notatoken" } });
    expect(garbage.status).toBe(401);
    expect(JSON.stringify(garbage.body)).not.toContain("syncer_notatoken");
    expect((await api("/healthz")).status).toBe(200);
  });

  test("a token without the route's scope gets 403 naming the scope; hosts:write implies hosts:read", async () => {
    const forbidden = await api("/api/v1/hosts/web01.berlin.example.com", { as: "reader", method: "PUT", json: { account: "ops" } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toMatchObject({ kind: "forbidden" });
    expect(forbidden.body.error.message).toContain("hosts:write");
    expect((await api("/api/v1/runs", { as: "reader" })).status).toBe(403);
    expect((await api("/api/v1/hosts?limit=1", { as: "writer" })).status).toBe(200);
  });
});

describe("API v1: hosts", () => {
  test("list filters by labels, search and account, and pages with a cursor", async () => {
    const berlinWeb = await api("/api/v1/hosts?label=site=berlin&label=role=web&limit=1000", { as: "reader" });
    expect(berlinWeb.status).toBe(200);
    expect(berlinWeb.body.hosts.length).toBeGreaterThan(0);
    for (const host of berlinWeb.body.hosts) expect(host.labels).toMatchObject({ site: "berlin", role: "web" });

    const first = await api("/api/v1/hosts?search=berlin&limit=2", { as: "reader" });
    expect(first.body.hosts).toHaveLength(2);
    expect(first.body.next).toBe(first.body.hosts[1].hostname);
    const second = await api(`/api/v1/hosts?search=berlin&limit=2&after=${encodeURIComponent(first.body.next)}`, { as: "reader" });
    expect(second.body.hosts[0].hostname > first.body.hosts[1].hostname).toBe(true);
    expect((await api("/api/v1/hosts?account=nobody", { as: "reader" })).body.hosts).toEqual([]);
  });

  test("get answers the host with its change log; an unknown host is 404", async () => {
    const { status, body } = await api("/api/v1/hosts/web01.berlin.example.com", { as: "reader" });
    expect(status).toBe(200);
    expect(body).toMatchObject({ hostname: "web01.berlin.example.com", account: "demo", labels: { site: "berlin", role: "web" }, lifecycle: "active", deleted_at: null });
    expect(body.changes).toEqual([]);
    const missing = await api("/api/v1/hosts/nope.example.com", { as: "reader" });
    expect(missing.status).toBe(404);
    expect(missing.body.error.kind).toBe("not_found");
  });

  test("PUT creates (201), repeats unchanged (200), updates labels and takes the host over from a non-master owner", async () => {
    const created = await api("/api/v1/hosts/api01.example.com", { as: "writer", method: "PUT", json: { account: "ops", labels: { site: "ham" }, inventory: { rack: "r1" } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ outcome: "created", host: { hostname: "api01.example.com", account: "ops", labels: { site: "ham" }, inventory: { ops__rack: "r1" } } });
    const again = await api("/api/v1/hosts/api01.example.com", { as: "writer", method: "PUT", json: { account: "ops", labels: { site: "ham" }, inventory: { rack: "r1" } } });
    expect(again.body.outcome).toBe("unchanged");
    const updated = await api("/api/v1/hosts/api01.example.com", { as: "writer", method: "PUT", json: { account: "ops", labels: { site: "ber" } } });
    expect(updated.body).toMatchObject({ outcome: "updated", host: { labels: { site: "ber" } } });
    const taken = await api("/api/v1/hosts/web02.berlin.example.com", { as: "writer", method: "PUT", json: { account: "ops", labels: { site: "berlin" } } });
    expect(taken.body).toMatchObject({ outcome: "updated", host: { account: "ops" } });
    const log = await api("/api/v1/hosts/web02.berlin.example.com", { as: "reader" });
    expect(log.body.changes[0].changes.account).toEqual({ old: "demo", new: "ops" });
  });

  test("a host a master account owns is not taken over: 409 account_conflict naming the owner, nothing written", async () => {
    expect((await api("/api/v1/hosts/master01.example.com", { as: "writer", method: "PUT", json: { account: "cmdb", labels: { owner: "cmdb" } } })).status).toBe(201);
    const before = snapshot();
    const refused = await api("/api/v1/hosts/master01.example.com", { as: "writer", method: "PUT", json: { account: "ops", labels: { owner: "me" } } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.kind).toBe("account_conflict");
    expect(refused.body.error.details.conflicts).toEqual([{ hostname: "master01.example.com", owner: "cmdb" }]);
    const bulk = await api("/api/v1/hosts/bulk", { as: "writer", method: "POST", json: { account: "ops", hosts: [{ hostname: "fresh01.example.com" }, { hostname: "master01.example.com" }] } });
    expect(bulk.status).toBe(409);
    expect(snapshot()).toEqual(before);
  });

  test("PUT without an account creates a host made by hand: owner manual, its creation in the change log", async () => {
    const created = await api("/api/v1/hosts/hand01.example.com", { as: "writer", method: "PUT", json: { labels: { site: "lab" }, inventory: { rack: "r9" } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ outcome: "created", host: { account: "manual", labels: { site: "lab" }, inventory: { manual__rack: "r9" } } });
    const log = await api("/api/v1/hosts/hand01.example.com", { as: "reader" });
    expect(log.body.changes).toHaveLength(1);
    expect(log.body.changes[0]).toMatchObject({ run_id: null, changes: { created: { old: null, new: "manual" }, labels: { old: {}, new: { site: "lab" } }, inventory: { old: {}, new: { manual__rack: "r9" } } } });
    // A write for a non-master account does not take a host made by hand; a master account's does.
    const before = snapshot();
    const refused = await api("/api/v1/hosts/hand01.example.com", { as: "writer", method: "PUT", json: { account: "ops", labels: { site: "x" } } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.kind).toBe("account_conflict");
    expect(refused.body.error.message).toContain("hand01.example.com (created by hand (owner manual); only a master account takes it over)");
    expect(refused.body.error.details.conflicts).toEqual([{ hostname: "hand01.example.com", owner: "manual" }]);
    expect(snapshot()).toEqual(before);
    const bulk = await api("/api/v1/hosts/bulk", { as: "writer", method: "POST", json: { hosts: [{ hostname: "hand02.example.com" }, { hostname: "hand01.example.com", labels: { site: "lab2" } }] } });
    expect(bulk.body).toMatchObject({ created: 1, unchanged: 0, updated: 1 });
    const taken = await api("/api/v1/hosts/hand02.example.com", { as: "writer", method: "PUT", json: { account: "cmdb" } });
    expect(taken.body).toMatchObject({ outcome: "updated", host: { account: "cmdb" } });
  });

  test("bulk upsert writes every host in one go and says what happened to each", async () => {
    const { status, body } = await api("/api/v1/hosts/bulk", {
      as: "writer",
      method: "POST",
      json: { account: "ops", hosts: [{ hostname: "bulk01.example.com", labels: { a: "1" } }, { hostname: " bulk02.example.com " }, { hostname: "api01.example.com", labels: { site: "ber" } }] },
    });
    expect(status).toBe(200);
    expect(body).toEqual({
      created: 2,
      updated: 0,
      unchanged: 1,
      hosts: [
        { hostname: "bulk01.example.com", outcome: "created" },
        { hostname: "bulk02.example.com", outcome: "created" },
        { hostname: "api01.example.com", outcome: "unchanged" },
      ],
    });
  });

  test("DELETE soft-deletes with a reason; the host leaves the list and stays readable", async () => {
    const { status, body } = await api("/api/v1/hosts/bulk02.example.com?reason=decommissioned", { as: "writer", method: "DELETE" });
    expect(status).toBe(200);
    expect(body).toMatchObject({ hostname: "bulk02.example.com", delete_reason: "decommissioned" });
    expect(body.deleted_at).not.toBeNull();
    expect((await api("/api/v1/hosts?search=bulk02", { as: "reader" })).body.hosts).toEqual([]);
    expect((await api("/api/v1/hosts?search=bulk02&deleted=true", { as: "reader" })).body.hosts).toHaveLength(1);
    expect((await api("/api/v1/hosts/nope.example.com", { as: "writer", method: "DELETE" })).status).toBe(404);
  });

  test("PUT …/inventory/<namespace> replaces that namespace only", async () => {
    await api("/api/v1/hosts/api01.example.com/inventory/monitoring", { as: "writer", method: "PUT", json: { fields: { state: "up", checks: 12 } } });
    const { body } = await api("/api/v1/hosts/api01.example.com/inventory/monitoring", { as: "writer", method: "PUT", json: { fields: { state: "down" } } });
    expect(body.outcome).toBe("updated");
    expect(body.host.inventory).toEqual({ ops__rack: "r1", monitoring__state: "down" });
    expect(body.host.account).toBe("ops");
  });
});

describe("API v1: bad requests get a 4xx JSON error and write nothing", () => {
  test("malformed JSON, wrong types, unknown fields, a wrong content type, an oversized body", async () => {
    const before = snapshot();
    const put = (init: RequestInit) => api("/api/v1/hosts/api01.example.com", { as: "writer", method: "PUT", ...init });
    const malformed = await put({ headers: { "content-type": "application/json" }, body: '{"account": "ops",' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.kind).toBe("validation");

    const wrongType = await put({ headers: { "content-type": "application/json" }, body: JSON.stringify({ account: "ops", labels: { site: 7 } }) });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.details.issues[0]).toMatchObject({ in: "body", path: "labels.site" });

    const array = await put({ headers: { "content-type": "application/json" }, body: '{"account":"ops","labels":["a","b"]}' });
    expect(array.status).toBe(400);
    expect(array.body.error.message).toBe("invalid body: labels: expected an object of strings, got an array");
    const proto = await api("/api/v1/hosts/bulk", { as: "writer", method: "POST", headers: { "content-type": "application/json" }, body: '{"account":"ops","hosts":[{"hostname":"p1","inventory":{"__proto__":"x"}}]}' });
    expect(proto.status).toBe(400);
    expect(proto.body.error.message).toBe("invalid body: hosts.0.inventory.__proto__: a reserved name");

    const unknown = await put({ headers: { "content-type": "application/json" }, body: JSON.stringify({ account: "ops", colour: "red" }) });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain("colour");

    const noAccount = await put({ headers: { "content-type": "application/json" }, body: JSON.stringify({ account: "ghost" }) });
    expect(noAccount.status).toBe(404);

    expect((await put({ headers: { "content-type": "text/plain" }, body: "hello" })).status).toBe(415);

    const huge = { account: "ops", labels: { blob: "x".repeat(1_200_000) } };
    const tooLarge = await put({ headers: { "content-type": "application/json" }, body: JSON.stringify(huge) });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error.kind).toBe("payload_too_large");

    expect((await api("/api/v1/hosts?limit=0", { as: "reader" })).status).toBe(400);
    expect((await api("/api/v1/hosts?label=nonsense", { as: "reader" })).status).toBe(400);
    expect((await api("/api/v1/runs/abc", { as: "admin" })).status).toBe(400);
    expect(snapshot()).toEqual(before);
  });

  test("unknown routes are 404 JSON, with or without a token", async () => {
    for (const as of [undefined, "admin"]) {
      const { status, body } = await api("/api/v1/nothing/here", { as });
      expect(status).toBe(404);
      expect(body.error.kind).toBe("not_found");
    }
  });
});

describe("API v1: accounts, plugins, runs, inventory", () => {
  test("accounts are admin-only and never show a secret", async () => {
    expect((await api("/api/v1/accounts", { as: "reader" })).status).toBe(403);
    const { status, body } = await api("/api/v1/accounts", { as: "admin" });
    expect(status).toBe(200);
    expect(body.accounts.map((account: { name: string }) => account.name).sort()).toEqual(["cmdb", "demo", "ops"]);
    expect(JSON.stringify(body)).not.toContain(SECRET);
    const demo = await api("/api/v1/accounts/demo", { as: "admin" });
    expect(demo.body).toMatchObject({ name: "demo", plugin: "csv" });
    expect(demo.body.password).toContain("env:API_TEST_SECRET");
    expect((await api("/api/v1/accounts/ghost", { as: "admin" })).status).toBe(404);
  });

  test("plugins list and info", async () => {
    const list = await api("/api/v1/plugins", { as: "reader" });
    expect(list.body.plugins.map((plugin: { ident: string }) => plugin.ident)).toEqual(expect.arrayContaining(["csv", "ansible", "testkit"]));
    const info = await api("/api/v1/plugins/testkit", { as: "reader" });
    expect(info.body.manifest.endpoints.length).toBeGreaterThan(0);
    expect((await api("/api/v1/plugins/ghost", { as: "reader" })).status).toBe(404);
  });

  test("runs list and get: the CLI import is there, paged newest first", async () => {
    const { body } = await api("/api/v1/runs?limit=1", { as: "runs" });
    expect(body.runs).toHaveLength(1);
    expect(body.runs[0]).toMatchObject({ plugin: "csv", command: "import_hosts", account: "demo", status: "ok", trigger: "cli" });
    const one = await api(`/api/v1/runs/${body.runs[0].id}`, { as: "runs" });
    expect(one.body.id).toBe(body.runs[0].id);
    expect((await api("/api/v1/runs/999999", { as: "runs" })).status).toBe(404);
  });

  test("the Ansible inventory: groups and hostvars, and ?host= for one host's vars", async () => {
    const { status, body } = await api("/api/v1/inventory/ansible", { as: "reader" });
    expect(status).toBe(200);
    expect(body._meta.hostvars["web01.berlin.example.com"]).toBeDefined();
    expect(body.all.children).toContain("ungrouped");
    const host = await api("/api/v1/inventory/ansible?host=web01.berlin.example.com", { as: "reader" });
    expect(host.body).toMatchObject({ site: "berlin", role: "web" });
  });
});

describe("API v1: plugin endpoints", () => {
  test("the plugin gets method, path, query, headers without credentials, and body; its status and headers come back", async () => {
    const { status, body, headers } = await api("/api/v1/plugins/testkit/echo?x=1&x=2&y=z", { as: "writer", method: "POST", headers: { cookie: "session=1", "x-trace": "abc" }, json: { ping: true } });
    expect(status).toBe(200);
    expect(headers.get("x-plugin")).toBe("testkit");
    expect(headers.get("set-cookie")).toBeNull();
    expect(body).toMatchObject({ method: "POST", path: "/echo", query: { x: ["1", "2"], y: "z" }, body: '{"ping":true}' });
    expect(body.headers["x-trace"]).toBe("abc");
    expect(body.headers.authorization).toBeUndefined();
    expect(body.headers.cookie).toBeUndefined();
    expect(JSON.stringify(body)).not.toContain(tokens.writer!);
  });

  test("a text answer keeps the plugin's content type and status", async () => {
    const { status, body, headers } = await api("/api/v1/plugins/testkit/report.csv", { as: "reader" });
    expect(status).toBe(201);
    expect(headers.get("content-type")).toBe("text/csv");
    expect(body).toBe("host,site\nweb01,ber\n");
  });

  test("a token is required, and the endpoint's scope", async () => {
    expect((await api("/api/v1/plugins/testkit/echo")).status).toBe(401);
    expect((await api("/api/v1/plugins/testkit/echo", { as: "reader", method: "POST", json: {} })).status).toBe(403);
    expect((await api("/api/v1/plugins/testkit/admin", { as: "writer", method: "POST", json: {} })).status).toBe(403);
    expect((await api("/api/v1/plugins/testkit/admin", { as: "admin", method: "POST", json: {} })).status).toBe(200);
  });

  test("a timeout is 504, a plugin error 502 with its kind, a broken answer 502 abi", async () => {
    const slow = await api("/api/v1/plugins/testkit/slow", { as: "reader" });
    expect(slow.status).toBe(504);
    expect(slow.body.error.kind).toBe("timeout");
    const failed = await api("/api/v1/plugins/testkit/fail", { as: "reader" });
    expect(failed.status).toBe(502);
    expect(failed.body.error.kind).toBe("auth");
    const bad = await api("/api/v1/plugins/testkit/bad", { as: "reader" });
    expect(bad.status).toBe(502);
    expect(bad.body.error.kind).toBe("abi");
    // testkit's /raw answers with the body it is sent: here a header value that would split the answer.
    const crlf = await api("/api/v1/plugins/testkit/raw", { as: "writer", method: "POST", body: '{"status":200,"headers":{"x-a":"1\\r\\nset-cookie: s=1"}}' });
    expect(crlf.status).toBe(502);
    expect(crlf.body.error).toMatchObject({ kind: "abi" });
    expect(crlf.body.error.message).toContain("headers.x-a: a header value without CR, LF, NUL or other control characters");
    expect(crlf.headers.get("set-cookie")).toBeNull();
  });

  test("undeclared paths are 404, other methods 405, traversal attempts 4xx and never reach another route", async () => {
    expect((await api("/api/v1/plugins/testkit/nothing", { as: "reader" })).status).toBe(404);
    expect((await api("/api/v1/plugins/ghost/echo", { as: "reader" })).status).toBe(404);
    const wrongMethod = await api("/api/v1/plugins/testkit/report.csv", { as: "writer", method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");
    for (const path of ["/echo/..%2f..%2fhosts", "/%2e%2e/%2e%2e/accounts", "/echo%2f..%2f..%2faccounts", "/..%5c..%5caccounts", "/echo/%zz"]) {
      const { status, body } = await api(`/api/v1/plugins/testkit${path}`, { as: "reader" });
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
      expect(body.accounts).toBeUndefined();
      expect(body.error).toBeDefined();
    }
  });

  test("dot segments sent raw are resolved before routing: the resolved path is routed, authorised and passed on, never the raw one", async () => {
    const raw = (method: string, target: string, as: string, body = "") => rawRequest(daemon.url, method, target, { authorization: `Bearer ${tokens[as]}` }, body);
    // Climbing out of a plugin's endpoints lands on the API route named by the resolved path, behind that route's scope.
    for (const target of ["/api/v1/plugins/testkit/../../accounts", "/api/v1/plugins/testkit/%2e%2e/%2E%2E/accounts", "/api/v1/plugins/testkit/x\\..\\..\\..\\accounts"]) {
      const { status, body } = await raw("GET", target, "reader");
      expect(status).toBe(403);
      expect(body.error).toMatchObject({ kind: "forbidden", details: { needed: "admin" } });
    }
    // Within a plugin: its endpoint named by the resolved path, with that endpoint's scope; the plugin sees the resolved path.
    const target = "/api/v1/plugins/testkit/./nothing/../%2e%2e/testkit/echo";
    const forbidden = await raw("POST", target, "reader", "{}");
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.message).toContain("lacks the scope hosts:write that POST /echo of plugin testkit needs");
    const served = await raw("POST", target, "writer", "{}");
    expect(served.status).toBe(200);
    expect(served.body.path).toBe("/echo");
    // An encoded separator is no dot segment to resolve: refused.
    const encoded = await raw("GET", "/api/v1/plugins/testkit/..%2f..%2faccounts", "admin");
    expect(encoded.status).toBe(400);
    expect(encoded.body.error).toMatchObject({ kind: "validation", message: "the path may not contain '.', '..' or encoded separators" });
  });
});

describe("API v1: OpenAPI and metrics", () => {
  test("the OpenAPI 3.1 document lists every route with its schemas and the plugins' endpoints", async () => {
    const { status, body } = await api("/api/v1/openapi.json");
    expect(status).toBe(200);
    expect(body.openapi).toBe("3.1.0");
    expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(["/hosts", "/hosts/{hostname}", "/hosts/bulk", "/hosts/{hostname}/inventory/{namespace}", "/accounts", "/runs/{id}", "/jobs", "/inventory/{ident}", "/plugins/testkit/echo"]));
    const put = body.paths["/hosts/{hostname}"].put;
    expect(put.security).toEqual([{ bearer: [] }]);
    expect(put.requestBody.content["application/json"].schema.properties.account).toBeDefined();
    expect(put.responses["409"]).toBeDefined();
    expect(body.paths["/hosts"].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(["label", "search", "after", "limit"]));
  });

  test("/metrics needs a token and answers Prometheus text: hosts by account, runs, plugin calls, HTTP requests", async () => {
    expect((await api("/metrics")).status).toBe(401);
    const { status, body, headers } = await api("/metrics", { as: "reader" });
    expect(status).toBe(200);
    expect(headers.get("content-type")).toContain("text/plain");
    expect(body).toMatch(/^syncer_hosts\{account="demo"\} \d+$/m);
    expect(body).toMatch(/^syncer_http_requests_total\{method="GET",route="\/api\/v1\/hosts",status="200"\} \d+$/m);
    expect(body).toMatch(/^syncer_plugin_calls_total\{plugin="testkit",outcome="timeout"\} 1$/m);
    expect(body).toMatch(/^syncer_plugin_timeouts_total\{plugin="testkit"\} 1$/m);
    expect(body).toContain("# TYPE syncer_run_duration_seconds histogram");
  });
});
