/**
 * Checks requests and answers against an OpenAPI 3.0 contract: the operation (method + path template), path and
 * query parameters (types, enums, patterns; parameters the contract does not name), required headers, the body's
 * media type and its schema, and for an answer its status, media type, schema and required headers.
 *
 * Validation is Ajv's (JSON Schema, with ajv-formats for `date-time`, `uri`, `uuid`…): the contract's component
 * schemas are translated once (json-schema.ts) and registered under their names, and each operation's schemas are
 * compiled on first use, so a fake pays only for the operations a test calls. The checker returns problems; the
 * fake decides how the real system would answer them and records them as violations.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import type { OpenApiDocument, ParameterObject, SchemaObject } from "./document.ts";
import { canonicalJson } from "./canonical-json.ts";
import { branchComponents, toJsonSchema, type Translation, UNIQUE_ITEMS } from "./json-schema.ts";
import { type Route, type RouteMatch, Routes } from "./routes.ts";

/** One thing a request or an answer does that the contract does not allow. */
export interface Problem {
  in: "path" | "query" | "header" | "body";
  /** The parameter, header or body location (`entries/0/attributes/tag_foo`); "" for the body as a whole. */
  at: string;
  message: string;
}

export interface IncomingRequest {
  method: string;
  /** Below the API's base path, still percent-encoded. */
  path: string;
  query: URLSearchParams;
  headers: Headers;
  /** The raw body; "" when none was sent. */
  body: string;
}

export interface CheckedRequest {
  route: Route;
  pathParams: Record<string, unknown>;
  /** The declared query parameters given, coerced to their schema's types (arrays for exploded ones). */
  query: Record<string, unknown>;
  body: unknown;
  problems: Problem[];
}

export interface OutgoingAnswer {
  status: number;
  headers: Headers;
  /** The body as it will be serialised to JSON; undefined for none. */
  body: unknown;
}

export interface ContractOptions {
  /** Fixes to the contract where it is known to be wrong, applied to a copy before anything is compiled. */
  errata?: (document: OpenApiDocument) => void;
  /**
   * Answers only (requests are always checked whole): a list longer than this is checked on this many of its
   * items, the first and the last among them, spread evenly from an offset that moves on with every answer, so
   * that listings repeated over a test cover every item. Answers are the fake's own making, item after item by
   * the same code, and a listing of 100k hosts checked whole cost the fake more than answering it. 0 checks
   * every item. Default 64.
   */
  answerSample?: number;
}

const ANSWER_SAMPLE = 64;

type Direction = "request" | "response";

/**
 * Two validators per schema: one that stops at the first error (fast: most requests and answers are valid), and,
 * only when it fails, one that collects every error, so that the answer names every field at fault.
 */
interface Validators {
  first: ValidateFunction;
  all?: ValidateFunction;
}

export class ContractChecker {
  readonly document: OpenApiDocument;
  private readonly routes: Routes;
  private readonly branches: ReadonlySet<string>;
  private readonly firstError: Ajv;
  private everyError: Ajv | undefined;
  private readonly compiled = new Map<string, Validators>();
  private readonly answerSample: number;
  /** Moves each sample's items on by one: see answerSample. */
  private answersSampled = 0;

  constructor(source: OpenApiDocument, options: ContractOptions = {}) {
    this.document = options.errata ? structuredClone(source) : source;
    options.errata?.(this.document);
    this.routes = new Routes(this.document);
    this.branches = branchComponents(this.document.components.schemas);
    this.firstError = this.createAjv(false);
    this.answerSample = options.answerSample ?? ANSWER_SAMPLE;
  }

