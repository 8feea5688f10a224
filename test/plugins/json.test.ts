// The json plugin (plugins/json), called through the compiled binary: a file or URL with a list of
// objects, selectors for the list and the fields, pages, and the errors an operator meets.
import { afterAll, describe, expect, test } from "bun:test";
import * as v from "valibot";
import { HostRecordSchema } from "../../src/plugins/abi.ts";
import { fakeUpstream } from "../../src/plugins/author/harness.ts";
import { callBuiltin, type BuiltinCallOptions, type BuiltinCallResult } from "../helpers/builtin-plugins.ts";

interface Page {
  hosts: { hostname: string; labels: Record<string, string>; inventory: Record<string, unknown>; row: number }[];
  next: string | null;
}

/** One page; fails the test with the plugin's error when the call fails. */
async function page(options: BuiltinCallOptions): Promise<Page> {
  const result = await callBuiltin("json", "import_hosts", options);
  if (!result.ok) throw new Error(`import_hosts failed (${result.error.kind}): ${result.error.message}`);
  const value = result.value as Page;
  // Every record is one the host accepts (schemas/abi-v1.host-record.schema.json).
  for (const host of value.hosts) expect(v.safeParse(HostRecordSchema, host).issues).toBeUndefined();
  return value;
}

const fromFile = (content: string | Uint8Array, custom_fields: Record<string, string | string[]> = {}, input: unknown = { page: null, page_size: 100 }): BuiltinCallOptions => ({
  account: { custom_fields: { path: "hosts.json", ...custom_fields } },
  files: { "hosts.json": content },
  input,
});

function failure(result: BuiltinCallResult): { kind: string; message: string } {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return result.error;
}

describe("json plugin, from a file", () => {
  test("a top-level list: every scalar member but the hostname becomes a string label", async () => {
    const hosts = [
      { hostname: "web01", site: "Zürich", owner: "ops 🚀", ram_gb: 16, load: 0.5, virtual: true, retired: null, tags: ["a"], location: { city: "Bern" } },
      { hostname: "web02", site: "fra" },
    ];
    const result = await page(fromFile(JSON.stringify(hosts, null, 2)));
    expect(result).toEqual({
      hosts: [
        { hostname: "web01", labels: { site: "Zürich", owner: "ops 🚀", ram_gb: "16", load: "0.5", virtual: "true" }, inventory: {}, row: 0 },
        { hostname: "web02", labels: { site: "fra" }, inventory: {}, row: 1 },
      ],
      next: null,
    });
  });

  test("a nested list and field selectors: dotted, quoted, indexed, renamed; inventory keeps types", async () => {
    const document = {
      data: {
        "host list": [
          {
            meta: { fqdn: "db01.example.com" },
            site: "ber",
            location: { city: "Berlin" },
            "rack id": "R 12",
            disks: [{ size: 100 }, { size: 200 }],
            tags: ["db", "prod"],
            ram_gb: 64,
            virtual: false,
            note: null,
          },
        ],
      },
    };
    const result = await page(
      fromFile(JSON.stringify(document), {
        list_selector: "$.data['host list']",
        hostname_field: "meta.fqdn",
        label_fields: ["site", "city=location.city", "['rack id']", "disks[-1].size", "tags", "note", "absent"],
        inventory_fields: ["ram_gb", "virtual", "note", "first_disk=disks[0]"],
      }),
    );
    expect(result.hosts).toEqual([
      {
        hostname: "db01.example.com",
        // Named explicitly, an array becomes its JSON text; null and missing fields are left out.
        labels: { site: "ber", city: "Berlin", "rack id": "R 12", "disks.-1.size": "200", tags: '["db","prod"]' },
        inventory: { ram_gb: 64, virtual: false, note: null, first_disk: '{"size":100}' },
        row: 0,
      },
    ]);
  });

  test("a list of hostnames: hostname_field $ is the item itself; [*] after the list is accepted", async () => {
    const result = await page(fromFile(JSON.stringify({ names: ["a1", "a2"] }), { list_selector: "$.names[*]", hostname_field: "$" }));
    expect(result.hosts.map((host) => [host.hostname, host.labels])).toEqual([
      ["a1", {}],
      ["a2", {}],
    ]);
  });

  test("paging: 7 items in pages of 3 come back once each, in order, over 3 pages", async () => {
    const content = JSON.stringify({ items: Array.from({ length: 7 }, (_, i) => ({ name: `h${i}` })) });
    const cursors: (string | null)[] = [];
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const result: Page = await page(fromFile(content, { list_selector: "items", hostname_field: "name" }, { page: cursor, page_size: 3 }));
      seen.push(...result.hosts.map((host) => `${host.row}:${host.hostname}`));
      cursor = result.next;
      cursors.push(cursor);
    } while (cursor !== null && cursors.length < 10);
    expect(cursors).toEqual(["3", "6", null]);
    expect(seen).toEqual(["0:h0", "1:h1", "2:h2", "3:h3", "4:h4", "5:h5", "6:h6"]);
  });

  test("not JSON: a parser error with the file, the line and the column", async () => {
    const error = failure(await callBuiltin("json", "import_hosts", fromFile('[\n  {"hostname": "a",}\n]')));
    expect(error.kind).toBe("parser");
    expect(error.message).toBe("hosts.json is not JSON: expected a member name in double quotes, found character '}' at line 2, column 20");
  });

  test("not UTF-8 (a Latin-1 file): a parser error, not mangled labels", async () => {
    const latin1 = Uint8Array.from([...'[{"hostname": "a", "site": "Z'].map((c) => c.charCodeAt(0)).concat([0xfc], [...'rich"}]'].map((c) => c.charCodeAt(0))));
    const error = failure(await callBuiltin("json", "import_hosts", fromFile(latin1)));
    expect(error.kind).toBe("parser");
    expect(error.message).toContain("invalid UTF-8");
    expect(error.message).toContain("line 1, column 30");
  });

  test("a list selector that does not match an array: an options error naming the selector and why", async () => {
    const content = JSON.stringify({ data: { hosts: { web01: {} } } });
    const missing = failure(await callBuiltin("json", "import_hosts", fromFile(content, { list_selector: "$.data.servers" })));
    expect(missing).toEqual({ kind: "options", message: "list_selector '$.data.servers' does not match an array in hosts.json: $.data has no member 'servers'" });
    const object = failure(await callBuiltin("json", "import_hosts", fromFile(content, { list_selector: "$.data.hosts" })));
    expect(object).toEqual({ kind: "options", message: "list_selector '$.data.hosts' selects an object, not an array, in hosts.json" });
  });

  test("unsupported JSONPath is refused, not ignored", async () => {
    const error = failure(await callBuiltin("json", "import_hosts", fromFile("[]", { list_selector: "$..hosts" })));
    expect(error).toEqual({ kind: "options", message: "list_selector: '$..hosts' is not a supported selector: recursive descent ('..') is not supported" });
    const filter = failure(await callBuiltin("json", "import_hosts", fromFile("[]", { label_fields: ["tags[?(@.x)]"] })));
    expect(filter.kind).toBe("options");
    expect(filter.message).toContain("label_fields: 'tags[?(@.x)]' is not a supported selector: filters");
  });

  test("an item without a hostname: a parser error naming its index", async () => {
    const content = JSON.stringify([{ name: "ok" }, { name: "ok2" }, { title: "no name" }]);
    const missing = failure(await callBuiltin("json", "import_hosts", fromFile(content, { hostname_field: "name" })));
    expect(missing).toEqual({ kind: "parser", message: "hosts.json: item 2 has no hostname: hostname_field 'name' selects nothing ($ has no member 'name')" });
    const numeric = failure(await callBuiltin("json", "import_hosts", fromFile(JSON.stringify([{ name: 42 }]), { hostname_field: "name" })));
    expect(numeric).toEqual({ kind: "parser", message: "hosts.json: item 0 has no hostname: hostname_field 'name' selects a number, not a string" });
  });

  test("neither path nor address: an options error saying what to set", async () => {
    const error = failure(await callBuiltin("json", "import_hosts", { account: {}, input: { page: null, page_size: 10 } }));
    expect(error).toEqual({ kind: "options", message: "set path (a JSON file) or the account's address (a URL of a JSON document)" });
  });
});

