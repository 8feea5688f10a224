import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, cleanEnv, runSyncer, startDaemon, tempDir, writeConfig, type RunningDaemon } from "../helpers/binary.ts";
import { buildPlugins } from "../../build.ts";
import { buildFixturePlugins, FIXTURE_PLUGINS, DEMO_CSV } from "../helpers/plugins.ts";
import { until } from "../helpers/until.ts";

/**
 * The daemon as a service, through the compiled binary: jobs over the API and webhooks, config hot
 * reload (file change and SIGHUP), and what SIGTERM and kill -9 leave behind.
 */

buildFixturePlugins();

function configText(extra = "", listen = "127.0.0.1:0"): string {
  return `[server]
listen = "${listen}"
[plugins]
directories = [${JSON.stringify(FIXTURE_PLUGINS)}]
[sandbox]
timeout_seconds = 60
[scheduler]
shutdown_grace_seconds = 1
[accounts.demo]
plugin = "csv"
[accounts.demo.custom_fields]
path = ${JSON.stringify(DEMO_CSV)}
hostname_column = "host"
[jobs.sync]
schedule = "0 3 * * *"
timezone = "Europe/Berlin"
steps = ["csv import_hosts demo"]
webhook_secret = "\${env:HOOK_SECRET}"
[jobs.spin]
schedule = "0 4 * * *"
steps = ["testkit spin"]
${extra}`;
}

async function setUp(extra = "") {
  const dir = tempDir();
  const config = writeConfig(dir, configText(extra));
  const env = { HOOK_SECRET: "hook-secret-123" };
  expect(runSyncer(["migrate", "--config", config], { env }).code).toBe(0);
  const created = runSyncer(["token", "create", "--name", "ops", "--scope", "admin", "--json", "--config", config], { env });
  const token = JSON.parse(created.stdout).token as string;
  const daemon = await startDaemon(["--config", config], { env });
  const api = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${daemon.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
    return { status: response.status, body: (await response.json()) as any };
  };
  return { dir, config, env, daemon, api };
}


