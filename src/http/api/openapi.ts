import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { VERSION } from "../../core/version.ts";
import type { Plugin } from "../../plugins/plugin.ts";
import type { ApiRoute, EntriesSchema } from "./contract.ts";
import { ErrorSchema } from "./schemas.ts";

type JsonSchema = Record<string, unknown>;

/** Input types: what a client sends (query numbers are strings on the wire). Checks without a JSON Schema form are left out, not fatal. */
function jsonSchema(schema: v.GenericSchema): JsonSchema {
  const { $schema: _, ...rest } = toJsonSchema(schema, { target: "draft-2020-12", typeMode: "input", errorMode: "ignore" }) as JsonSchema;
  return rest;
}

function parameters(schema: EntriesSchema | undefined, where: "path" | "query"): JsonSchema[] {
  if (!schema) return [];
  return Object.entries(schema.entries).map(([name, entry]) => {
    const json = jsonSchema(entry);
    const { description, ...rest } = json;
    return { name, in: where, required: where === "path" || entry.type !== "optional", ...(description ? { description } : {}), schema: rest };
  });
}

const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: jsonSchema(ErrorSchema) } } });

/** `/hosts/:hostname` → `/hosts/{hostname}`. */
const openApiPath = (path: string) => path.replace(/:([A-Za-z_]+)/g, "{$1}");

/**
 * The OpenAPI 3.1 document of API v1, built from the same route declarations and valibot schemas that
 * check requests, plus the endpoints the loaded plugins declare.
 */
export function openApiDocument(routes: ApiRoute[], plugins: Iterable<Plugin>): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { spec } of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(spec.responses)) {
      responses[status] = response.schema
        ? { description: response.description, content: { [response.contentType ?? "application/json"]: { schema: jsonSchema(response.schema) } } }
        : { description: response.description };
    }
    if (spec.scope) {
      responses["401"] ??= errorResponse("Missing, invalid or revoked token.");
      responses["403"] ??= errorResponse(`The token lacks the scope ${spec.scope}.`);
      responses["429"] ??= errorResponse("Too many failed authentications from this client; retry after Retry-After seconds.");
    }
    if (spec.body) responses["415"] ??= errorResponse("The body is not sent as application/json.");
    const operation: Record<string, unknown> = {
      operationId: `${spec.method}${spec.path.replace(/[/:](\w)/g, (_, c: string) => c.toUpperCase()).replace(/\W/g, "")}`,
      tags: [spec.tag],
      summary: spec.summary,
      description: [spec.description, spec.scope ? `Scope: \`${spec.scope}\`.` : "No token."].filter(Boolean).join("\n\n"),
      security: spec.scope ? [{ bearer: [] }] : [],
      parameters: [...parameters(spec.params, "path"), ...parameters(spec.query, "query")],
      ...(spec.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(spec.body) } } } } : {}),
      responses,
    };
    (paths[openApiPath(spec.path)] ??= {})[spec.method] = operation;
  }
  for (const plugin of plugins) {
    for (const endpoint of plugin.manifest.endpoints) {
      const path = `/plugins/${plugin.ident}${endpoint.path}`;
      (paths[path] ??= {})[endpoint.method.toLowerCase()] = {
        tags: ["plugin endpoints"],
        summary: endpoint.description ?? `${plugin.ident} ${endpoint.export}`,
        description: `Served by plugin ${plugin.ident} (export ${endpoint.export}). Scope: \`${endpoint.scope ?? (endpoint.method === "GET" ? "hosts:read" : "hosts:write")}\`.`,
        security: [{ bearer: [] }],
        responses: { default: { description: "The plugin's answer." }, 502: errorResponse("The plugin failed; the error carries its kind."), 504: errorResponse("The plugin overran its time limit.") },
      };
    }
  }
  return {
    openapi: "3.1.0",
    info: { title: "Syncer API", version: VERSION, description: "Hosts, runs, jobs and plugins of a syncer daemon. Tokens: `syncer token create --name NAME --scope SCOPE`." },
    servers: [{ url: "/api/v1" }],
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "A token from `syncer token create` (starts with syncer_)." } } },
    paths,
  };
}
