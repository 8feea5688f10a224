import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readFixtures } from "../../src/plugins/author/fixture.ts";
import { difference } from "../../src/plugins/author/fixture-run.ts";
import { RecordedUpstream } from "../../src/plugins/author/recorded-upstream.ts";
import { tempDir } from "../helpers/binary.ts";

/** The parts of `syncer plugins test` that need no plugin: the fixture format, the comparison, the recorded upstream. */

function pluginWithFixtures(fixtures: Record<string, string>): string {
  const dir = tempDir();
  mkdirSync(join(dir, "test", "fixtures"), { recursive: true });
  for (const [name, text] of Object.entries(fixtures)) writeFileSync(join(dir, "test", "fixtures", name), text);
  return dir;
}

describe("fixtures", () => {
  test("are read in name order, named by their file", () => {
    const dir = pluginWithFixtures({ "b.json": '{"call": "x", "expect": {}}', "a.json": '{"call": "y", "expect": {"answer": 1}}', "notes.txt": "not a fixture" });
    expect(readFixtures(dir).map(({ name, fixture }) => [name, fixture.call])).toEqual([
      ["a", "y"],
      ["b", "x"],
    ]);
  });

  test("a bad one is refused naming its file and field", () => {
    const dir = pluginWithFixtures({ "bad.json": '{"call": "x", "http": [{"request": {"method": "GET", "path": "api"}, "response": {"status": 200}}], "expect": {}}' });
    expect(() => readFixtures(dir)).toThrow(`${join(dir, "test", "fixtures", "bad.json")}: http.0.request.path:`);
    const notJson = pluginWithFixtures({ "broken.json": "{" });
    expect(() => readFixtures(notJson)).toThrow(/broken\.json: not JSON/);
    expect(() => readFixtures(tempDir())).toThrow(/test\/fixtures does not exist/);
  });
});

describe("an answer against the fixture's expectation", () => {
  test("the first place it differs, with both values", () => {
    expect(difference({ a: [1, { b: "x" }] }, { a: [1, { b: "x" }] }, "answer")).toEqual([]);
    expect(difference({ a: [1, { b: "x" }] }, { a: [1, { b: "y" }] }, "answer")).toEqual(['answer.a[1].b: "y"; the fixture expects "x"']);
    expect(difference([1], [1, 2], "pages")).toEqual(["pages: 2 items, the fixture expects 1; the first extra is 2"]);
    expect(difference({ a: 1 }, {}, "kv")).toEqual(["kv.a: missing; the fixture expects 1"]);
    expect(difference({}, { a: 1 }, "kv")).toEqual(["kv.a: 1, which the fixture does not expect"]);
    expect(difference(null, { ok: true }, "answer")).toEqual(['answer: {"ok":true}; the fixture expects null']);
  });
});

describe("the recorded upstream", () => {
  const exchanges = [
    { request: { method: "GET" as const, path: "/hosts?page=2", headers: { Authorization: "Bearer t" } }, response: { status: 200, body: [{ name: "a" }] } },
    { request: { method: "POST" as const, path: "/hosts", body: { name: "b" } }, response: { status: 201, body: "made", headers: { etag: '"1"' } } },
  ];

  test("answers the recorded exchanges in order, JSON bodies compared as JSON", async () => {
    const upstream = new RecordedUpstream(exchanges);
    const first = await fetch(`${upstream.url}/hosts?page=2`, { headers: { authorization: "Bearer t" } });
    expect([first.status, first.headers.get("content-type"), await first.json()]).toEqual([200, "application/json", [{ name: "a" }]]);
    const second = await fetch(`${upstream.url}/hosts`, { method: "POST", body: '{ "name" : "b" }' });
    expect([second.status, second.headers.get("etag"), await second.text()]).toEqual([201, '"1"', "made"]);
    upstream.stop();
    expect(upstream.problems).toEqual([]);
  });

  test("a request out of order, a header or body other than recorded, and a recorded request never made are each a problem", async () => {
    const upstream = new RecordedUpstream(exchanges);
    expect((await fetch(`${upstream.url}/hosts`, { method: "POST" })).status).toBe(599);
    expect((await fetch(`${upstream.url}/hosts?page=2`, { headers: { authorization: "Bearer wrong" } })).status).toBe(599);
    expect((await fetch(`${upstream.url}/hosts?page=2`, { headers: { authorization: "Bearer t" } })).status).toBe(200);
    expect((await fetch(`${upstream.url}/hosts`, { method: "POST", body: '{"name": "c"}' })).status).toBe(599);
    upstream.stop();
    expect(upstream.problems).toEqual([
      "request 1 was POST /hosts, the fixture expects GET /hosts?page=2",
      "request 1 (GET /hosts?page=2) sent Authorization: Bearer wrong, the fixture expects Bearer t",
      'request 2 (POST /hosts) sent the body {"name": "c"}, the fixture expects {"name":"b"}',
      "the plugin did not make 1 recorded request(s): POST /hosts",
    ]);
  });

  test("recording: requests go on to the real upstream, and what was exchanged is kept without the request's headers", async () => {
    const real = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => (request.headers.get("authorization") === "Bearer s3cret" ? Response.json({ ok: true }) : new Response("no", { status: 401 })) });
    try {
      const upstream = new RecordedUpstream([], `http://127.0.0.1:${real.port}`);
      const answer = await fetch(`${upstream.url}/status?x=1`, { headers: { authorization: "Bearer s3cret" } });
      expect(await answer.json()).toEqual({ ok: true });
      upstream.stop();
      expect(upstream.problems).toEqual([]);
      expect(upstream.recorded).toEqual([{ request: { method: "GET", path: "/status?x=1" }, response: { status: 200, headers: { "content-type": "application/json;charset=utf-8" }, body: { ok: true } } }]);
    } finally {
      real.stop(true);
    }
  });
});
