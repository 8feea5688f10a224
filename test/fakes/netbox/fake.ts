/**
 * A fake NetBox 4.2 REST API (`/api/…`), stateful and checked against NetBox's own OpenAPI contract (with the
 * errata in errata.ts): sites, roles, device types, manufacturers, platforms, cluster types, clusters, tags,
 * tenants, IP addresses, devices and virtual machines; lists paged with limit/offset (`count`, `next`,
 * `previous`, a maximum page size), the filters an importer uses, bulk create/update/delete all or none, 400 with
 * field messages, and tokens in both styles (`Token <key>`, NetBox ≤ 4.4; `Bearer nbt_<key>.<token>`, 4.5+).
 *
 *   const netbox = startNetboxFake();          // netbox.address → http://127.0.0.1:<port>
 *   netbox.store.create("sites", { name: "Berlin", slug: "berlin" });
 *   await netbox.close();                      // throws if any request or answer was off the contract
 */
import type { CheckedRequest, IncomingRequest, Problem } from "../contract/checker.ts";
import { ContractChecker } from "../contract/checker.ts";
import { openApiDocument } from "../contract/document.ts";
import type { Route } from "../contract/routes.ts";
import { type Answer, FakeGap, FakeServer, type FakeSystem, type RequestContext } from "../server.ts";
import { netboxErrata } from "./errata.ts";
import { AnswerCache, parsedOnRead, Serializer } from "./serialize.ts";
import { type CustomField, type NetboxRecord, NetboxStore, ValidationFailed } from "./store.ts";
import { TYPE_BY_PATH, type TypeKey, type TypeSpec } from "./types.ts";

export const NETBOX_CONTRACT = "netbox-4.2.2.openapi.yaml";

export interface NetboxToken {
  /** v1: the 40-character key sent as `Token <key>`; v2: the key in `Bearer nbt_<key>.<token>`. */
  key: string;
  version: 1 | 2;
  /** v2 only: the secret after the dot. */
  token?: string;
  /** Default true; a read-only token gets 403 on writes. */
  writeEnabled?: boolean;
}

export interface NetboxOptions {
  /** Default: one write-enabled v1 token `0123456789abcdef0123456789abcdef01234567`. */
  tokens?: NetboxToken[];
  /** NetBox's PAGINATE_COUNT (default 50) and MAX_PAGE_SIZE (default 1000). */
  pageSize?: number;
  maxPageSize?: number;
  customFields?: CustomField[];
}

export interface NetboxFake {
  /** NetBox's base URL as an operator enters it; the API is at `<address>/api/`. */
  address: string;
  store: NetboxStore;
  server: FakeServer<NetboxToken>;
  close(): Promise<void>;
}

export const DEFAULT_NETBOX_TOKEN = "0123456789abcdef0123456789abcdef01234567";

export function startNetboxFake(options: NetboxOptions = {}): NetboxFake {
  const store = new NetboxStore(options.customFields);
  const api = new NetboxApi(store, options);
  const server = new FakeServer(api).start();
  // Each object's answer is made as it is written (seeding included), as NetBox keeps its rows: a list then
  // sends what is kept (see AnswerCache).
  const origin = server.origin;
  store.onWritten((type, records) => api.keepAnswers(type, records, origin));
  return { address: origin, store, server, close: () => server.close() };
}

const LIST_PARAMETERS = new Set(["limit", "offset"]);
const COMMA = Buffer.from(",");
const CLOSING = Buffer.from("]}");

class NetboxApi implements FakeSystem<NetboxToken> {
  readonly basePath = "";
  readonly checker = new ContractChecker(openApiDocument(NETBOX_CONTRACT), { errata: netboxErrata });
  readonly commonHeaders = { "API-Version": "4.2" };
  private readonly tokens: NetboxToken[];
  private readonly pageSize: number;
  private readonly maxPageSize: number;
  private readonly sortedCache = new Map<TypeKey, { revision: number; records: NetboxRecord[] }>();
  private readonly answers: AnswerCache;
  private readonly pageText = new PageText();

  constructor(
    private readonly store: NetboxStore,
    options: NetboxOptions,
  ) {
    this.tokens = options.tokens ?? [{ key: DEFAULT_NETBOX_TOKEN, version: 1 }];
    this.pageSize = options.pageSize ?? 50;
    this.maxPageSize = options.maxPageSize ?? 1000;
    this.answers = new AnswerCache(store);
  }

  /** Makes the answers of objects just written, for the requests of `origin`. */
  keepAnswers(type: TypeKey, records: NetboxRecord[], origin: string): void {
    const serializer = new Serializer(this.checker.document, this.store, origin);
    for (const record of records) this.answers.answer(type, record, serializer);
  }