  private createAjv(allErrors: boolean): Ajv {
    const ajv = new Ajv({ allErrors, strict: true, strictTypes: false, strictRequired: false, validateSchema: false, unicodeRegExp: false });
    addFormats(ajv);
    // Checkmk's own format names; the values are ISO 8601 timestamps and URLs.
    ajv.addFormat("iso8601", /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?$/);
    ajv.addFormat("url", /^[a-z][a-z0-9+.-]*:\/\/\S+$/i);
    ajv.addKeyword({
      keyword: UNIQUE_ITEMS,
      type: "array",
      schemaType: "boolean",
      error: { message: "must NOT have duplicate items" },
      validate: (_unique: boolean, items: unknown[]) => allDistinct(items),
    });
    for (const direction of ["request", "response"] as const) {
      const translation = this.translation(direction, this.branches);
      for (const [name, schema] of Object.entries(this.document.components.schemas)) ajv.addSchema(toJsonSchema(schema, translation, this.branches.has(name)), translation.refId(name));
    }
    return ajv;
  }

  match(method: string, path: string): RouteMatch {
    return this.routes.match(method, path);
  }

  operations(): Route[] {
    return this.routes.all();
  }

  /**
   * Compiles now what checking the operation's requests and answers will need, rather than on first use: for a
   * bench, whose timing should hold the client's work and the fake's answers, not the fake's start-up.
   */
  prepare(route: Route): void {
    const prefix = `${route.method} ${route.template}`;
    for (const parameter of route.parameters) if (parameter.schema) this.validatorsOf(`${prefix} ${parameter.in}:${parameter.name}`, parameter.schema, "request");
    for (const [mediaType, media] of Object.entries(route.operation.requestBody?.content ?? {})) if (media.schema) this.validatorsOf(`${prefix} body ${mediaType}`, media.schema, "request");
    for (const [status, answer] of Object.entries(route.operation.responses)) {
      for (const [mediaType, media] of Object.entries(answer.content ?? {})) if (media.schema) this.validatorsOf(`${prefix} ${status} ${mediaType}`, media.schema, "response");
    }
  }

  checkRequest(route: Route, pathParams: Record<string, string>, request: IncomingRequest): CheckedRequest {
    const problems: Problem[] = [];
    const checkedPath: Record<string, unknown> = {};
    const query: Record<string, unknown> = {};
    for (const parameter of route.parameters) {
      if (parameter.in === "path") {
        const value = coerce(pathParams[parameter.name] ?? "", parameter.schema);
        checkedPath[parameter.name] = value;
        problems.push(...this.checkParameter(route, parameter, value));
      } else if (parameter.in === "query") {
        const given = request.query.getAll(parameter.name);
        if (given.length === 0) {
          if (parameter.required) problems.push({ in: "query", at: parameter.name, message: "is required" });
          continue;
        }
        const isArray = parameter.schema?.type === "array";
        if (!isArray && given.length > 1) problems.push({ in: "query", at: parameter.name, message: `is given ${given.length} times but is not a list` });
        const value = isArray ? given.flatMap((item) => (parameter.explode === false ? item.split(",") : [item])).map((item) => coerce(item, parameter.schema?.items)) : coerce(given[0]!, parameter.schema);
        query[parameter.name] = value;
        problems.push(...this.checkParameter(route, parameter, value));
      } else if (parameter.in === "header") {
        // OpenAPI: header parameters named Accept, Content-Type or Authorization are ignored; the body's media
        // type is checked against requestBody below, authentication by the fake.
        if (["accept", "content-type", "authorization"].includes(parameter.name.toLowerCase())) continue;
        const value = request.headers.get(parameter.name);
        if (value === null) {
          if (parameter.required) problems.push({ in: "header", at: parameter.name, message: "is required" });
          continue;
        }
        problems.push(...this.checkParameter(route, parameter, coerce(value, parameter.schema)));
      }
    }
    const declared = new Set(route.parameters.filter((parameter) => parameter.in === "query").map((parameter) => parameter.name));
    for (const name of new Set(request.query.keys())) {
      if (!declared.has(name)) problems.push({ in: "query", at: name, message: "is not a parameter of this operation" });
    }
    const body = this.checkBody(route, request, problems);
    return { route, pathParams: checkedPath, query, body, problems };
  }

