/**
 * The daemon's HTTP application in-process: createApp over real services (config, migrated database,
 * plugin runtime, token store), driven with app.request — no socket, so requests reach the router
 * exactly as written.
 */
import { readFileSync } from "node:fs";
import { TokenStore } from "../../src/auth/tokens.ts";
import { parseConfig } from "../../src/config/load.ts";
import { DaemonServices } from "../../src/app/services.ts";
import { openSqliteStorage } from "../../src/db/sqlite/storage.ts";
import { createApp } from "../../src/http/app.ts";
import { authenticate, requireScope } from "../../src/http/auth.ts";
import { FailedAuthLimiter } from "../../src/http/failed-auth-limiter.ts";
import { Metrics } from "../../src/app/metrics.ts";
import { createLogger } from "../../src/core/logger.ts";
import { bindSetup } from "../../src/plugins/setup.ts";
import { tempDir, writeConfig } from "./binary.ts";
import { readRows } from "./database.ts";
import { FIXTURE_PLUGINS } from "./plugins.ts";

export interface ApiApp {
  dir: string;
  config: string;
  /** A request with an admin token; `json` is sent as the body with its content type. */
  request(path: string, init?: RequestInit & { json?: unknown }): Promise<{ status: number; body: any; headers: Headers }>;
  /** Rows of the daemon's database, read through a separate connection. */
  query<T = Record<string, unknown>>(sql: string): T[];
  close(): void;
}

/** `extra`: TOML appended to a config whose plugin directories include the fixtures. */
export function apiApp(extra: string): ApiApp {
  const dir = tempDir("syncer-api-");
  const config = writeConfig(dir, `[server]\ndata_dir = "data"\n[plugins]\ndirectories = [${JSON.stringify(FIXTURE_PLUGINS)}]\n${extra}`);
  const setup = bindSetup(parseConfig(readFileSync(config, "utf8"), config, {}), {});
  const database = openSqliteStorage(setup.config.paths.database);
  database.migrations.apply();
  const log = createLogger({ level: "error", format: "text", write: () => {} });
  const metrics = new Metrics(database.stats);
  const services = new DaemonServices(setup, database, log, metrics);
  const tokens = new TokenStore(database);
  const { token } = tokens.create({ name: "test", scopes: ["admin"] });
  const app = createApp({
    log,
    health: () => ({ database: true }),
    api: { services, auth: { authenticate: authenticate(tokens, new FailedAuthLimiter()), requireScope }, metrics, maxBodyBytes: 1024 * 1024 },
  });
  return {
    dir,
    config,
    async request(path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${token}`);
      if (init.json !== undefined) headers.set("content-type", "application/json");
      return answerOf(await app.request(path, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body }));
    },
    query: <T>(sql: string) => readRows<T>(setup.config.paths.database, sql),
    close() {
      services.jobs.stop();
      services.close();
      database.close();
    },
  };
}

/** An API answer as a test reads it: the status, the body parsed when it is JSON (else its text), the headers. */
export async function answerOf(response: Response): Promise<{ status: number; body: any; headers: Headers }> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, body, headers: response.headers };
}