  authenticate(request: IncomingRequest, route: Route): { caller: NetboxToken } | { refused: Answer } {
    const header = request.headers.get("authorization");
    if (!header) return { refused: detail(403, "Authentication credentials were not provided.") };
    const v1 = /^Token (\S+)$/.exec(header);
    const v2 = /^Bearer nbt_([^.\s]+)\.(\S+)$/.exec(header);
    const token = v1 ? this.tokens.find((candidate) => candidate.version === 1 && candidate.key === v1[1]) : v2 ? this.tokens.find((candidate) => candidate.version === 2 && candidate.key === v2[1] && candidate.token === v2[2]) : undefined;
    if (!token) return { refused: detail(403, "Invalid token") };
    if (route.method !== "get" && token.writeEnabled === false) return { refused: detail(403, "You do not have permission to perform this action.") };
    return { caller: token };
  }

  refusedAnswer(): Answer {
    return detail(403, "Invalid token");
  }

  problemAnswer(_route: Route, problems: Problem[], request: IncomingRequest): Answer {
    const contentType = problems.find((problem) => problem.in === "header" && problem.at === "Content-Type");
    if (contentType) return detail(415, `Unsupported media type "${request.headers.get("content-type") ?? ""}" in request.`);
    if (problems.some((problem) => problem.in === "path")) return detail(404, "Not found.");
    const notJson = problems.find((problem) => problem.in === "body" && problem.message.startsWith("is not JSON"));
    if (notJson) return detail(400, `JSON parse error - ${notJson.message.replace("is not JSON: ", "")}`);
    const query = problems.filter((problem) => problem.in === "query");
    if (query.length > 0) return { status: 400, body: fieldErrors(query) };
    const body = problems.filter((problem) => problem.in === "body");
    // A list body's errors are a list, one object per item (`{}` for the fine ones), as DRF answers many=True.
    if (body.some((problem) => /^\d+(\/|$)/.test(problem.at))) {
      const length = Array.isArray(safeJson(request.body)) ? (safeJson(request.body) as unknown[]).length : 0;
      const items: Record<string, string[]>[] = Array.from({ length }, () => ({}));
      for (const problem of body) {
        const [index, ...rest] = problem.at.split("/");
        Object.assign((items[Number(index)] ??= {}), fieldErrors([{ ...problem, at: rest.join("/") }]));
      }
      return { status: 400, body: items };
    }
    return { status: 400, body: fieldErrors(body) };
  }

  unknownPathAnswer(): Answer {
    return detail(404, "Not found.");
  }

  methodNotAllowedAnswer(allowed: string[]): Answer {
    return { ...detail(405, "Method not allowed."), headers: { Allow: allowed.join(", ") } };
  }

  serverErrorAnswer(status: number): Answer {
    return { status, body: { error: "Injected failure: the fake was told to fail this request.", exception: "InjectedFailure", netbox_version: "4.2.2", python_version: "3.12.3" } };
  }

  handle(request: CheckedRequest, _caller: NetboxToken, context: RequestContext): Answer {
    const { route } = request;
    if (route.template === "/api/status/") return { status: 200, body: { "django-version": "5.1.5", "installed-apps": {}, "netbox-version": "4.2.2", plugins: {}, "python-version": "3.12.3", "rq-workers-running": 1 } };
    const serializer = new Serializer(this.checker.document, this.store, context.origin);
    const listSpec = TYPE_BY_PATH.get(route.template);
    if (listSpec) {
      try {
        if (route.method === "get") return this.list(listSpec, request, context, serializer);
        if (route.method === "post") return this.create(listSpec, request.body, serializer);
        if (route.method === "patch" || route.method === "put") return this.bulkUpdate(listSpec, request.body as Record<string, unknown>[], route.method === "patch", serializer);
        if (route.method === "delete") return this.bulkDelete(listSpec, request.body as { id: number }[]);
      } catch (error) {
        if (error instanceof ValidationFailed) return { status: 400, body: Array.isArray(request.body) && route.method === "post" ? error.items : error.items.find((item) => Object.keys(item).length > 0) };
        throw error;
      }
    }
    const singleSpec = TYPE_BY_PATH.get(route.template.replace(/\{id\}\/$/, ""));
    if (singleSpec && route.template.endsWith("{id}/")) return this.single(singleSpec, request, serializer);
    throw new FakeGap(`${route.method.toUpperCase()} ${route.template}`);
  }

