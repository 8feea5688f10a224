// The rest plugin (plugins/rest), called through the compiled binary against a fake upstream: auth
// headers, paging by next links (body and Link header) and by offset, and the error kinds.
import { afterAll, describe, expect, test } from "bun:test";
import * as v from "valibot";
import { HostRecordSchema } from "../../src/plugins/abi.ts";
import { fakeUpstream } from "../../src/plugins/author/harness.ts";
import { callBuiltin, type BuiltinAccount, type BuiltinCallResult } from "../helpers/builtin-plugins.ts";

interface Page {
  hosts: { hostname: string; labels: Record<string, string>; inventory: Record<string, unknown>; row: number }[];
  next: string | null;
}

const HOSTS = ["h0", "h1", "h2", "h3", "h4"].map((name, i) => ({ name, rack: i }));

const upstream = fakeUpstream(async (request) => {
  const url = new URL(request.url);
  const base = `http://${url.host}`;
  switch (url.pathname) {
    case "/api/hosts":
      return Response.json(HOSTS.slice(0, 2));
    // Next links in the body: a relative one, then an absolute one, then null.
    case "/api/linked": {
      const page = Number(url.searchParams.get("page") ?? "1");
      const next = page === 1 ? "/api/linked?page=2" : page === 2 ? `${base}/api/linked?page=3` : null;
      return Response.json({ results: HOSTS.slice((page - 1) * 2, page * 2), next });
    }
    // Next links in an RFC 8288 Link header, beside a rel="last" one; the body is the bare list.
    case "/api/link-header": {
      const page = Number(url.searchParams.get("page") ?? "1");
      const headers: Record<string, string> = {};
      if (page < 3) headers.link = `<${base}/api/link-header?page=3>; rel="last", <?page=${page + 1}>; rel="next"`;
      return Response.json(HOSTS.slice((page - 1) * 2, page * 2), { headers });
    }
    case "/api/offset": {
      const offset = Number(url.searchParams.get("skip"));
      const limit = Number(url.searchParams.get("take"));
      return Response.json({ data: HOSTS.slice(offset, offset + limit) });
    }
    case "/api/self":
      return Response.json({ results: [], next: "/api/self" });
    case "/api/secure":
      return request.headers.get("authorization") ? Response.json([{ name: "secret01" }]) : new Response("no", { status: 401 });
    case "/api/forbidden":
      return new Response("denied", { status: 403 });
    case "/api/broken":
      return new Response("database on fire", { status: 500 });
    case "/api/garbage":
      return new Response('{"hosts": [', { headers: { "content-type": "application/json" } });
    case "/api/unicode":
      // Escaped and literal non-ASCII, so both decoding paths are exercised.
      return new Response('[{"name": "zrh01", "city": "Z\\u00fcrich", "note": "🚀 rack ✓", "escaped": "\\ud83d\\ude80", "kanji": "東京"}]', {
        headers: { "content-type": "application/json; charset=utf-8" },
      });
  }
  return new Response("not found", { status: 404 });
});
afterAll(() => upstream.stop());

const account = (custom_fields: Record<string, string | number>, extra: BuiltinAccount = {}): BuiltinAccount => ({ address: `${upstream.url}/api`, ...extra, custom_fields });

async function call(accountSpec: BuiltinAccount, cursor: string | null = null): Promise<BuiltinCallResult> {
  return callBuiltin("rest", "import_hosts", { account: accountSpec, input: { page: cursor, page_size: 500 } });
}

async function page(accountSpec: BuiltinAccount, cursor: string | null = null): Promise<Page> {
  const result = await call(accountSpec, cursor);
  if (!result.ok) throw new Error(`import_hosts failed (${result.error.kind}): ${result.error.message}`);
  const value = result.value as Page;
  for (const host of value.hosts) expect(v.safeParse(HostRecordSchema, host).issues).toBeUndefined();
  return value;
}

/** Every page, following the cursors as the host does; returns the hostnames and the cursors. */
async function allPages(accountSpec: BuiltinAccount): Promise<{ hostnames: string[]; rows: number[]; cursors: (string | null)[] }> {
  const hostnames: string[] = [];
  const rows: number[] = [];
  const cursors: (string | null)[] = [];
  let cursor: string | null = null;
  do {
    const result: Page = await page(accountSpec, cursor);
    hostnames.push(...result.hosts.map((host) => host.hostname));
    rows.push(...result.hosts.map((host) => host.row));
    cursor = result.next;
    cursors.push(cursor);
  } while (cursor !== null && cursors.length < 10);
  return { hostnames, rows, cursors };
}

function failure(result: BuiltinCallResult): { kind: string; message: string } {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return result.error;
}

const requestsTo = (path: string) => upstream.requests.filter((seen) => seen.path.startsWith(path));

