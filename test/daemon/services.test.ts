import { describe, expect, test } from "bun:test";
import { parseConfig } from "../../src/config/load.ts";
import { DaemonServices } from "../../src/app/services.ts";
import { Metrics } from "../../src/app/metrics.ts";
import { createLogger } from "../../src/core/logger.ts";
import { bindSetup } from "../../src/plugins/setup.ts";
import { freshDatabase } from "../helpers/database.ts";
import { tempDir } from "../helpers/binary.ts";

/** The daemon's services over a config with one job; `schedule` sets that job's schedule, `extra` is appended TOML. */
function setupWith(path: string, schedule: string, extra = "") {
  return bindSetup(parseConfig(`[jobs.nightly]\nschedule = "${schedule}"\nsteps = ["csv import_hosts demo"]\n[accounts.demo]\nplugin = "csv"\n[accounts.demo.custom_fields]\npath = "hosts.csv"\n${extra}`, path, {}), {});
}

describe("swapping in a reloaded config", () => {
  test("all or nothing: when its jobs cannot be applied, the running setup and jobs stay and swap throws", () => {
    const path = `${tempDir()}/sync.config.toml`;
    const database = freshDatabase();
    const log = createLogger({ level: "error", format: "text", write: () => {} });
    const first = setupWith(path, "0 3 * * *");
    const services = new DaemonServices(first, database, log, new Metrics(database.stats));
    try {
      const runtime = services.runtime();
      // A stopped scheduler takes no jobs: the daemon is shutting down.
      services.jobs.stop();
      expect(() => services.swap(setupWith(path, "0 5 * * *"))).toThrow("the job scheduler has been stopped");
      expect(services.setup()).toBe(first);
      expect(services.runtime()).toBe(runtime);
      expect(services.jobs.list()[0]!.schedule).toBe("0 3 * * *");
    } finally {
      services.close();
      database.close();
    }
  });
});

describe("the daily maintenance", () => {
  const DAY = 24 * 60 * 60 * 1000;

  test("is due every day at 03:17 local time and applies the [retention] of the config current at each pass", async () => {
    const path = `${tempDir()}/sync.config.toml`;
    const database = freshDatabase();
    const lines: string[] = [];
    const log = createLogger({ level: "info", format: "text", write: (line) => lines.push(line) });
    const services = new DaemonServices(setupWith(path, "0 3 * * *", "[retention]\nruns_days = 0\n"), database, log, new Metrics(database.stats));
    try {
      const next = services.maintenance.nextRun()!;
      expect([next.getHours(), next.getMinutes(), next.getSeconds()]).toEqual([3, 17, 0]);
      expect(next.getTime() - Date.now()).toBeLessThanOrEqual(DAY);

      const now = Date.UTC(2030, 0, 31);
      database.sqlite.query("INSERT INTO runs (plugin, command, trigger, status, started_at) VALUES ('csv', 'import_hosts', 'cli', 'ok', ?)").run(now - 20 * DAY);
      // runs_days = 0: kept for ever.
      expect((await services.maintenance.run(now))!.removed.runs).toBe(0);
      expect(lines.join("\n")).not.toContain("maintenance");

      services.swap(setupWith(path, "0 3 * * *", "[retention]\nruns_days = 10\n"));
      expect((await services.maintenance.run(now))!.removed.runs).toBe(1);
      expect(lines.join("\n")).toMatch(/INFO  maintenance: old records removed \(\[retention\]\) runs=1 job_runs=0 events=0 host_changes=0 deleted_hosts=0/);

      await services.maintenance.stop();
      expect(services.maintenance.nextRun()).toBeNull();
      expect(await services.maintenance.run(now)).toBeUndefined();
    } finally {
      services.close();
      database.close();
    }
  });
});
