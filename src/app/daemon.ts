import type { Server } from "bun";
import { TokenStore } from "../auth/tokens.ts";
import type { Config } from "../config/load.ts";
import { changedSections, restartNeeded, watchConfigFiles } from "./reload.ts";
import { DaemonServices } from "./services.ts";
import { openSqliteStorage } from "../db/sqlite/storage.ts";
import type { Storage } from "../db/storage.ts";
import { asSyncerError, describeSystemError, SyncerError, systemErrorCode } from "../core/errors.ts";
import { Metrics } from "./metrics.ts";
import type { Logger } from "../core/logger.ts";
import { closeAbandonedRuns, closeOwnRuns } from "../runs/interrupted.ts";
import type { AppliedJobs } from "../scheduler/scheduler.ts";
import { loadSetup, type Setup } from "../plugins/setup.ts";
import { VERSION } from "../core/version.ts";
import { redact } from "../core/redact.ts";

/**
 * How long a connection may be silent before Bun closes it (its default is 10 s). An inventory is
 * rendered whole before its first byte goes out: a million hosts take well over 10 s on a busy machine.
 */
const IDLE_TIMEOUT_SECONDS = 120;

/** How long shutdown waits for in-flight requests before closing their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

export type Fetch = (request: Request, server: Server<undefined>) => Response | Promise<Response>;

/**
 * The HTTP side of the daemon, handed in by the edge that starts it (`syncer serve`): the daemon owns
 * the socket and the lifecycle, the edge owns what a request gets. Before the database is open only
 * health answers; then the whole app.
 */
export interface HttpFront {
  starting(log: Logger): Fetch;
  serving(parts: { log: Logger; services: DaemonServices; tokens: TokenStore; metrics: Metrics; health: () => { database: boolean }; maxBodyBytes: number }): Fetch;
}

export function parseListen(listen: string): { hostname: string; port: number } {
  const colon = listen.lastIndexOf(":");
  const host = listen.slice(0, colon);
  return { hostname: host.replace(/^\[(.*)\]$/, "$1"), port: Number(listen.slice(colon + 1)) };
}

function urlOf(server: Server<undefined>): string {
  const host = server.hostname ?? "127.0.0.1";
  return `http://${host.includes(":") ? `[${host}]` : host}:${server.port}`;
}

function listen(config: Config, fetch: Fetch): Server<undefined> {
  const { hostname, port } = parseListen(config.server.listen);
  try {
    // Bun's own limit is only a backstop, set above [server] max_body_mb: the app answers oversized bodies with a JSON 413.
    // reusePort: false, because Bun sets SO_REUSEPORT outside development mode, and with it a second daemon on the same
    // port would start and share the requests (and the database) instead of failing with EADDRINUSE.
    return Bun.serve({
      hostname,
      port,
      fetch,
      development: false,
      reusePort: false,
      idleTimeout: IDLE_TIMEOUT_SECONDS,
      maxRequestBodySize: 2 * config.server.max_body_mb * 1024 * 1024 + 1024 * 1024,
    });
  } catch (error) {
    const hint = systemErrorCode(error) === "EADDRINUSE" ? " (is another syncer running? change [server] listen)" : "";
    throw new SyncerError("listen", `cannot listen on ${config.server.listen}: ${describeSystemError(error)}${hint}`);
  }
}

/** A reloaded config with what only a restart can change kept as running: the database and address stay those in use. */
function keepRestartOnly(running: Config, next: Setup): Setup {
  const config: Config = { ...next.config, server: running.server, log: running.log, paths: { ...next.config.paths, dataDir: running.paths.dataDir, database: running.paths.database } };
  return { ...next, config };
}

/**
 * `syncer serve`: binds the address first (so a taken port changes nothing on disk), then opens and
 * migrates the database, marks runs left running by processes that are gone as interrupted, starts the
 * scheduler and serves the API. SIGHUP or an edit of the config file reloads it; SIGTERM/SIGINT stop
 * accepting, let running jobs finish up to [scheduler] shutdown_grace_seconds, then stop.
 */