  private list(spec: TypeSpec, request: CheckedRequest, context: RequestContext, serializer: Serializer): Answer {
    const { query } = request;
    for (const name of Object.keys(query)) {
      if (!LIST_PARAMETERS.has(name) && name !== "id" && !spec.filters.includes(name)) throw new FakeGap(`the ${name}= filter of ${spec.path}`);
    }
    const filtered = this.filter(spec, query);
    if ("errors" in filtered) return { status: 400, body: filtered.errors };
    const records = filtered.records;
    let limit = query.limit === undefined ? this.pageSize : (query.limit as number);
    if (limit <= 0 || limit > this.maxPageSize) limit = this.maxPageSize;
    const offset = Math.max(0, (query.offset as number | undefined) ?? 0);
    const page = records.slice(offset, offset + limit);
    const link = (at: number | undefined) => {
      const url = new URL(`${context.origin}${spec.path}`);
      for (const [name, value] of context.incoming.query) url.searchParams.append(name, value);
      url.searchParams.set("limit", String(limit));
      if (at === undefined) url.searchParams.delete("offset");
      else url.searchParams.set("offset", String(at));
      return url.toString();
    };
    const answers = page.map((record) => this.answers.answer(spec.key, record, serializer));
    const head = { count: records.length, next: offset + limit < records.length ? link(offset + limit) : null, previous: offset <= 0 ? null : link(offset - limit > 0 ? offset - limit : undefined) };
    // The kept texts joined: what JSON.stringify writes of the body, without writing each object again.
    const json = this.pageText.join(Buffer.from(`${JSON.stringify(head).slice(0, -1)},"results":[`), answers, CLOSING);
    return { status: 200, body: { ...head, results: parsedOnRead(answers.map((answer) => answer.json)) }, json };
  }

  /** NetBox's filter semantics: values of one filter OR'ed (tags AND'ed), filters AND'ed; an unknown slug is 400. */
  private filter(spec: TypeSpec, query: Record<string, unknown>): { records: NetboxRecord[] } | { errors: Record<string, string[]> } {
    const tests: ((record: NetboxRecord) => boolean)[] = [];
    for (const [name, raw] of Object.entries(query)) {
      if (LIST_PARAMETERS.has(name)) continue;
      const values = (Array.isArray(raw) ? raw : [raw]) as unknown[];
      if (name === "last_updated__gte" || name === "last_updated__lte") {
        const bounds = values.map((value) => Date.parse(String(value)));
        tests.push((record) => bounds.every((bound) => (name.endsWith("gte") ? Date.parse(record.last_updated) >= bound : Date.parse(record.last_updated) <= bound)));
      } else if (name === "id" || name.endsWith("_id")) {
        const field = name === "id" ? "id" : name.slice(0, -3);
        const wanted = new Set(values);
        tests.push((record) => wanted.has(record[field]));
      } else if (name === "tag") {
        const ids: number[] = [];
        for (const slug of values) {
          const tag = this.store.all("tags").find((candidate) => candidate.slug === slug);
          if (!tag) return { errors: { tag: [`Select a valid choice. ${slug} is not one of the available choices.`] } };
          ids.push(tag.id);
        }
        tests.push((record) => ids.every((id) => record.tags.includes(id)));
      } else if (spec.fields[name]?.kind === "ref") {
        const target = (spec.fields[name] as { target: TypeKey }).target;
        const key = target === "clusters" ? "name" : "slug";
        const ids: number[] = [];
        for (const value of values) {
          const found = this.store.all(target).find((candidate) => candidate[key] === value);
          if (!found) return { errors: { [name]: [`Select a valid choice. ${value} is not one of the available choices.`] } };
          ids.push(found.id);
        }
        tests.push((record) => ids.includes(record[name] as number));
      } else if (spec.fields[name]?.kind === "choice") {
        const choices = this.choicesOf(spec, name);
        const bad = values.find((value) => !choices.includes(value as string));
        if (bad !== undefined) return { errors: { [name]: [`Select a valid choice. ${bad} is not one of the available choices.`] } };
        tests.push((record) => values.includes(record[name]));
      } else {
        // A set: an exporter looks up some hundred names in one request, against tens of thousands of objects.
        const wanted = new Set(values);
        tests.push((record) => wanted.has(record[name]));
      }
    }
    const sorted = this.sorted(spec.key);
    return { records: tests.length === 0 ? sorted : sorted.filter((record) => tests.every((test) => test(record))) };
  }

  /** The type's objects in NetBox's default order, sorted again only after a write. */
  private sorted(type: TypeKey): NetboxRecord[] {
    const cached = this.sortedCache.get(type);
    if (cached?.revision === this.store.revision) return cached.records;
    const records = this.store.all(type).sort(ordering(type));
    this.sortedCache.set(type, { revision: this.store.revision, records });
    return records;
  }

