import { vValidator } from "@hono/valibot-validator";
import type { Context, Hono, MiddlewareHandler } from "hono";
import * as v from "valibot";
import type { TOKEN_SCOPES } from "../../auth/tokens.ts";
import { errorBody } from "../errors.ts";
import type { ApiEnv } from "./env.ts";

/**
 * The API's routes are declared once, as data: method, path, scope and valibot schemas for params,
 * query and body. The same declaration registers the Hono handler behind the token check and
 * @hono/valibot-validator, and becomes the route's entry in the OpenAPI document (openapi.ts).
 */

export type Scope = (typeof TOKEN_SCOPES)[number];
export type Method = "get" | "post" | "put" | "delete";

/** Objects whose entries are parameters (path and query). */
export type EntriesSchema = v.ObjectSchema<v.ObjectEntries, v.ErrorMessage<v.ObjectIssue> | undefined> | v.StrictObjectSchema<v.ObjectEntries, v.ErrorMessage<v.StrictObjectIssue> | undefined>;

export interface ResponseSpec {
  description: string;
  schema?: v.GenericSchema;
  /** Default application/json. */
  contentType?: string;
}

export interface RouteSpec<P extends EntriesSchema | undefined, Q extends EntriesSchema | undefined, B extends v.GenericSchema | undefined> {
  method: Method;
  /** Hono syntax, relative to /api/v1: "/hosts/:hostname". */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** The token scope the route needs; null: no token (a webhook brings its own secret). */
  scope: Scope | null;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, ResponseSpec>;
}

type Out<S> = S extends v.GenericSchema ? v.InferOutput<S> : undefined;
export interface RouteInput<P, Q, B> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
}

export interface ApiRoute {
  spec: RouteSpec<EntriesSchema | undefined, EntriesSchema | undefined, v.GenericSchema | undefined>;
  register(app: Hono<ApiEnv>, guard: (scope: Scope | null) => MiddlewareHandler<ApiEnv>[]): void;
}

type Target = "param" | "query" | "json";

/** A 400 naming every field that failed and why. */
function rejectInvalid(target: Target) {
  const where = { param: "path", query: "query", json: "body" }[target];
  return (result: { success: boolean; issues?: [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]] }, c: Context<ApiEnv>) => {
    if (result.success || !result.issues) return;
    const issues = result.issues.map((issue) => ({ in: where, path: v.getDotPath(issue) ?? "", message: issue.message }));
    const first = issues[0]!;
    const message = `invalid ${where}: ${first.path ? `${first.path}: ` : ""}${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`;
    return c.json(errorBody("validation", message, { issues }), 400);
  };
}

/** A body must say it is JSON; otherwise the validator would see an empty object and blame missing fields. */
const requireJson: MiddlewareHandler<ApiEnv> = async (c, next) => {
  const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") return c.json(errorBody("unsupported_media_type", "send the body as JSON with Content-Type: application/json"), 415);
  await next();
};

export function route<P extends EntriesSchema | undefined = undefined, Q extends EntriesSchema | undefined = undefined, B extends v.GenericSchema | undefined = undefined>(
  spec: RouteSpec<P, Q, B>,
  handle: (c: Context<ApiEnv>, input: RouteInput<P, Q, B>) => Response | Promise<Response>,
): ApiRoute {
  return {
    spec,
    register(app, guard) {
      const steps: MiddlewareHandler<ApiEnv>[] = [...guard(spec.scope)];
      if (spec.params) steps.push(vValidator("param", spec.params, rejectInvalid("param")) as unknown as MiddlewareHandler<ApiEnv>);
      if (spec.query) steps.push(vValidator("query", spec.query, rejectInvalid("query")) as unknown as MiddlewareHandler<ApiEnv>);
      if (spec.body) steps.push(requireJson, vValidator("json", spec.body, rejectInvalid("json")) as unknown as MiddlewareHandler<ApiEnv>);
      const valid = (c: Context<ApiEnv>, target: Target, schema: unknown) => (schema ? (c.req.valid as (t: Target) => unknown)(target) : undefined);
      // Hono's typed overloads do not take a spread of handlers; the handlers' types are checked above.
      const on = app.on.bind(app) as (methods: string[], path: string, ...handlers: MiddlewareHandler<ApiEnv>[]) => unknown;
      on([spec.method.toUpperCase()], spec.path, ...steps, async (c) =>
        handle(c, { params: valid(c, "param", spec.params), query: valid(c, "query", spec.query), body: valid(c, "json", spec.body) } as RouteInput<P, Q, B>),
      );
    },
  };
}