export async function serve(initial: Setup, log: Logger, front: HttpFront): Promise<void> {
  const { config } = initial;
  let storage: Storage | undefined;
  // Until the database is open only /healthz answers (503); then the whole app takes over.
  let handle: Fetch = front.starting(log);
  const server = listen(config, (request, bunServer) => handle(request, bunServer));
  let services: DaemonServices;
  let metrics: Metrics;
  try {
    storage = openSqliteStorage(config.paths.database);
    const applied = storage.migrations.apply();
    if (applied.length > 0) log.info("database migrated", { database: config.paths.database, applied: applied.join(",") });
    const interrupted = closeAbandonedRuns(storage, Date.now());
    if (interrupted.runs + interrupted.jobRuns > 0) log.warn("runs left running by processes that are gone were marked interrupted", { runs: interrupted.runs, job_runs: interrupted.jobRuns });
    metrics = new Metrics(storage.stats);
    services = new DaemonServices(initial, storage, log, metrics);
    const tokens = new TokenStore(storage);
    const open = storage;
    handle = front.serving({ log, services, tokens, metrics, health: () => ({ database: open.reachable() }), maxBodyBytes: config.server.max_body_mb * 1024 * 1024 });
  } catch (error) {
    server.stop(true);
    storage?.close();
    throw error;
  }

  let stopping = false;
  /** A reload changes no stored row: its event stands alone. A failure to record it is logged, never fails the reload. */
  const recordEvent = (type: "config.reloaded" | "config.reload_failed", data: Record<string, unknown>) => {
    try {
      storage!.events.emit({ type, data, at: Date.now() });
    } catch (error) {
      log.warn(`the ${type} event could not be recorded: ${asSyncerError(error).message}`);
    }
  };
  // Nothing is logged as reloaded, and nothing changes, until every part of the new config is in place.
  const reload = (why: string) => {
    const refuse = (reason: string) => {
      log.error(`config reload (${why}) refused, the running config stays: ${reason}`);
      metrics.configReloadFailed();
      recordEvent("config.reload_failed", { trigger: why, error: redact(reason) });
    };
    if (stopping) return refuse("syncer is shutting down");
    let loaded: Setup;
    try {
      loaded = loadSetup(config.source.path);
    } catch (error) {
      // The message names file:line.
      return refuse(asSyncerError(error).message);
    }
    const running = services.setup();
    const restart = restartNeeded(running.config, loaded.config);
    const next = keepRestartOnly(running.config, loaded);
    const sections = changedSections(running.config, next.config);
    let jobs: AppliedJobs;
    try {
      jobs = services.swap(next);
    } catch (error) {
      return refuse(asSyncerError(error).message);
    }
    watcher.follow(next.config);
    for (const warning of next.warnings) log.warn(warning.message, { file: warning.file, key: warning.key });
    log.info(`config reloaded (${why})`, { changed: sections.join(",") || "nothing", jobs_added: jobs.added.join(",") || undefined, jobs_rescheduled: jobs.rescheduled.join(",") || undefined, jobs_removed: jobs.removed.join(",") || undefined });
    if (restart.length > 0) log.warn(`config changes that need a restart were not applied: ${restart.join("; ")}`);
    recordEvent("config.reloaded", { trigger: why, changed: sections, restart_needed: restart });
  };
  const watcher = watchConfigFiles(config, () => reload("file changed"), log);
  process.on("SIGHUP", () => reload("SIGHUP"));

  // Signal handlers go in before the daemon says it is serving: a signal right after that line must
  // still mean a graceful stop.
  const stopped = new Promise<void>((resolve) => {
    const stop = async (signal: string) => {
      if (stopping) {
        log.warn(`second ${signal}: closing open connections now`);
        server.stop(true);
        return;
      }
      stopping = true;
      watcher.close();
      services.jobs.stop();
      const maintenanceStopped = services.maintenance.stop();
      const deliveryStopped = services.delivery.stop();
      log.info(`${signal} received: no new requests or jobs; finishing what is running`);
      const force = setTimeout(() => {
        log.warn("in-flight requests did not finish in time; closing their connections");
        server.stop(true);
      }, SHUTDOWN_GRACE_MS);
      const graceSeconds = services.setup().config.scheduler.shutdown_grace_seconds;
      const [, jobs] = await Promise.all([server.stop(false), services.jobs.drain(graceSeconds * 1000), maintenanceStopped, deliveryStopped]);
      clearTimeout(force);
      if (jobs.stillRunning.length > 0) {
        const marked = closeOwnRuns(storage!, Date.now());
        log.warn(`jobs still running after ${graceSeconds} s were interrupted: ${jobs.stillRunning.join(", ")}`, { runs: marked.runs, job_runs: marked.jobRuns });
      }
      services.close();
      storage?.close();
      log.info("stopped");
      resolve();
    };
    process.on("SIGTERM", () => void stop("SIGTERM"));
    process.on("SIGINT", () => void stop("SIGINT"));
  });
  for (const warning of initial.warnings) log.warn(warning.message, { file: warning.file, key: warning.key });
  log.info(`syncer ${VERSION} serving ${urlOf(server)}`, { config: config.source.path, database: config.paths.database });
  log.info(`web UI: ${urlOf(server)}/ · health: curl ${urlOf(server)}/healthz · API: ${urlOf(server)}/api/v1/openapi.json · token: syncer token create --name me --scope admin`);
  if (storage.users.list().length === 0) log.info("no web UI user yet: create the first with `syncer users create NAME --role admin` (it asks for the password)");

  await stopped;
}
