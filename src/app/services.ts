import type { Storage } from "../db/storage.ts";
import type { Metrics } from "./metrics.ts";
import type { Logger } from "../core/logger.ts";
import { moduleDigest, PluginRuntime } from "../plugins/runtime.ts";
import { ApiWrites } from "../runs/api-writes.ts";
import { Hooks } from "../runs/hooks.ts";
import { Runner, WriteQueue } from "../runs/runner.ts";
import type { RunReport, RunRequest } from "../runs/scope.ts";
import { JobScheduler, type AppliedJobs } from "../scheduler/scheduler.ts";
import type { Setup } from "../plugins/setup.ts";
import { DailyMaintenance } from "./maintenance.ts";
import { EventDelivery } from "../events/delivery.ts";
import { subscribersOf } from "../events/subscribers.ts";

/**
 * What the API's handlers work with. The setup and what hangs off it are read through getters on
 * every request: a config reload swaps them between requests, never within one.
 */
export interface ApiServices {
  setup(): Setup;
  database: Storage;
  runtime(): PluginRuntime;
  writes(): ApiWrites;
  jobs: JobScheduler;
  log: Logger;
}

/** What hangs off one config: replaced as a whole on reload, so a request or run sees one config throughout. */
interface Generation {
  setup: Setup;
  runtime: PluginRuntime;
  runner: Runner;
  writes: ApiWrites;
  /** Runs in flight on this generation: its runtime is not closed under them. */
  running: number;
}

/** How often a retired plugin runtime is checked for calls still in flight. */
const RETIRE_POLL_MS = 1000;

/**
 * Whether a new setup can keep the running plugin runtime: same sandbox limits, the same plugins, and
 * the same module in every plugin the runtime has loaded (a plugin rebuilt with an unchanged manifest
 * must be loaded again). Modules not loaded yet are read from the files when first called.
 */
function sameRuntime(running: Setup, runtime: PluginRuntime, next: Setup): boolean {
  const shape = (setup: Setup) =>
    JSON.stringify({
      sandbox: setup.config.sandbox,
      database: setup.config.paths.database,
      plugins: [...setup.registry.plugins.values()].map((plugin) => [plugin.ident, plugin.location, plugin.manifest]),
    });
  if (shape(running) !== shape(next)) return false;
  for (const [ident, digest] of runtime.loadedModules()) {
    const plugin = next.registry.plugins.get(ident);
    try {
      if (!plugin || moduleDigest(plugin.wasm()) !== digest) return false;
    } catch {
      return false; // an unreadable module: a new runtime reports it on the next call
    }
  }
  return true;
}

/**
 * The daemon's services for the API: the current setup, its plugin runtime, the runner, the API's
 * host writes, the job scheduler and the daily maintenance. `swap` installs a reloaded setup between
 * requests; a runtime that the new setup cannot share is retired and closed once its calls have finished.
 */
export class DaemonServices implements ApiServices {
  private current: Generation;
  private readonly writeQueue = new WriteQueue();
  private readonly retiring = new Set<PluginRuntime>();
  /** The [jobs]: their steps run through `run`, so each step sees the config current when it starts. */
  readonly jobs: JobScheduler;
  /** [retention], applied daily with the config current at each pass. */
  readonly maintenance: DailyMaintenance;
  /** The event log's subscriber plugins and webhooks, fed in the background. */
  readonly delivery: EventDelivery;

  constructor(
    setup: Setup,
    readonly database: Storage,
    readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.current = this.generation(setup, this.newRuntime(setup));
    this.jobs = new JobScheduler({ run: (request) => this.run(request), storage: database, log, onFinished: (run) => metrics.jobRun(run.job, run.status) });
    this.jobs.apply(setup.config.jobs);
    this.maintenance = new DailyMaintenance(database, () => this.current.setup.config.retention, log);
    this.delivery = new EventDelivery(database, () => this.current.setup.config.events, log, metrics);
    this.delivery.apply(subscribersOf(setup, this.current.runtime, log));
    metrics.watchDelivery(() => this.delivery.status());
  }

  setup(): Setup {
    return this.current.setup;
  }

  runtime(): PluginRuntime {
    return this.current.runtime;
  }

  writes(): ApiWrites {
    return this.current.writes;
  }

  /** Runs a plugin command (a job step) with the current config, and counts it for /metrics. */
  async run(request: RunRequest): Promise<RunReport> {
    const generation = this.current;
    generation.running++;
    try {
      const report = await generation.runner.run(request);
      this.metrics.run(report);
      this.delivery.wake();
      return report;
    } finally {
      generation.running--;
    }
  }

  /**
   * Installs a reloaded setup and reschedules its jobs; the plugin runtime is kept when the new setup can
   * share it. All or nothing: when the jobs cannot be applied, the running setup stays and this throws.
   */
  swap(setup: Setup): AppliedJobs {
    const old = this.current;
    const runtime = sameRuntime(old.setup, old.runtime, setup) ? old.runtime : this.newRuntime(setup);
    let jobs: AppliedJobs;
    try {
      jobs = this.jobs.apply(setup.config.jobs);
    } catch (error) {
      if (runtime !== old.runtime) runtime.close();
      throw error;
    }
    this.current = this.generation(setup, runtime);
    this.delivery.apply(subscribersOf(setup, runtime, this.log));
    if (runtime !== old.runtime) this.retire(old);
    return jobs;
  }

  close(): void {
    void this.maintenance.stop();
    void this.delivery.stop(0);
    this.current.runtime.close();
    for (const runtime of this.retiring) runtime.close();
    this.retiring.clear();
  }

  private newRuntime(setup: Setup): PluginRuntime {
    const runtime = new PluginRuntime(setup.config, setup.registry, this.log, this.database);
    runtime.onCall = (plugin, outcome) => this.metrics.pluginCall(plugin, outcome);
    return runtime;
  }

  private generation(setup: Setup, runtime: PluginRuntime): Generation {
    return {
      setup,
      runtime,
      runner: new Runner(setup, runtime, this.database, this.log, this.writeQueue),
      writes: new ApiWrites(setup, this.database.hosts, new Hooks(setup, runtime)),
      running: 0,
    };
  }

  /** Closes a replaced runtime once its runs have finished and no call is running or queued on it. */
  private retire(generation: Generation): void {
    const { runtime } = generation;
    this.retiring.add(runtime);
    const poll = setInterval(() => {
      const busy = generation.running > 0 || Object.values(runtime.stats()).some((pool) => pool.queued > 0 || pool.idle < pool.processes);
      if (busy) return;
      clearInterval(poll);
      runtime.close();
      this.retiring.delete(runtime);
    }, RETIRE_POLL_MS);
    poll.unref();
  }
}
