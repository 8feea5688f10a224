import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { SyncerError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { apiV1, type ApiAuth } from "./api/v1.ts";
import type { ApiEnv } from "./api/env.ts";
import type { ApiServices } from "../app/services.ts";
import { errorBody, statusOf } from "./errors.ts";
import type { Metrics } from "../app/metrics.ts";
import { healthRoutes, type HealthProbe } from "./routes/health.ts";
import { uiApp, type UiContext } from "./ui/ui.ts";
import { notFoundPage } from "./ui/not-found.tsx";

export interface AppDeps {
  log: Logger;
  health: HealthProbe;
  /** The API and /metrics; without them only /healthz answers (while the daemon starts). */
  api?: { services: ApiServices; auth: ApiAuth; metrics: Metrics; maxBodyBytes: number };
  /** The web UI at /; served with the API. */
  ui?: UiContext["auth"];
}

/** The Hono application: routes and cross-cutting middleware, no server or process concerns. */
export function createApp(deps: AppDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const { log, api } = deps;

  if (api || log.enabled("debug")) {
    app.use(async (c, next) => {
      const started = performance.now();
      await next();
      // The matched route's pattern, not the path: one series per route, whatever the hostnames.
      api?.metrics.request(c.req.method, c.req.routePath, c.res.status);
      if (log.enabled("debug")) log.debug("request", { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round((performance.now() - started) * 10) / 10 });
    });
  }

  app.route("/", healthRoutes(deps.health));
  if (api) {
    const limitBody = bodyLimit({
      maxSize: api.maxBodyBytes,
      onError: (c) => c.json(errorBody("payload_too_large", `the body is larger than ${api.maxBodyBytes} bytes ([server] max_body_mb)`), 413),
    });
    // Reads carry no body: they skip the limit's bookkeeping (the API's hottest path is a GET).
    app.use("/api/*", (c, next) => (c.req.method === "GET" || c.req.method === "HEAD" ? next() : limitBody(c, next)));
    app.route("/api/v1", apiV1(api.services, api.auth));
    app.get("/metrics", api.auth.authenticate, async (c) => c.body(await api.metrics.text(), 200, { "content-type": api.metrics.contentType }));
    if (deps.ui) app.route("/", uiApp({ services: api.services, auth: deps.ui }));
  }

  app.notFound((c) => {
    // A browser asking for a page the UI does not have gets a page; the API and other clients JSON.
    if (deps.ui && !c.req.path.startsWith("/api/") && c.req.header("accept")?.includes("text/html")) return notFoundPage(c);
    return c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404);
  });
  app.onError((error, c) => {
    if (error instanceof SyncerError) {
      const status = statusOf(error);
      if (status >= 500) log.error("request failed", { method: c.req.method, path: c.req.path, kind: error.kind, error: error.message });
      return c.json(errorBody(error.kind, error.message, error.details), status);
    }
    if (error instanceof HTTPException && error.status < 500) {
      // Hono's own refusals, e.g. a body that is not JSON.
      return c.json(errorBody(error.status === 400 ? "validation" : "bad_request", error.message), error.status);
    }
    log.error("request failed", { method: c.req.method, path: c.req.path, error: error.message });
    return c.json(errorBody("internal", "internal error; see the server log"), 500);
  });
  return app;
}
