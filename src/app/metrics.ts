import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { StatsRepository } from "../db/stats.ts";
import type { DeliveryObserver, DeliveryStatus } from "../events/delivery.ts";
import type { RunReport } from "../runs/scope.ts";

/**
 * The daemon's Prometheus metrics (prom-client, own registry): runs, plugin calls, HTTP requests, and
 * hosts per account read from the database at scrape time.
 */
export class Metrics implements DeliveryObserver {
  readonly registry = new Registry();
  private readonly runs = new Counter({ name: "syncer_runs_total", help: "Sync runs by plugin, command and status.", labelNames: ["plugin", "command", "status"], registers: [this.registry] });
  private readonly runSeconds = new Histogram({
    name: "syncer_run_duration_seconds",
    help: "Duration of sync runs.",
    labelNames: ["plugin", "command"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
    registers: [this.registry],
  });
  private readonly jobRuns = new Counter({ name: "syncer_job_runs_total", help: "Job runs by job and status.", labelNames: ["job", "status"], registers: [this.registry] });
  private readonly pluginCalls = new Counter({ name: "syncer_plugin_calls_total", help: "Plugin calls by plugin and outcome (ok or the error kind).", labelNames: ["plugin", "outcome"], registers: [this.registry] });
  private readonly timeouts = new Counter({ name: "syncer_plugin_timeouts_total", help: "Plugin calls killed for overrunning their time limit.", labelNames: ["plugin"], registers: [this.registry] });
  private readonly crashes = new Counter({ name: "syncer_plugin_crashes_total", help: "Sandbox processes that died during a call.", labelNames: ["plugin"], registers: [this.registry] });
  private readonly reloadFailures = new Counter({ name: "syncer_config_reload_failures_total", help: "Config reloads refused (the running config stayed).", registers: [this.registry] });
  private readonly eventsDelivered = new Counter({ name: "syncer_events_delivered_total", help: "Events delivered, by subscriber (plugin:<ident> or webhook:<name>).", labelNames: ["subscriber"], registers: [this.registry] });
  private readonly deliveryFailures = new Counter({
    name: "syncer_event_delivery_failures_total",
    help: "Failed event deliveries (each retried), by subscriber and error kind.",
    labelNames: ["subscriber", "kind"],
    registers: [this.registry],
  });
  private deliveryStatus: () => DeliveryStatus[] = () => [];
  private readonly requests = new Counter({ name: "syncer_http_requests_total", help: "HTTP requests by method, route and status.", labelNames: ["method", "route", "status"], registers: [this.registry] });

  constructor(stats: StatsRepository) {
    new Gauge({
      name: "syncer_hosts",
      help: "Live (not deleted) hosts by owning account.",
      labelNames: ["account"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const row of stats.liveHostsByAccount()) this.set({ account: row.account ?? "" }, row.hosts);
      },
    });
    new Gauge({
      name: "syncer_job_last_success_timestamp_seconds",
      help: "When each job's newest successful run finished (Unix time); alert on time() minus it.",
      labelNames: ["job"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const row of stats.lastSuccessfulJobRuns()) this.set({ job: row.job }, row.finishedAt / 1000);
      },
    });
    const status = () => this.deliveryStatus();
    new Gauge({
      name: "syncer_event_delivery_lag_seconds",
      help: "Age of the oldest event a subscriber has not had yet; 0 when it has them all.",
      labelNames: ["subscriber"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const row of status()) this.set({ subscriber: row.name }, row.lagSeconds);
      },
    });
    new Gauge({
      name: "syncer_event_subscriber_dead_letter",
      help: "1 while a subscriber is dead-lettered (stopped after [events] max_attempts failures until resumed).",
      labelNames: ["subscriber"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const row of status()) this.set({ subscriber: row.name }, row.deadLetter ? 1 : 0);
      },
    });
  }

  /** Where the delivery lag and dead letters are read at scrape time. */
  watchDelivery(status: () => DeliveryStatus[]): void {
    this.deliveryStatus = status;
  }

  delivered(subscriber: string, events: number): void {
    this.eventsDelivered.inc({ subscriber }, events);
  }

  failed(subscriber: string, kind: string): void {
    this.deliveryFailures.inc({ subscriber, kind });
  }

  run(report: RunReport): void {
    if (report.dryRun) return;
    this.runs.inc({ plugin: report.plugin, command: report.command, status: report.status });
    this.runSeconds.observe({ plugin: report.plugin, command: report.command }, report.durationMs / 1000);
  }

  jobRun(job: string, status: string): void {
    this.jobRuns.inc({ job, status });
  }

  /** Timeouts and crashes are counted on their own as well: they are what an operator alerts on. */
  pluginCall(plugin: string, outcome: string): void {
    this.pluginCalls.inc({ plugin, outcome });
    if (outcome === "timeout") this.timeouts.inc({ plugin });
    if (outcome === "crash") this.crashes.inc({ plugin });
  }

  configReloadFailed(): void {
    this.reloadFailures.inc();
  }

  request(method: string, route: string, status: number): void {
    this.requests.inc({ method, route, status: String(status) });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