/** The processes the daemon started (its sandboxes). */
function childrenOf(pid: number): number[] {
  const out = Bun.spawnSync(["pgrep", "-P", String(pid)]).stdout.toString().trim();
  return out ? out.split("\n").map(Number) : [];
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function rows(dir: string, sql: string): any[] {
  const db = new Database(join(dir, "data", "syncer.db"), { readonly: true });
  try {
    return db.query(sql).all();
  } finally {
    db.close();
  }
}

describe("jobs over the API", () => {
  test("list shows the next run in the job's time zone; run answers 202 and the history gets the job run with its step's run", async () => {
    const { daemon, api } = await setUp();
    try {
      const { body } = await api("/api/v1/jobs");
      const sync = body.jobs.find((job: { name: string }) => job.name === "sync");
      expect(sync).toMatchObject({ schedule: "0 3 * * *", timezone: "Europe/Berlin", steps: ["csv import_hosts demo"], webhook: true, running: false });
      expect(new Date(sync.next_run).getTime()).toBeGreaterThan(Date.now());
      expect(JSON.stringify(body)).not.toContain("hook-secret-123");

      const started = await api("/api/v1/jobs/sync/run", { method: "POST" });
      expect(started.status).toBe(202);
      const history = await until("the job run to finish", async () => {
        const runs = (await api("/api/v1/jobs/sync/runs")).body.runs;
        return runs[0]?.status === "ok" ? runs : undefined;
      });
      expect(history[0]).toMatchObject({ id: started.body.job_run_id, job: "sync", trigger: "api", status: "ok" });
      const runId = history[0].steps[0].run_id;
      expect((await api(`/api/v1/runs/${runId}`)).body).toMatchObject({ plugin: "csv", command: "import_hosts", trigger: "job:sync", status: "ok" });
      expect((await api("/api/v1/jobs/nope/run", { method: "POST" })).status).toBe(404);
    } finally {
      await daemon.stop();
    }
  }, 30_000);

  test("a job never overlaps itself: a second trigger while it runs is 409", async () => {
    const { daemon, api } = await setUp();
    try {
      expect((await api("/api/v1/jobs/spin/run", { method: "POST" })).status).toBe(202);
      const second = await api("/api/v1/jobs/spin/run", { method: "POST" });
      expect(second.status).toBe(409);
      expect(second.body.error.kind).toBe("conflict");
    } finally {
      await daemon.stop();
    }
  }, 30_000);

  test("the webhook needs the job's own secret, not a token; a wrong one is 401 and starts nothing", async () => {
    const { daemon, api } = await setUp();
    try {
      const hook = (secret: string) => fetch(`${daemon.url}/api/v1/jobs/sync/webhook`, { method: "POST", headers: { "x-syncer-webhook-secret": secret } });
      expect((await hook("wrong")).status).toBe(401);
      expect((await fetch(`${daemon.url}/api/v1/jobs/spin/webhook`, { method: "POST", headers: { "x-syncer-webhook-secret": "" } })).status).toBe(401);
      expect((await api("/api/v1/jobs/sync/runs")).body.runs).toEqual([]);
      const accepted = await hook("hook-secret-123");
      expect(accepted.status).toBe(202);
      const runs = await until("the webhook's job run", async () => (await api("/api/v1/jobs/sync/runs")).body.runs.find((run: { status: string }) => run.status !== "running"));
      expect(runs).toMatchObject({ trigger: "webhook", status: "ok" });
    } finally {
      await daemon.stop();
    }
  }, 30_000);
});

describe("config hot reload", () => {
  test("an edited file is applied: a new job is scheduled and listed", async () => {
    const { config, daemon, api } = await setUp();
    try {
      writeFileSync(config, configText(`[jobs.hourly]\nschedule = "0 * * * *"\nsteps = ["csv import_hosts demo"]\n`));
      await until("the reload", () => daemon.log().includes("config reloaded (file changed)"));
      const names = (await api("/api/v1/jobs")).body.jobs.map((job: { name: string }) => job.name);
      expect(names).toContain("hourly");
      expect(daemon.log()).toMatch(/jobs_added=hourly/);
    } finally {
      await daemon.stop();
    }
  }, 30_000);

  test("an invalid file is refused with file:line and the running config stays", async () => {
    const { config, daemon, api } = await setUp();
    try {
      writeFileSync(config, configText(`[jobs.broken]\nschedule = "not cron"\nsteps = ["csv import_hosts demo"]\n`));
      await until("the refusal", () => daemon.log().includes("refused, the running config stays"));
      expect(daemon.log()).toContain(`${config}:`);
      const jobs = (await api("/api/v1/jobs")).body.jobs.map((job: { name: string }) => job.name);
      expect(jobs.sort()).toEqual(["spin", "sync"]);
    } finally {
      await daemon.stop();
    }
  }, 30_000);

  test("SIGHUP reloads; a new listen address is not applied and the log says it needs a restart", async () => {
    const { config, daemon, api } = await setUp();
    try {
      writeFileSync(config, configText("", "127.0.0.1:1"));
      await until("a reload", () => daemon.log().includes("config reloaded"));
      daemon.process.kill("SIGHUP");
      await until("the SIGHUP reload", () => daemon.log().includes("config reloaded (SIGHUP)"));
      expect(daemon.log()).toContain("need a restart were not applied: server.listen");
      expect((await api("/api/v1/jobs")).status).toBe(200);
    } finally {
      await daemon.stop();
    }
  }, 30_000);
});

describe("a refused reload", () => {
  test("a SIGHUP while the daemon stops is refused as such: nothing is applied or logged as reloaded", async () => {
    // Jobs that outlast the test, and a grace time that does too: the daemon is stopping, by construction, until it is killed.
    const dir = tempDir();
    const config = writeConfig(dir, configText().replace("timeout_seconds = 60", "timeout_seconds = 600").replace("shutdown_grace_seconds = 1", "shutdown_grace_seconds = 600"));
    const env = { HOOK_SECRET: "hook-secret-123" };
    expect(runSyncer(["migrate", "--config", config], { env }).code).toBe(0);
    const token = JSON.parse(runSyncer(["token", "create", "--name", "ops", "--scope", "admin", "--json", "--config", config], { env }).stdout).token as string;
    const daemon = await startDaemon(["--config", config], { env });
    try {
      expect((await fetch(`${daemon.url}/api/v1/jobs/spin/run`, { method: "POST", headers: { authorization: `Bearer ${token}` } })).status).toBe(202);
      await until("the step's run to start", () => rows(dir, "SELECT id FROM runs WHERE status = 'running'").length > 0 || undefined);
      daemon.process.kill("SIGTERM");
      await until("the stop to begin", () => daemon.log().includes("SIGTERM received"));
      daemon.process.kill("SIGHUP");
      await until("the refusal", () => daemon.log().includes("config reload (SIGHUP) refused, the running config stays: syncer is shutting down"));
      expect(daemon.log()).not.toContain("config reloaded");
      expect(daemon.log()).not.toContain("job scheduler has been stopped");
    } finally {
      await daemon.stop("SIGKILL");
    }
  }, 60_000);
});

describe("a rebuilt plugin module", () => {
  // One manifest, two builds: test/fixtures/rebuilt/v1 and v2 differ only in what their module answers.
  const REBUILT = join(import.meta.dir, "..", "fixtures", "rebuilt");
  buildPlugins(REBUILT);

  test("is loaded on SIGHUP though its manifest did not change; an unchanged module keeps its sandboxes", async () => {
    const dir = tempDir();
    const plugin = join(dir, "plugins", "rebuilt");
    mkdirSync(join(plugin, "build"), { recursive: true });
    copyFileSync(join(REBUILT, "v1", "plugin.json"), join(plugin, "plugin.json"));
    copyFileSync(join(REBUILT, "v1", "build", "plugin.wasm"), join(plugin, "build", "plugin.wasm"));
    const config = writeConfig(dir, `[server]\nlisten = "127.0.0.1:0"\n[plugins]\ndirectories = ["plugins"]\n`);
    expect(runSyncer(["migrate", "--config", config]).code).toBe(0);
    const token = JSON.parse(runSyncer(["token", "create", "--name", "ops", "--scope", "hosts:read", "--json", "--config", config]).stdout).token as string;
    const daemon = await startDaemon(["--config", config]);
    const build = async () => (await fetch(`${daemon.url}/api/v1/plugins/rebuilt/build`, { headers: { authorization: `Bearer ${token}` } })).text();
    let reloads = 0;
    const reload = async () => {
      daemon.process.kill("SIGHUP");
      reloads++;
      await until(`reload ${reloads}`, () => daemon.log().split("config reloaded (SIGHUP)").length > reloads);
    };
    try {
      expect(await build()).toBe("v1");
      const sandboxes = childrenOf(daemon.process.pid).sort();
      await reload();
      expect(await build()).toBe("v1");
      expect(childrenOf(daemon.process.pid).sort()).toEqual(sandboxes);

      copyFileSync(join(REBUILT, "v2", "build", "plugin.wasm"), join(plugin, "build", "plugin.wasm"));
      // Until a reload the running module stays.
      expect(await build()).toBe("v1");
      await reload();
      expect(await build()).toBe("v2");
    } finally {
      await daemon.stop();
    }
  }, 60_000);
});

describe("stopping", () => {
  test("SIGTERM lets running jobs finish up to the grace limit, then marks what still runs interrupted and ends its sandboxes", async () => {
    const { dir, daemon, api } = await setUp();
    expect((await api("/api/v1/jobs/spin/run", { method: "POST" })).status).toBe(202);
    await until("the step's run to start", () => rows(dir, "SELECT id FROM runs WHERE status = 'running'").length > 0 || undefined);
    const sandboxes = childrenOf(daemon.process.pid);
    expect(sandboxes.length).toBeGreaterThan(0);
    expect(await daemon.stop("SIGTERM")).toBe(0);
    // The sandbox busy in the plugin's endless loop went with the daemon.
    await until("the sandboxes to end", () => sandboxes.every((pid) => !alive(pid)));
    expect(daemon.log()).toContain("jobs still running after 1 s were interrupted: spin");
    expect(rows(dir, "SELECT status, error_kind FROM job_runs")).toEqual([{ status: "interrupted", error_kind: "interrupted" }]);
    expect(rows(dir, "SELECT status, error_kind FROM runs WHERE plugin = 'testkit'")).toEqual([{ status: "interrupted", error_kind: "interrupted" }]);
  }, 30_000);

  test("after kill -9 the sandboxes die with the daemon, and the next start marks the runs left running as interrupted", async () => {
    const { dir, config, env, daemon, api } = await setUp();
    expect((await api("/api/v1/jobs/spin/run", { method: "POST" })).status).toBe(202);
    await until("the step's run to start", () => rows(dir, "SELECT id FROM runs WHERE status = 'running'").length > 0 || undefined);
    const sandboxes = childrenOf(daemon.process.pid);
    expect(sandboxes.length).toBeGreaterThan(0);
    await daemon.stop("SIGKILL");
    // Killed with the daemon by the kernel (PR_SET_PDEATHSIG), not left spinning as orphans.
    await until("the orphaned sandboxes to end", () => sandboxes.every((pid) => !alive(pid)));
    expect(rows(dir, "SELECT status FROM job_runs")).toEqual([{ status: "running" }]);
    const next = await startDaemon(["--config", config], { env });
    try {
      expect(next.log()).toContain("runs left running by processes that are gone were marked interrupted");
      expect(rows(dir, "SELECT status FROM job_runs")).toEqual([{ status: "interrupted" }]);
      expect(rows(dir, "SELECT status FROM runs WHERE plugin = 'testkit'")).toEqual([{ status: "interrupted" }]);
    } finally {
      await next.stop();
    }
  }, 30_000);
});

describe("runs of other processes", () => {
  test("a daemon start leaves a CLI import that is still running alone, and closes the runs of processes that are gone", async () => {
    // The import's upstream answers only when the test says so: the run is in progress until then, by construction.
    let arrived!: () => void;
    const requested = new Promise<void>((resolve) => (arrived = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const upstream = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async () => {
        arrived();
        await released;
        return Response.json([{ hostname: "held01.example.com" }]);
      },
    });
    const dir = tempDir();
    const config = writeConfig(
      dir,
      `[server]\nlisten = "127.0.0.1:0"\n[accounts.cmdb]\nplugin = "rest"\naddress = "http://127.0.0.1:${upstream.port}"\ntimeout_seconds = 600\n[accounts.cmdb.custom_fields]\nendpoint = "/hosts"\n`,
    );
    expect(runSyncer(["migrate", "--config", config]).code).toBe(0);
    // A run whose process is gone (no pid is above pid_max), and one from before runs had owners.
    const gonePid = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8")) + 1;
    const db = new Database(join(dir, "data", "syncer.db"));
    db.run("INSERT INTO runs (plugin, command, trigger, status, started_at, owner_pid, owner_started) VALUES ('csv', 'import_hosts', 'cli', 'running', 1000, ?, 'x/1')", [gonePid]);
    db.run("INSERT INTO runs (plugin, command, trigger, status, started_at) VALUES ('csv', 'import_hosts', 'cli', 'running', 2000)");
    db.close();

    const cli = Bun.spawn([BINARY, "rest", "import_hosts", "cmdb", "--json", "--config", config], { env: cleanEnv(), stdout: "pipe", stderr: "pipe" });
    let daemon: RunningDaemon | undefined;
    try {
      await requested;
      expect(rows(dir, "SELECT owner_pid FROM runs WHERE plugin = 'rest' AND status = 'running'")).toEqual([{ owner_pid: cli.pid }]);
      daemon = await startDaemon(["--config", config]);
      expect(daemon.log()).toMatch(/runs left running by processes that are gone were marked interrupted runs=2 job_runs=0/);
      expect(rows(dir, "SELECT plugin, status, error_kind FROM runs ORDER BY id")).toEqual([
        { plugin: "csv", status: "interrupted", error_kind: "interrupted" },
        { plugin: "csv", status: "interrupted", error_kind: "interrupted" },
        { plugin: "rest", status: "running", error_kind: null },
      ]);

      release();
      const [out, code] = await Promise.all([new Response(cli.stdout).text(), cli.exited]);
      expect(code).toBe(0);
      expect(JSON.parse(out)).toMatchObject({ ok: true, created: 1 });
      expect(rows(dir, "SELECT status FROM runs WHERE plugin = 'rest'")).toEqual([{ status: "ok" }]);
      expect(rows(dir, "SELECT hostname FROM hosts")).toEqual([{ hostname: "held01.example.com" }]);
    } finally {
      release();
      cli.kill("SIGKILL");
      await daemon?.stop();
      upstream.stop(true);
    }
  }, 60_000);
});
