import { Hono } from "hono";
import { VERSION } from "../../core/version.ts";

/** Answers whether the database can be reached right now. */
export type HealthProbe = () => { database: boolean };

/** GET /healthz: no auth, for load balancers and systemd watchdogs; 503 when the database is unreachable. */
export function healthRoutes(probe: HealthProbe): Hono {
  const started = Date.now();
  return new Hono().get("/healthz", (c) => {
    const { database } = probe();
    const body = {
      status: database ? "ok" : "degraded",
      version: VERSION,
      database: database ? "reachable" : "unreachable",
      uptime_seconds: Math.floor((Date.now() - started) / 1000),
    };
    return c.json(body, database ? 200 : 503);
  });
}
