import { Hono, type MiddlewareHandler } from "hono";
import type { Registry } from "../../plugins/registry.ts";
import type { ApiRoute, Scope } from "./contract.ts";
import type { ApiEnv } from "./env.ts";
import type { ApiServices } from "../../app/services.ts";
import { openApiDocument } from "./openapi.ts";
import { accountRoutes } from "./routes/accounts.ts";
import { hostRoutes } from "./routes/hosts.ts";
import { inventoryRoutes } from "./routes/inventory.ts";
import { jobRoutes } from "./routes/jobs.ts";
import { registerPluginEndpoints } from "./routes/plugin-endpoints.ts";
import { pluginRoutes } from "./routes/plugins.ts";
import { runRoutes } from "./routes/runs.ts";
import { eventRoutes } from "./routes/events.ts";
import { ruleRoutes } from "./routes/rules.ts";

export interface ApiAuth {
  authenticate: MiddlewareHandler<ApiEnv>;
  requireScope(scope: Scope): MiddlewareHandler<ApiEnv>;
}

/** Every declared route of API v1 (plugin endpoints aside, which the loaded plugins declare). */
export function apiRoutes(services: ApiServices): ApiRoute[] {
  return [...hostRoutes(services), ...accountRoutes(services), ...pluginRoutes(services), ...runRoutes(services), ...eventRoutes(services), ...jobRoutes(services), ...inventoryRoutes(services), ...ruleRoutes(services)];
}

/** API v1, mounted at /api/v1: the declared routes behind their token scopes, plugin endpoints, and the OpenAPI document (no token: it holds no data). */
export function apiV1(services: ApiServices, auth: ApiAuth): Hono<ApiEnv> {
  const api = new Hono<ApiEnv>();
  const routes = apiRoutes(services);
  // Built once per set of plugins (a reload may bring others), not per request.
  let openApi: { registry: Registry; document: Record<string, unknown> } | undefined;
  api.get("/openapi.json", (c) => {
    const { registry } = services.setup();
    if (openApi?.registry !== registry) openApi = { registry, document: openApiDocument(routes, registry.plugins.values()) };
    return c.json(openApi.document);
  });
  const guard = (scope: Scope | null) => (scope ? [auth.authenticate, auth.requireScope(scope)] : []);
  for (const route of routes) route.register(api, guard);
  registerPluginEndpoints(api, services, auth.authenticate);
  return api;
}
