/**
 * The contract checker the fakes share: OpenAPI 3.0 read as JSON Schema, requests and answers checked against
 * it, and the server that records what is off the contract. A small contract written here shows each rule; the
 * real contracts are exercised by the Checkmk and NetBox tests.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { allDistinct, ContractChecker, type IncomingRequest } from "./contract/checker.ts";
import type { OpenApiDocument } from "./contract/document.ts";
import { pythonPatternToJs, toJsonSchema } from "./contract/json-schema.ts";
import { type Answer, FakeServer, type FakeSystem } from "./server.ts";

const CONTRACT: OpenApiDocument = {
  openapi: "3.0.3",
  info: { title: "toy", version: "1" },
  components: {
    schemas: {
      Thing: { type: "object", required: ["name"], properties: { name: { type: "string", pattern: "^[a-z]+\\Z" }, size: { type: "integer", nullable: true, minimum: 0, maximum: 10, exclusiveMaximum: true }, kind: { type: "string", enum: ["a", "b"], nullable: true } } },
      Things: { type: "object", properties: { entries: { type: "array", uniqueItems: true, items: { $ref: "#/components/schemas/Thing" } } } },
      Labels: { type: "object", additionalProperties: { type: "string" } },
      Named: { type: "object", properties: { name: { type: "string" } } },
      Either: { type: "object", properties: { value: { anyOf: [{ $ref: "#/components/schemas/Named" }, { $ref: "#/components/schemas/Labels" }] } } },
    },
  },
  paths: {
    "/things/{id}": {
      get: {
        operationId: "show",
        parameters: [
          { name: "id", in: "path", required: true, schema: { type: "integer" } },
          { name: "tags", in: "query", schema: { type: "array", items: { type: "string" } }, style: "form", explode: true },
          { name: "deep", in: "query", schema: { type: "boolean" } },
          { name: "X-Trace", in: "header", required: true, schema: { type: "string" } },
        ],
        responses: { "200": { content: { "application/json": { schema: { $ref: "#/components/schemas/Thing" } } }, headers: { ETag: { required: true } } } },
      },
    },
    "/things/special": { get: { operationId: "special", responses: { "204": {} } } },
    "/things": {
      get: { operationId: "list", responses: { "200": { content: { "application/json": { schema: { $ref: "#/components/schemas/Things" } } } } } },
      post: { operationId: "create", requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/Things" } } } }, responses: { "204": {} } },
      put: { operationId: "either", requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/Either" } } } }, responses: { "204": {} } },
    },
  },
};

const checker = new ContractChecker(CONTRACT);

function request(method: string, path: string, options: { query?: string; headers?: Record<string, string>; body?: unknown } = {}): IncomingRequest {
  const headers = new Headers(options.headers);
  if (options.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
  return { method, path, query: new URLSearchParams(options.query ?? ""), headers, body: options.body === undefined ? "" : JSON.stringify(options.body) };
}

/** A name of letters only, different for every `i`. */
const letters = (i: number): string => i.toString(26).replace(/./g, (digit) => String.fromCharCode(97 + parseInt(digit, 26)));

function problemsOf(incoming: IncomingRequest): string[] {
  const match = checker.match(incoming.method, incoming.path);
  if (match.kind !== "found") return [match.kind];
  return checker.checkRequest(match.route, match.pathParams, incoming).problems.map((problem) => `${problem.in} ${problem.at}: ${problem.message}`);
}

describe("OpenAPI 3.0 as JSON Schema", () => {
  test("nullable, boolean exclusive bounds, Python's \\Z and annotations are translated; a closed object refuses unnamed properties", () => {
    const translated = toJsonSchema(CONTRACT.components.schemas.Thing!, { refId: (name) => name, closeObjects: true, branches: new Set() });
    expect(translated.properties.size).toEqual({ anyOf: [{ type: "integer", minimum: 0, exclusiveMaximum: 10 }, { type: "null" }] });
    expect(translated.properties.kind.anyOf[0].enum).toEqual(["a", "b", null]);
    expect(translated.properties.name.pattern).toBe("^[a-z]+$");
    expect(translated.additionalProperties).toBe(false);
    expect(pythonPatternToJs("^a\\\\Z$")).toBe("^a\\\\Z$");
  });
});