  checkAnswer(route: Route, answer: OutgoingAnswer): Problem[] {
    const problems: Problem[] = [];
    const documented = route.operation.responses[String(answer.status)] ?? route.operation.responses.default;
    if (!documented) return [{ in: "body", at: "", message: `status ${answer.status} is not an answer of this operation (documented: ${Object.keys(route.operation.responses).join(", ")})` }];
    for (const [name, header] of Object.entries(documented.headers ?? {})) {
      if (header.required && !answer.headers.has(name)) problems.push({ in: "header", at: name, message: "is required in this answer" });
    }
    const content = documented.content ?? {};
    if (answer.body === undefined) {
      if (Object.values(content).some((media) => media.schema)) problems.push({ in: "body", at: "", message: `status ${answer.status} needs a body` });
      return problems;
    }
    const mediaType = mediaTypeOf(answer.headers.get("content-type"));
    const media = content[mediaType];
    if (!media) return [...problems, { in: "body", at: "", message: `media type ${mediaType || "(none)"} is not documented for status ${answer.status} (documented: ${Object.keys(content).join(", ") || "no body"})` }];
    if (!media.schema) return problems;
    const key = `${route.method} ${route.template} ${answer.status} ${mediaType}`;
    const sample = this.answerSample > 0 ? sampled(answer.body, this.answerSample, this.answersSampled++) : answer.body;
    // A sample that fails is checked again whole, so that the problems name the items at fault where they are.
    if (sample !== answer.body && this.validate(key, media.schema, "response", sample, "body").length === 0) return problems;
    problems.push(...this.validate(key, media.schema, "response", answer.body, "body"));
    return problems;
  }

  private checkBody(route: Route, request: IncomingRequest, problems: Problem[]): unknown {
    const requestBody = route.operation.requestBody;
    if (request.body === "") {
      if (requestBody?.required) problems.push({ in: "body", at: "", message: "is required" });
      return undefined;
    }
    if (!requestBody) {
      problems.push({ in: "body", at: "", message: "this operation takes no body" });
      return undefined;
    }
    const mediaType = mediaTypeOf(request.headers.get("content-type"));
    const media = requestBody.content[mediaType];
    if (!media) {
      problems.push({ in: "header", at: "Content-Type", message: `${mediaType || "(none)"} is not accepted (accepted: ${Object.keys(requestBody.content).join(", ")})` });
      return undefined;
    }
    let body: unknown;
    try {
      body = JSON.parse(request.body);
    } catch (error) {
      problems.push({ in: "body", at: "", message: `is not JSON: ${(error as Error).message}` });
      return undefined;
    }
    if (media.schema) problems.push(...this.validate(`${route.method} ${route.template} body ${mediaType}`, media.schema, "request", body, "body"));
    return body;
  }

  private checkParameter(route: Route, parameter: ParameterObject, value: unknown): Problem[] {
    if (!parameter.schema) return [];
    return this.validate(`${route.method} ${route.template} ${parameter.in}:${parameter.name}`, parameter.schema, "request", value, parameter.in as Problem["in"], parameter.name);
  }

  /** Compiled on first use, per operation and place. */
  private validate(key: string, schema: SchemaObject, direction: Direction, value: unknown, where: Problem["in"], base = ""): Problem[] {
    const validators = this.validatorsOf(key, schema, direction);
    const jsonSchema = () => toJsonSchema(schema, this.translation(direction, new Set()));
    if (validators.first(value)) return [];
    this.everyError ??= this.createAjv(true);
    validators.all ??= this.everyError.compile(jsonSchema());
    validators.all(value);
    return fromAjv(where, validators.all.errors ?? [], base);
  }

  private validatorsOf(key: string, schema: SchemaObject, direction: Direction): Validators {
    let validators = this.compiled.get(key);
    if (!validators) this.compiled.set(key, (validators = { first: this.firstError.compile(toJsonSchema(schema, this.translation(direction, new Set()))) }));
    return validators;
  }

  private translation(direction: Direction, branches: ReadonlySet<string>): Translation {
    return { refId: (name) => `urn:contract:${direction}:${encodeURIComponent(name)}`, closeObjects: direction === "request", branches };
  }
}

/**
 * Whether no two items are equal as JSON values (key order aside), in linear time for the usual case: each item
 * gets a shallow signature (its scalars, and for an object its sorted keys with their scalar values), which equal
 * items share; only items whose signatures collide are compared by their canonical JSON. A bulk body's entries
 * (300 hosts each with its name) never collide, so none is canonicalised.
 */