describe("rest plugin: auth", () => {
  test("bearer sends the account's password as the token, and never logs it", async () => {
    const result = await call(account({ endpoint: "/secure", auth: "bearer", hostname_field: "name" }, { password: "t0ken-s3cret" }));
    expect(result).toMatchObject({ ok: true, value: { hosts: [{ hostname: "secret01" }], next: null } });
    expect(requestsTo("/api/secure").at(-1)?.headers.authorization).toBe("Bearer t0ken-s3cret");
    expect(JSON.stringify(result.logs)).not.toContain("t0ken-s3cret");
  });

  test("basic sends username:password in base64 (UTF-8)", async () => {
    const result = await call(account({ endpoint: "/secure", auth: "basic", hostname_field: "name" }, { username: "syncer", password: "pässwörd:🔑" }));
    expect(result.ok).toBe(true);
    expect(requestsTo("/api/secure").at(-1)?.headers.authorization).toBe(`Basic ${Buffer.from("syncer:pässwörd:🔑").toString("base64")}`);
    expect(JSON.stringify(result.logs)).not.toContain("pässwörd");
  });

  test("none sends no Authorization header; a 401 is an auth error", async () => {
    const error = failure(await call(account({ endpoint: "/secure", hostname_field: "name" })));
    expect(requestsTo("/api/secure").at(-1)?.headers.authorization).toBeUndefined();
    expect(error).toEqual({ kind: "auth", message: `GET ${upstream.url}/api/secure was refused with HTTP 401: check the account's credentials` });
  });

  test("a 403 is an auth error too", async () => {
    const error = failure(await call(account({ endpoint: "/forbidden", auth: "bearer" }, { password: "x" })));
    expect(error.kind).toBe("auth");
    expect(error.message).toContain("HTTP 403");
  });

  test("bearer without a password is an options error, before any request", async () => {
    const before = upstream.requests.length;
    const error = failure(await call(account({ endpoint: "/secure", auth: "bearer" })));
    expect(error).toEqual({ kind: "options", message: "auth = bearer needs the token as the account's password" });
    expect(upstream.requests.length).toBe(before);
  });
});

describe("rest plugin: paging", () => {
  test("none: one request to address + endpoint, next is null", async () => {
    const result = await page(account({ hostname_field: "name" }));
    expect(result).toEqual({
      hosts: [
        { hostname: "h0", labels: { rack: "0" }, inventory: {}, row: 0 },
        { hostname: "h1", labels: { rack: "1" }, inventory: {}, row: 1 },
      ],
      next: null,
    });
    expect(requestsTo("/api/hosts").at(-1)?.path).toBe("/api/hosts");
  });

  test("next_link in the body: relative and absolute links are followed until null", async () => {
    const result = await allPages(account({ endpoint: "linked", paging: "next_link", list_selector: "$.results", hostname_field: "name" }));
    expect(result.hostnames).toEqual(["h0", "h1", "h2", "h3", "h4"]);
    expect(result.cursors).toEqual([`${upstream.url}/api/linked?page=2`, `${upstream.url}/api/linked?page=3`, null]);
  });

  test("next_link in a Link header (rel=next among others) when the body has none", async () => {
    const result = await allPages(account({ endpoint: "/link-header", paging: "next_link", hostname_field: "name" }));
    expect(result.hostnames).toEqual(["h0", "h1", "h2", "h3", "h4"]);
    expect(result.cursors).toEqual([`${upstream.url}/api/link-header?page=2`, `${upstream.url}/api/link-header?page=3`, null]);
  });

  test("a next link to the same page is an error, not an endless run", async () => {
    const error = failure(await call(account({ endpoint: "/self", paging: "next_link", list_selector: "$.results" })));
    expect(error.kind).toBe("runtime");
    expect(error.message).toContain("points to the same page");
  });

  test("offset: offset/limit parameters with page_size, until an empty page; rows count from the offset", async () => {
    const before = upstream.requests.length;
    const result = await allPages(
      account({ endpoint: "/offset", paging: "offset", offset_param: "skip", limit_param: "take", page_size: 2, list_selector: "$.data", hostname_field: "name" }),
    );
    expect(result.hostnames).toEqual(["h0", "h1", "h2", "h3", "h4"]);
    expect(result.rows).toEqual([0, 1, 2, 3, 4]);
    expect(result.cursors).toEqual(["2", "4", "5", null]);
    expect(upstream.requests.slice(before).map((seen) => seen.path)).toEqual([
      "/api/offset?skip=0&take=2",
      "/api/offset?skip=2&take=2",
      "/api/offset?skip=4&take=2",
      "/api/offset?skip=5&take=2",
    ]);
  });
});

describe("rest plugin: errors and data", () => {
  test("an unreachable API is a connection error with the host's message", async () => {
    const dead = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = dead.port;
    dead.stop(true);
    const error = failure(await call({ address: `http://127.0.0.1:${port}`, custom_fields: {} }));
    expect(error.kind).toBe("connection");
    expect(error.message).toContain(`cannot reach 127.0.0.1:${port}`);
  });

  test("an account without an address is an options error", async () => {
    const error = failure(await call({ custom_fields: { endpoint: "/hosts" } }));
    expect(error).toEqual({ kind: "options", message: "the account needs an address: the API's base URL, such as https://cmdb.example.com/api" });
  });

  test("a 500 is a runtime error with the status and the start of the body", async () => {
    const error = failure(await call(account({ endpoint: "/broken" })));
    expect(error).toEqual({ kind: "runtime", message: `GET ${upstream.url}/api/broken answered HTTP 500: database on fire` });
  });

  test("a body that is not JSON is a parser error with the position", async () => {
    const error = failure(await call(account({ endpoint: "/garbage" })));
    expect(error).toEqual({ kind: "parser", message: `the answer of GET ${upstream.url}/api/garbage is not JSON: expected a value, found end of the document at line 1, column 12` });
  });

  test("non-ASCII values round-trip, escaped or not", async () => {
    const result = await page(account({ endpoint: "/unicode", hostname_field: "name" }));
    expect(result.hosts).toEqual([{ hostname: "zrh01", labels: { city: "Zürich", note: "🚀 rack ✓", escaped: "🚀", kanji: "東京" }, inventory: {}, row: 0 }]);
  });
});