  private choicesOf(spec: TypeSpec, field: string): string[] {
    return this.checker.document.components.schemas[spec.schema]?.properties?.[field]?.properties?.value?.enum ?? [];
  }

  private create(spec: TypeSpec, body: unknown, serializer: Serializer): Answer {
    const items = (Array.isArray(body) ? body : [body]) as Record<string, unknown>[];
    const created = this.store.write(spec.key, items.map((data) => ({ data })), false);
    const answers = created.map((record) => serializer.full(spec.key, record));
    return { status: 201, body: Array.isArray(body) ? answers : answers[0] };
  }

  /** Ids NetBox does not find are skipped; the first invalid object's errors refuse the whole request. */
  private bulkUpdate(spec: TypeSpec, items: Record<string, unknown>[], partial: boolean, serializer: Serializer): Answer {
    const found = items.flatMap((item) => {
      const existing = this.store.get(spec.key, item.id as number);
      return existing ? [{ data: item, existing }] : [];
    });
    const updated = this.store.write(spec.key, found, partial);
    return { status: 200, body: updated.sort(ordering(spec.key)).map((record) => serializer.full(spec.key, record)) };
  }

  private bulkDelete(spec: TypeSpec, items: { id: number }[]): Answer {
    const ids = items.map((item) => item.id).filter((id) => this.store.get(spec.key, id));
    const { protectedBy } = this.store.delete(spec.key, ids);
    return protectedBy ? detail(409, protectedBy) : { status: 204 };
  }

  private single(spec: TypeSpec, request: CheckedRequest, serializer: Serializer): Answer {
    const record = this.store.get(spec.key, request.pathParams.id as number);
    if (!record) return detail(404, `No ${spec.verboseName} matches the given query.`);
    const method = request.route.method;
    if (method === "get") return { status: 200, body: serializer.full(spec.key, record) };
    if (method === "delete") {
      const { protectedBy } = this.store.delete(spec.key, [record.id]);
      return protectedBy ? detail(409, protectedBy) : { status: 204 };
    }
    try {
      const [updated] = this.store.write(spec.key, [{ data: (request.body ?? {}) as Record<string, unknown>, existing: record }], method === "patch");
      return { status: 200, body: serializer.full(spec.key, updated!) };
    } catch (error) {
      if (error instanceof ValidationFailed) return { status: 400, body: error.items[0] };
      throw error;
    }
  }
}

/**
 * A list page's text, joined in one buffer kept across requests: the server copies an answer's bytes as it
 * makes the response (see toResponse), so the buffer is free again once the handler returns, and a page of a
 * megabyte and more is not fresh memory every time (which, beside fifty thousand kept answers, kept the garbage
 * collector busy).
 */
class PageText {
  private buffer = new Uint8Array(1 << 20);

  join(head: Uint8Array, answers: { json: Uint8Array }[], tail: Uint8Array): Uint8Array {
    let length = head.byteLength + tail.byteLength + Math.max(0, answers.length - 1) * COMMA.byteLength;
    for (const answer of answers) length += answer.json.byteLength;
    if (length > this.buffer.byteLength) this.buffer = new Uint8Array(Math.max(length, this.buffer.byteLength * 2));
    const buffer = this.buffer;
    buffer.set(head, 0);
    let at = head.byteLength;
    answers.forEach((answer, index) => {
      if (index > 0) {
        buffer.set(COMMA, at);
        at += COMMA.byteLength;
      }
      buffer.set(answer.json, at);
      at += answer.json.byteLength;
    });
    buffer.set(tail, at);
    return buffer.subarray(0, length);
  }
}

/** NetBox's default ordering: by name (IP addresses by address), then id. */
function ordering(type: TypeKey): (a: NetboxRecord, b: NetboxRecord) => number {
  const field = type === "ip-addresses" ? "address" : type === "device-types" ? "model" : "name";
  return (a, b) => {
    const left = a[field] as string | null;
    const right = b[field] as string | null;
    if (left !== right) {
      if (left === null || left === undefined) return 1;
      if (right === null || right === undefined) return -1;
      return left < right ? -1 : 1;
    }
    return a.id - b.id;
  };
}

function detail(status: number, text: string): Answer {
  return { status, body: { detail: text } };
}

/** Problems as DRF's field errors: `{field: [messages]}`, nested fields flattened to their first name. */
function fieldErrors(problems: Problem[]): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  for (const problem of problems) (errors[problem.at.split("/")[0] || "non_field_errors"] ??= []).push(problem.at.includes("/") ? `${problem.at}: ${problem.message}` : problem.message);
  return errors;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
