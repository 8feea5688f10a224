import { describe, expect, test } from "bun:test";
import { parseConfig } from "../../src/config/load.ts";
import { DaemonServices } from "../../src/daemon/services.ts";
import { Metrics } from "../../src/http/metrics.ts";
import { createLogger } from "../../src/log/logger.ts";
import { bindSetup } from "../../src/setup.ts";
import { freshDatabase } from "../helpers/database.ts";
import { tempDir } from "../helpers/binary.ts";

/** The daemon's services over a config with one job; `schedule` sets that job's schedule. */
function setupWith(path: string, schedule: string) {
  return bindSetup(parseConfig(`[jobs.nightly]\nschedule = "${schedule}"\nsteps = ["csv import_hosts demo"]\n[accounts.demo]\nplugin = "csv"\n[accounts.demo.custom_fields]\npath = "hosts.csv"\n`, path, {}), {});
}

describe("swapping in a reloaded config", () => {
  test("all or nothing: when its jobs cannot be applied, the running setup and jobs stay and swap throws", () => {
    const path = `${tempDir()}/sync.config.toml`;
    const database = freshDatabase();
    const log = createLogger({ level: "error", format: "text", write: () => {} });
    const first = setupWith(path, "0 3 * * *");
    const services = new DaemonServices(first, database, log, new Metrics(database.sqlite));
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
