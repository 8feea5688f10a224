import { Hono } from "hono";
import type { Logger } from "../log/logger.ts";
import { redact } from "../log/redact.ts";
import { healthRoutes, type HealthProbe } from "./routes/health.ts";

export interface AppDeps {
  log: Logger;
  health: HealthProbe;
}

/** JSON error body used by every route: `{error: {kind, message, details?}}`; details carry context, never a secret. */
export function errorBody(kind: string, message: string, details?: Record<string, unknown>) {
  return { error: { kind, message: redact(message), ...(details ? { details } : {}) } };
}

/** The Hono application: routes and cross-cutting middleware, no server or process concerns. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();

  if (deps.log.enabled("debug")) {
    app.use(async (c, next) => {
      const started = performance.now();
      await next();
      deps.log.debug("request", {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
    });
  }

  app.route("/", healthRoutes(deps.health));

  app.notFound((c) => c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404));
  app.onError((error, c) => {
    deps.log.error("request failed", { method: c.req.method, path: c.req.path, error: error.message });
    return c.json(errorBody("internal", "internal error; see the server log"), 500);
  });
  return app;
}