describe("json plugin, from a URL", () => {
  const upstream = fakeUpstream((request) => {
    const path = new URL(request.url).pathname;
    if (path === "/export/hosts.json") return Response.json({ result: { hosts: [{ fqdn: "app01", env: "prod" }, { fqdn: "app02", env: "test" }] } });
    if (path === "/broken.json") return new Response("<html>login</html>", { headers: { "content-type": "text/html" } });
    return new Response("not here", { status: 404 });
  });
  afterAll(() => upstream.stop());

  test("the account's address is fetched when no path is set", async () => {
    const result = await page({
      account: { address: `${upstream.url}/export/hosts.json`, custom_fields: { list_selector: "$.result.hosts", hostname_field: "fqdn" } },
      input: { page: null, page_size: 1 },
    });
    expect(result).toEqual({ hosts: [{ hostname: "app01", labels: { env: "prod" }, inventory: {}, row: 0 }], next: "1" });
    expect(upstream.requests.at(-1)).toMatchObject({ method: "GET", path: "/export/hosts.json" });
  });

  test("an HTML page instead of JSON, and an HTTP error, are reported as such", async () => {
    const html = failure(await callBuiltin("json", "import_hosts", { account: { address: `${upstream.url}/broken.json` }, input: { page: null, page_size: 10 } }));
    expect(html.kind).toBe("parser");
    expect(html.message).toBe(`the answer of GET ${upstream.url}/broken.json is not JSON: it starts with '<' (an HTML or XML page?) at line 1, column 1`);
    const missing = failure(await callBuiltin("json", "import_hosts", { account: { address: `${upstream.url}/gone.json` }, input: { page: null, page_size: 10 } }));
    expect(missing).toEqual({ kind: "runtime", message: `GET ${upstream.url}/gone.json answered HTTP 404: not here` });
  });
});
