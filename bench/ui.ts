/**
 * Server time of the web UI's pages over a large inventory (default 1M hosts): the hosts page (first page,
 * label filters, searches) and the overview, rendered by the daemon's own application in this process
 * (app.request: routing, session lookup, queries, JSX) for a logged-in admin; no socket, no browser.
 * Goals: ≤ 50 ms for each hosts page, ≤ 100 ms for the overview.
 * Baseline, measured in the same run: the first page's query alone, a prepared bun:sqlite statement
 * reading 50 hosts in hostname order (the least any hosts page can cost).
 * Run: `bun bench/ui.ts [hosts] [runs]` (from source; no build needed). The database is made once in a
 * temporary directory (about a minute for 1M hosts) and removed at the end.
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Metrics } from "../src/app/metrics.ts";
import { DaemonServices } from "../src/app/services.ts";
import { SessionStore } from "../src/auth/sessions.ts";
import { TokenStore } from "../src/auth/tokens.ts";
import { UserStore } from "../src/auth/users.ts";
import { createLogger } from "../src/core/logger.ts";
import { openSqliteStorage } from "../src/db/sqlite/storage.ts";
import { createApp } from "../src/http/app.ts";
import { authenticate, requireScope } from "../src/http/auth.ts";
import { FailedAuthLimiter } from "../src/http/failed-auth-limiter.ts";
import { loadSetup } from "../src/plugins/setup.ts";
import { indexSeededHosts, median, report, seedInventoryHosts } from "./lib.ts";

const HOSTS = Number(process.argv[2] ?? 1_000_000);
const RUNS = Number(process.argv[3] ?? 15);
const work = mkdtempSync(join(tmpdir(), "syncer-bench-ui-"));
const configPath = join(work, "sync.config.toml");
writeFileSync(configPath, `[server]\ndata_dir = "data"\n[accounts.cmdb]\nplugin = "csv"\n[accounts.cmdb.custom_fields]\npath = "none.csv"\nhostname_column = "host"\n`);

try {
  const setup = loadSetup(configPath);
  const storage = openSqliteStorage(setup.config.paths.database);
  storage.migrations.apply();
  let started = performance.now();
  seedInventoryHosts(setup.config.paths.database, HOSTS);
  indexSeededHosts(setup.config.paths.database);
  console.log(`${HOSTS.toLocaleString("en")} hosts seeded and indexed in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const log = createLogger({ level: "error", format: "text", write: () => {} });
  const metrics = new Metrics(storage.stats);
  const services = new DaemonServices(setup, storage, log, metrics);
  services.jobs.stop();
  const users = new UserStore(storage);
  const sessions = new SessionStore(storage, () => ({ idleMs: 3_600_000, maxMs: 86_400_000 }));
  const app = createApp({
    log,
    health: () => ({ database: true }),
    api: { services, auth: { authenticate: authenticate(new TokenStore(storage), new FailedAuthLimiter()), requireScope }, metrics, maxBodyBytes: 1 << 20 },
    ui: { users, sessions, limiter: new FailedAuthLimiter() },
  });
  const user = await users.create({ name: "bench", role: "admin", password: "a long bench password" });
  const { token } = sessions.start(user);
  const headers = { cookie: `syncer_session=${token}`, accept: "text/html" };

  const time = async (path: string, expectText: string) => {
    const once = async () => {
      const begun = performance.now();
      const response = await app.request(`http://bench.local${path}`, { headers });
      const text = await response.text();
      const ms = performance.now() - begun;
      if (response.status !== 200 || !text.includes(expectText)) throw new Error(`${path}: status ${response.status}, ${expectText} not in the page`);
      return ms;
    };
    await once();
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) times.push(await once());
    return median(times);
  };

  // The baseline: the first page's query alone.
  const raw = new Database(setup.config.paths.database, { readonly: true });
  raw.run("PRAGMA mmap_size = 268435456");
  const firstPage = raw.prepare("SELECT id, hostname, account, labels, inventory, lifecycle, first_seen, last_changed FROM hosts INDEXED BY hosts_hostname_unique WHERE deleted_at IS NULL ORDER BY hostname LIMIT 50");
  const baselineTimes: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    started = performance.now();
    firstPage.all();
    if (run > 0) baselineTimes.push(performance.now() - started);
  }
  const baseline = median(baselineTimes);
  raw.close();

  const cases: [string, string, string, number][] = [
    ["hosts page: first page", "/hosts", "host000049.example.com", 50],
    ["hosts page: label site=site3 (5% of hosts)", "/hosts?label=site%3Dsite3", "host000003.example.com", 50],
    ["hosts page: label rack=r7 (0.25%)", "/hosts?label=rack%3Dr7", "host000007.example.com", 50],
    ["hosts page: label and account", "/hosts?label=role%3Ddb&account=cmdb", "host000001.example.com", 50],
    ["hosts page: search host0420", "/hosts?search=host0420", "host042000.example.com", 50],
    ["hosts page: search 77.example (1%)", "/hosts?search=77.example", "host000077.example.com", 50],
    ["hosts page: search matching nothing", "/hosts?search=no-such-host", "Search further", 50],
    ["hosts page: next page", "/hosts?after=host500000.example.com", "host500001.example.com", 50],
    ["overview", "/", "live hosts", 100],
  ];
  let failed = 0;
  console.log(`server time, median of ${RUNS} (baseline: the first page's query alone)`);
  for (const [name, path, expectText, goal] of cases) {
    const ms = await time(path, expectText);
    report(`${name} (goal ≤ ${goal} ms)`, ms, baseline, "ms");
    if (ms > goal) {
      failed++;
      console.log(`  over the goal of ${goal} ms`);
    }
  }
  services.close();
  storage.close();
  if (failed) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
