import type { OpenDatabase } from "../../db/open.ts";
import type { Logger } from "../../log/logger.ts";
import type { PluginRuntime } from "../../plugins/runtime.ts";
import type { ApiWrites } from "../../runs/api-writes.ts";
import type { Setup } from "../../setup.ts";
import type { AuthVariables } from "../auth.ts";
import type { JobScheduler } from "../../scheduler/scheduler.ts";

/** Hono's environment of the API: what the token check leaves for the handlers. */
export interface ApiEnv {
  Variables: AuthVariables;
}

/**
 * What the API's handlers work with. The setup and what hangs off it are read through getters on
 * every request: a config reload swaps them between requests, never within one.
 */
export interface ApiServices {
  setup(): Setup;
  database: OpenDatabase;
  runtime(): PluginRuntime;
  writes(): ApiWrites;
  jobs: JobScheduler;
  log: Logger;
}