describe("requests", () => {
  test("operations are found by method and template, a literal segment before a parameter", () => {
    expect(checker.match("GET", "/things/special")).toMatchObject({ kind: "found", route: { template: "/things/special" } });
    expect(checker.match("GET", "/things/7")).toMatchObject({ kind: "found", route: { template: "/things/{id}" }, pathParams: { id: "7" } });
    expect(checker.match("DELETE", "/things/7")).toEqual({ kind: "no-method", allowed: ["GET"] });
    expect(checker.match("GET", "/nothing")).toEqual({ kind: "no-path" });
  });

  test("path and query parameters are read as their types; lists explode; unnamed parameters and missing required headers are problems", () => {
    expect(problemsOf(request("GET", "/things/7", { query: "tags=a&tags=b&deep=true", headers: { "X-Trace": "1" } }))).toEqual([]);
    expect(problemsOf(request("GET", "/things/x", { query: "deep=maybe&deep=no&color=red" }))).toEqual([
      "path id: must be integer",
      "query deep: is given 2 times but is not a list",
      "query deep: must be boolean",
      "header X-Trace: is required",
      "query color: is not a parameter of this operation",
    ]);
  });

  test("bodies: required, of a declared media type, valid against the schema, every field at fault named once", () => {
    expect(problemsOf(request("POST", "/things", { body: { entries: [{ name: "ok", size: null, kind: null }] } }))).toEqual([]);
    expect(problemsOf(request("POST", "/things"))).toEqual(["body : is required"]);
    expect(problemsOf(request("POST", "/things", { body: { entries: [] }, headers: { "content-type": "text/plain" } }))).toEqual(["header Content-Type: text/plain is not accepted (accepted: application/json)"]);
    expect(problemsOf(request("POST", "/things", { body: { entries: [{ name: "Upper", size: 10, kind: "c", colour: 1 }, {}] } }))).toEqual([
      "body entries/0/colour: is not in the contract",
      "body entries/0/name: must match pattern \"^[a-z]+$\"",
      "body entries/0/size: must be < 10",
      'body entries/0/kind: must be one of ["a","b",null]',
      "body entries/1/name: is required",
    ]);
    expect(problemsOf(request("POST", "/things", { body: { entries: [{ name: "a", size: 1 }, { size: 1, name: "a" }] } }))).toEqual(["body entries: must NOT have duplicate items"]);
  });

  test("uniqueItems compares items as JSON values: key order aside, at any depth, without canonicalising items that differ on their face", () => {
    expect(allDistinct([{ a: 1, b: { c: [1, { d: 2, e: 3 }] } }, { b: { c: [1, { e: 3, d: 2 }] }, a: 1 }])).toBe(false);
    expect(allDistinct([{ a: 1, b: { c: [1, { d: 2 }] } }, { a: 1, b: { c: [1, { d: 3 }] } }])).toBe(true);
    expect(allDistinct([1, "1", null, true, [1], [[1]], {}, { a: null }])).toBe(true);
    expect(allDistinct(["x", "y", "x"])).toBe(false);
    expect(allDistinct([[1, 2], [2, 1], [1, 2]])).toBe(false);
    const entries = Array.from({ length: 300 }, (_, i) => ({ host_name: `host${i}`, folder: "/", attributes: { labels: { a: "b" } } }));
    expect(allDistinct(entries)).toBe(true);
    expect(allDistinct([...entries, { attributes: { labels: { a: "b" } }, folder: "/", host_name: "host7" }])).toBe(false);
  });

  test("a request's body is checked whole however long its lists: one bad entry of a thousand is found where it is", () => {
    const entries = Array.from({ length: 1000 }, (_, i) => ({ name: letters(i), size: i % 10 }));
    entries[537] = { name: "Bad", size: 3 };
    expect(problemsOf(request("POST", "/things", { body: { entries } }))).toEqual(['body entries/537/name: must match pattern "^[a-z]+$"']);
  });

  test("an answer's long lists are checked on a sample that moves on with every answer: a bad item is found within a few listings, named where it is", () => {
    const sampling = new ContractChecker(CONTRACT, { answerSample: 8 });
    const route = sampling.operations().find((operation) => operation.operation.operationId === "list")!;
    const answer = (entries: unknown[]) => sampling.checkAnswer(route, { status: 200, headers: new Headers({ "content-type": "application/json" }), body: { entries } });
    const good = Array.from({ length: 100 }, (_, i) => ({ name: letters(i), size: i % 10 }));
    expect(answer(good)).toEqual([]);
    // The first and the last item are in every sample.
    expect(answer([{ name: 1 }, ...good.slice(1)])).toEqual([{ in: "body", at: "entries/0/name", message: "must be string" }]);
    expect(answer([...good.slice(1), { name: "last", size: 11 }])).toEqual([{ in: "body", at: "entries/99/size", message: "must be < 10" }]);
    // One between them is found within as many listings as the sample's step.
    const bad = good.map((item, i) => (i === 42 ? { ...item, colour: "red", size: -1 } : item));
    const found = Array.from({ length: 14 }, () => answer(bad)).filter((problems) => problems.length > 0);
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]).toEqual([{ in: "body", at: "entries/42/size", message: "must be >= 0" }]);
    // Without a sample, every answer checks every item.
    const whole = new ContractChecker(CONTRACT, { answerSample: 0 });
    expect(whole.checkAnswer(route, { status: 200, headers: new Headers({ "content-type": "application/json" }), body: { entries: bad } })).toEqual([{ in: "body", at: "entries/42/size", message: "must be >= 0" }]);
  });

  test("an anyOf branch stays open: a mix of named and other properties passes when a branch allows it", () => {
    expect(problemsOf(request("PUT", "/things", { body: { value: { name: "x", extra: "y" } } }))).toEqual([]);
    expect(problemsOf(request("PUT", "/things", { body: { value: { name: 1 } } }))).toEqual(["body value/name: must be string"]);
  });
});

