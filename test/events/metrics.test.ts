import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { eventWorld, metricsOf, until } from "./world.ts";

/**
 * What the daemon tells Prometheus and the event log about jobs and config reloads, through the
 * compiled binary: the last successful run of each job, refused reloads, job.* and config.* events.
 */

describe("job and reload metrics and events", () => {
  test("a job's success sets its last-success time and records job.finished; a refused reload is counted and recorded, an accepted one recorded", async () => {
    const job = `[jobs.sync]\nschedule = "0 3 * * *"\nsteps = ["csv import_hosts demo"]\n[jobs.broken]\nschedule = "0 4 * * *"\nsteps = ["csv import_hosts demo", "csv import_hosts demo"]\n`;
    const w = eventWorld(job);
    w.hosts(["a.example.com,berlin"]);
    const admin = w.json("token", "create", "--name", "ops", "--scope", "admin").token as string;
    const daemon = await w.start();
    try {
      const started = await fetch(`${daemon.url}/api/v1/jobs/sync/run`, { method: "POST", headers: { authorization: `Bearer ${admin}` } });
      expect(started.status).toBe(202);
      const finished = await until("job.finished", () => w.sql<{ data: string }>("SELECT data FROM events WHERE type = 'job.finished'")[0]);
      const data = JSON.parse(finished.data);
      expect(data).toMatchObject({ job: "sync", trigger: "api", status: "ok", steps: [expect.objectContaining({ step: "csv import_hosts demo", status: "ok" })] });
      const finishedAt = w.sql<{ finished_at: number }>("SELECT finished_at FROM job_runs WHERE job = 'sync'")[0]!.finished_at;
      expect(await metricsOf(daemon, admin)).toContain(`syncer_job_last_success_timestamp_seconds{job="sync"} ${finishedAt / 1000}`);
      expect(await metricsOf(daemon, admin)).not.toContain('syncer_job_last_success_timestamp_seconds{job="broken"}');

      // A config the daemon cannot take: refused, counted, recorded; the running config stays.
      writeFileSync(w.config, "[server\nthis is not TOML");
      await until("the refusal", () => daemon.log().includes("refused"));
      expect(await metricsOf(daemon, admin)).toContain("syncer_config_reload_failures_total 1");
      const failed = await until("config.reload_failed", () => w.sql<{ data: string }>("SELECT data FROM events WHERE type = 'config.reload_failed'")[0]);
      expect(JSON.parse(failed.data)).toMatchObject({ trigger: "file changed", error: expect.stringContaining("sync.config.toml") });

      w.rewrite(`${job}[retention]\nruns_days = 30\n`);
      const reloaded = await until("config.reloaded", () => w.sql<{ data: string }>("SELECT data FROM events WHERE type = 'config.reloaded'")[0]);
      expect(JSON.parse(reloaded.data)).toMatchObject({ trigger: "file changed", changed: ["retention"], restart_needed: [] });
    } finally {
      await daemon.stop();
    }
  });
});
