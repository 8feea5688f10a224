import type { Server } from "bun";
import type { Config } from "./config/load.ts";
import type { Setup } from "./setup.ts";
import { applyMigrations } from "./db/migrate.ts";
import { isDatabaseReachable, openDatabase, type OpenDatabase } from "./db/open.ts";
import { describeSystemError, SyncerError, systemErrorCode } from "./errors.ts";
import { createApp } from "./http/app.ts";
import type { Logger } from "./log/logger.ts";
import { VERSION } from "./version.ts";

/** How long shutdown waits for in-flight requests before closing their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

export function parseListen(listen: string): { hostname: string; port: number } {
  const colon = listen.lastIndexOf(":");
  const host = listen.slice(0, colon);
  return { hostname: host.replace(/^\[(.*)\]$/, "$1"), port: Number(listen.slice(colon + 1)) };
}

function urlOf(server: Server<undefined>): string {
  const host = server.hostname ?? "127.0.0.1";
  return `http://${host.includes(":") ? `[${host}]` : host}:${server.port}`;
}

function listen(config: Config, fetch: (request: Request) => Response | Promise<Response>): Server<undefined> {
  const { hostname, port } = parseListen(config.server.listen);
  try {
    return Bun.serve({ hostname, port, fetch, development: false });
  } catch (error) {
    const hint = systemErrorCode(error) === "EADDRINUSE" ? " (is another syncer running? change [server] listen)" : "";
    throw new SyncerError("listen", `cannot listen on ${config.server.listen}: ${describeSystemError(error)}${hint}`);
  }
}

/**
 * `syncer serve`: binds the address first (so a taken port changes nothing on disk), then opens and
 * migrates the database, then serves until SIGTERM or SIGINT, when it stops accepting, lets in-flight
 * requests finish and closes the database.
 */
export async function serve(setup: Setup, log: Logger): Promise<void> {
  const { config } = setup;
  let database: OpenDatabase | undefined;
  const app = createApp({ log, health: () => ({ database: database !== undefined && isDatabaseReachable(database.sqlite) }) });
  const server = listen(config, app.fetch);
  try {
    database = openDatabase(config.paths.database);
    const applied = applyMigrations(database.sqlite);
    if (applied.length > 0) log.info("database migrated", { database: config.paths.database, applied: applied.join(",") });
  } catch (error) {
    server.stop(true);
    database?.close();
    throw error;
  }
  // Signal handlers go in before the daemon says it is serving: a signal right after that line must
  // still mean a graceful stop.
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        log.warn(`second ${signal}: closing open connections now`);
        server.stop(true);
        return;
      }
      stopping = true;
      log.info(`${signal} received: finishing in-flight requests, then stopping`);
      const force = setTimeout(() => {
        log.warn("in-flight requests did not finish in time; closing their connections");
        server.stop(true);
      }, SHUTDOWN_GRACE_MS);
      server.stop(false).then(() => {
        clearTimeout(force);
        database?.close();
        log.info("stopped");
        resolve();
      });
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
  });
  for (const warning of setup.warnings) log.warn(warning.message, { file: warning.file, key: warning.key });
  log.info(`syncer ${VERSION} serving ${urlOf(server)}`, { config: config.source.path, database: config.paths.database });
  log.info(`health: curl ${urlOf(server)}/healthz`);

  await stopped;
}