export function allDistinct(items: readonly unknown[]): boolean {
  const bySignature = new Map<string, unknown[]>();
  for (const item of items) {
    const signature = shallowSignature(item);
    const same = bySignature.get(signature);
    if (same) same.push(item);
    else bySignature.set(signature, [item]);
  }
  for (const group of bySignature.values()) {
    if (group.length > 1 && new Set(group.map(canonicalJson)).size !== group.length) return false;
  }
  return true;
}

function shallowSignature(item: unknown): string {
  if (item === null || typeof item !== "object") return JSON.stringify(item ?? null);
  if (Array.isArray(item)) return `[${item.length}`;
  const record = item as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const value = record[key];
    parts.push(value !== null && typeof value === "object" ? `${key}:${Array.isArray(value) ? "[" : "{"}` : `${key}=${JSON.stringify(value)}`);
  }
  return `{${parts.join(",")}`;
}

/**
 * `value` with every list longer than `size` cut to `size` of its items (the first, the last, and evenly between
 * them from `turn`), sharing what it does not cut; `value` itself when nothing is long.
 */
export function sampled(value: unknown, size: number, turn = 0): unknown {
  if (value === null || typeof value !== "object") return value;
  let changed = false;
  if (Array.isArray(value)) {
    let items: unknown[] = value;
    if (value.length > size) {
      const step = (value.length - 1) / (size - 1);
      const shift = turn % Math.max(1, Math.floor(step));
      items = Array.from({ length: size }, (_, i) => value[i === 0 || i === size - 1 ? Math.round(i * step) : Math.min(value.length - 2, Math.floor(i * step) + shift)]);
      changed = true;
    }
    const inner = items.map((item) => sampled(item, size, turn));
    if (inner.some((item, i) => item !== items[i])) changed = true;
    return changed ? inner : value;
  }
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    const inner = sampled(member, size, turn);
    if (inner !== member) changed = true;
    out[key] = inner;
  }
  return changed ? out : value;
}

/** Text from a URL or header as the type its schema names; left as text when it does not read as one. */
function coerce(text: string, schema: SchemaObject | undefined): unknown {
  const type = schema?.type;
  if ((type === "integer" || type === "number") && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return Number(text);
  if (type === "boolean") {
    const lower = text.toLowerCase();
    if (lower === "true" || lower === "1") return true;
    if (lower === "false" || lower === "0") return false;
  }
  return text;
}

function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

/**
 * Ajv's errors as problems. Of an `anyOf`/`oneOf` that failed, the alternatives whose type did not even fit are
 * left out (an object body is not also told "must be array", a wrong enum value not "must be null"), and the
 * summary "must match a schema in anyOf" too, unless nothing else would be left to say.
 */
function fromAjv(where: Problem["in"], all: ErrorObject[], base = ""): Problem[] {
  const unions = all.filter((error) => error.keyword === "anyOf" || error.keyword === "oneOf");
  const misfits = (error: ErrorObject) => error.keyword === "type" && unions.some((union) => union.instancePath === error.instancePath && error.schemaPath.startsWith(`${union.schemaPath}/`));
  const focused = all.filter((error) => !unions.includes(error) && !misfits(error));
  const errors = focused.length > 0 ? focused : all;
  const problems = new Map<string, Problem>();
  for (const error of errors) {
    const segments = error.instancePath.split("/").slice(1).map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"));
    let message = error.message ?? "is invalid";
    if (error.keyword === "required") {
      segments.push(error.params.missingProperty);
      message = "is required";
    } else if (error.keyword === "additionalProperties") {
      segments.push(error.params.additionalProperty);
      message = "is not in the contract";
    } else if (error.keyword === "enum") {
      message = `must be one of ${JSON.stringify(error.params.allowedValues)}`;
    }
    const at = [base, ...segments].filter(Boolean).join("/");
    problems.set(`${at} ${message}`, { in: where, at, message });
  }
  return [...problems.values()];
}