describe("answers and the server", () => {
  const servers: FakeServer<null>[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      await server.takeViolations();
      await server.close();
    }
  });

  /** A toy system whose answers are given by the test, to show how the server records an off-contract answer. */
  function toyServer(answer: Answer): FakeServer<null> {
    const system: FakeSystem<null> = {
      basePath: "/api",
      checker,
      authenticate: () => ({ caller: null }),
      refusedAnswer: () => ({ status: 401 }),
      problemAnswer: () => ({ status: 400, body: { error: "off the contract" } }),
      unknownPathAnswer: () => ({ status: 404 }),
      methodNotAllowedAnswer: () => ({ status: 405 }),
      serverErrorAnswer: (status) => ({ status }),
      handle: () => answer,
    };
    const server = new FakeServer(system).start();
    servers.push(server);
    return server;
  }

  test("an answer off the contract (schema, status, header) is recorded as the fake's own violation", async () => {
    const fake = toyServer({ status: 200, body: { size: 3 } });
    const response = await fetch(`${fake.origin}/api/things/1`, { headers: { "X-Trace": "1" } });
    expect(response.status).toBe(200);
    const violations = await fake.takeViolations();
    expect(violations).toEqual([{ side: "answer", operation: "GET /things/{id}", problems: [{ in: "header", at: "ETag", message: "is required in this answer" }, { in: "body", at: "name", message: "is required" }] }]);
  });

  test("a status the operation does not document is recorded; an answer on the contract is not", async () => {
    const fake = toyServer({ status: 201 });
    await fetch(`${fake.origin}/api/things/special`);
    expect((await fake.takeViolations())[0]!.problems[0]!.message).toContain("status 201 is not an answer of this operation");
    const good = toyServer({ status: 200, body: { name: "ok" }, headers: { ETag: '"1"' } });
    await fetch(`${good.origin}/api/things/1`, { headers: { "X-Trace": "1" } });
    expect(await good.takeViolations()).toEqual([]);
  });
});
