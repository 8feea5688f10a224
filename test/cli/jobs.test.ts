import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { thisProcess } from "../../src/runs/owner.ts";
import { DEMO_CSV } from "../helpers/plugins.ts";
import { runSyncer, tempDir, writeConfig } from "../helpers/binary.ts";

/**
 * `syncer jobs` through the compiled binary, with the built-in csv plugin importing its demo file (as
 * sync.config.toml in the repository does): real runs, recorded in the run log and the job-run log.
 */

type Json = Record<string, any>;


const ACCOUNTS = `[accounts.demo]
plugin = "csv"
[accounts.demo.custom_fields]
path = ${JSON.stringify(DEMO_CSV)}
hostname_column = "host"
label_columns = ["site", "role"]

[accounts.broken]
plugin = "csv"
[accounts.broken.custom_fields]
path = "missing.csv"
`;

const JOBS = `[jobs.nightly]
schedule = "0 3 * * *"
timezone = "UTC"
steps = ["csv import_hosts demo"]

[jobs.fragile]
schedule = "*/15 * * * *"
steps = ["csv import_hosts broken", "csv import_hosts demo"]

[jobs.paused]
schedule = "0 4 * * *"
steps = ["csv import_hosts demo"]
enabled = false
`;

function world(jobs = JOBS) {
  const dir = tempDir("syncer-jobs-");
  const config = writeConfig(dir, `[server]\ndata_dir = "data"\n${ACCOUNTS}\n${jobs}`);
  const cli = (...args: string[]) => runSyncer([...args, "--config", config]);
  return {
    dir,
    config,
    cli,
    json(...args: string[]): { code: number; json: Json; stderr: string } {
      const result = cli(...args, "--json");
      try {
        return { code: result.code, json: JSON.parse(result.stdout), stderr: result.stderr };
      } catch {
        throw new Error(`not JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
      }
    },
    sql(statement: string, ...params: (string | number)[]): Json[] {
      const db = new Database(join(dir, "data", "syncer.db"));
      try {
        return db.query(statement).all(...params) as Json[];
      } finally {
        db.close();
      }
    },
  };
}

describe("syncer jobs run", () => {
  test("runs a job's step as a real import; the job run records the step's run id, and the run is triggered by job:<name>", () => {
    const w = world();
    const { code, json } = w.json("jobs", "run", "nightly");
    expect(code).toBe(0);
    expect(json).toMatchObject({ ok: true, job: "nightly", trigger: "cli", status: "ok", error: null });
    expect(json.steps).toEqual([{ step: "csv import_hosts demo", run_id: expect.any(Number), status: "ok", error: null }]);
    const run = w.json("runs", "show", String(json.steps[0].run_id)).json;
    expect(run).toMatchObject({ plugin: "csv", command: "import_hosts", account: "demo", trigger: "job:nightly", status: "ok", created: 324 });
    expect(w.sql("SELECT count(*) AS n FROM hosts")).toEqual([{ n: 324 }]);
    expect(w.sql("SELECT job, trigger, status FROM job_runs")).toEqual([{ job: "nightly", trigger: "cli", status: "ok" }]);
  });

  test("prints each step's outcome; a failed step stops the job, which exits 1 naming the step", () => {
    const w = world();
    const text = w.cli("jobs", "run", "fragile");
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^✗ step 1 {2}csv import_hosts broken {2}run #1 {2}\w+: .*missing\.csv/m);
    expect(text.stdout).toContain("- step 2  csv import_hosts demo  skipped");
    expect(text.stderr).toMatch(/^error: job fragile failed \(job run #1\): step 1 \(csv import_hosts broken\): .*missing\.csv/);
    const { code, json } = w.json("jobs", "run", "fragile");
    expect(code).toBe(1);
    expect(json).toMatchObject({ ok: false, id: 2, status: "failed", error: { message: expect.stringMatching(/^step 1 \(csv import_hosts broken\): /) } });
    expect(json.steps.map((step: Json) => [step.status, step.run_id])).toEqual([["failed", 2], ["skipped", null]]);
    expect(w.sql("SELECT count(*) AS n FROM hosts")).toEqual([{ n: 0 }]);
  });

  test("an ok job prints its steps and a summary line", () => {
    const w = world();
    const text = w.cli("jobs", "run", "nightly");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^✓ step 1 {2}csv import_hosts demo {2}run #1\n✓ job nightly: 1 step ok \(job run #1, \d+\.\d\d s\)\n$/);
  });

  test("an unknown job is not_found with a did-you-mean; a disabled job is refused", () => {
    const w = world();
    const unknown = w.cli("jobs", "run", "nightlly");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("error: no job 'nightlly'; did you mean 'nightly'? (jobs: nightly, fragile, paused)\n");
    const disabled = w.json("jobs", "run", "paused");
    expect(disabled).toMatchObject({ code: 1, json: { ok: false, error: { kind: "disabled", message: "job paused is disabled (enabled = false)" } } });
  });

  test("a job running in another process (a running job-run row) is a conflict, and nothing runs", () => {
    const w = world();
    w.cli("migrate");
    // Owned by this test process, which runs.
    const owner = thisProcess();
    w.sql("INSERT INTO job_runs (job, trigger, status, started_at, owner_pid, owner_started) VALUES ('nightly', 'schedule', 'running', ?, ?, ?)", Date.now(), owner.pid, owner.started ?? "");
    const { code, json } = w.json("jobs", "run", "nightly");
    expect(code).toBe(1);
    expect(json.error).toMatchObject({ kind: "conflict", message: expect.stringMatching(/^job nightly is already running \(job run #1, started .* by schedule\)$/) });
    expect(w.sql("SELECT count(*) AS n FROM runs")).toEqual([{ n: 0 }]);
  });

  test("a running job-run row whose process is gone holds nothing: it is marked interrupted and the job runs", () => {
    const w = world();
    w.cli("migrate");
    const gonePid = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8")) + 1;
    w.sql("INSERT INTO job_runs (job, trigger, status, started_at, owner_pid, owner_started) VALUES ('nightly', 'schedule', 'running', ?, ?, 'x/1')", Date.now(), gonePid);
    const { code, json } = w.json("jobs", "run", "nightly");
    expect(code).toBe(0);
    expect(json).toMatchObject({ id: 2, status: "ok" });
    expect(w.sql("SELECT id, status, error_kind FROM job_runs ORDER BY id")).toEqual([
      { id: 1, status: "interrupted", error_kind: "interrupted" },
      { id: 2, status: "ok", error_kind: null },
    ]);
  });
});

describe("syncer jobs list and history", () => {
  test("jobs list --json shows each job's schedule, next run and last run", () => {
    const w = world();
    expect(w.cli("migrate").code).toBe(0);
    const before = w.json("jobs", "list").json.jobs;
    expect(before.map((job: Json) => job.name)).toEqual(["nightly", "fragile", "paused"]);
    expect(before[0]).toMatchObject({ schedule: "0 3 * * *", timezone: "UTC", enabled: true, steps: ["csv import_hosts demo"], running: false, last_run: null, webhook: false });
    expect(before[0].next_run).toMatch(/T03:00:00\.000Z$/);
    expect(Date.parse(before[0].next_run) - Date.now()).toBeLessThanOrEqual(24 * 3600 * 1000);
    expect(before[2]).toMatchObject({ name: "paused", enabled: false, next_run: null });
    const ran = w.json("jobs", "run", "nightly").json;
    const after = w.json("jobs", "list").json.jobs;
    expect(after[0].last_run).toMatchObject({ id: ran.id, status: "ok", trigger: "cli", steps: [{ run_id: ran.steps[0].run_id, status: "ok" }] });
    const text = w.cli("jobs", "list");
    expect(text.stdout).toMatch(/^nightly {2}0 3 \* \* \* \(UTC\) {2}next \S+T03:00:00\.000Z {2}last ok \S+ \(job run #1\)$/m);
    expect(text.stdout).toMatch(/^paused {3}0 4 \* \* \* {2}disabled {2}never run$/m);
  });

  test("jobs history shows a job's runs newest first with their steps; --limit caps them", () => {
    const w = world();
    w.cli("jobs", "run", "fragile");
    w.cli("jobs", "run", "nightly");
    w.cli("jobs", "run", "fragile");
    const { json } = w.json("jobs", "history", "fragile");
    expect(json.job).toBe("fragile");
    expect(json.runs.map((run: Json) => [run.id, run.status])).toEqual([[3, "failed"], [1, "failed"]]);
    expect(json.runs[0].steps.map((step: Json) => step.status)).toEqual(["failed", "skipped"]);
    expect(w.json("jobs", "history", "fragile", "--limit", "1").json.runs.map((run: Json) => run.id)).toEqual([3]);
    const text = w.cli("jobs", "history", "nightly");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^#2 {5}\S+ {2}ok {10}cli {6}\d+\.\d\d s\n {7}✓ step 1 {2}csv import_hosts demo {2}run #2\n$/);
    expect(w.cli("jobs", "history", "nightly", "--limit", "0").code).toBe(2);
    expect(w.cli("jobs", "history", "nope").stderr).toContain("error: no job 'nope'");
  });
});

describe("job steps in the config", () => {
  test("config check refuses a step naming an unknown command, with file, line and the step's key", () => {
    const w = world(`[jobs.nightly]\nschedule = "0 3 * * *"\nsteps = ["csv import_hosts demo", "csv import_host demo"]\n`);
    const result = w.cli("config", "check");
    expect(result.code).toBe(1);
    const text = readFileSync(w.config, "utf8");
    const line = text.slice(0, text.indexOf('"csv import_host demo"')).split("\n").length;
    expect(result.stderr).toBe(
      `error: ${w.config}:${line}:35: jobs.nightly.steps[1]: step "csv import_host demo": plugin csv has no command 'import_host'; did you mean 'import_hosts'? (commands: import_hosts)\n`,
    );
    expect(w.cli("jobs", "run", "nightly").stderr).toContain("jobs.nightly.steps[1]");
  });
});
