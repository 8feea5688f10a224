import { Database } from "bun:sqlite";
import { beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { thisProcess } from "../../src/runs/owner.ts";
import { runSyncer, tempDir, writeConfig } from "../helpers/binary.ts";
import { buildFixturePlugins, FIXTURE_PLUGINS } from "../helpers/plugins.ts";

/**
 * `syncer hosts delete`, `syncer hosts purge` and `syncer maintenance` through the compiled binary, on
 * hosts imported by the syncfix fixture (whose pre_delete hook refuses hosts labelled `protected`).
 */

type Json = Record<string, any>;

beforeAll(() => buildFixturePlugins(), 120_000);

const DAY = 24 * 60 * 60 * 1000;

function world(extra = "") {
  const dir = tempDir("syncer-hosts-");
  const config = writeConfig(
    dir,
    `[server]\ndata_dir = "data"\n[plugins]\ndirectories = [${JSON.stringify(FIXTURE_PLUGINS)}]\n[accounts.src]\nplugin = "syncfix"\n[accounts.src.custom_fields]\npath = "src.pages"\n${extra}`,
  );
  const hosts = [
    { hostname: "web01", labels: { site: "ber" } },
    { hostname: "web02", labels: { site: "ber" } },
    { hostname: "db01", labels: { site: "ham", protected: "yes" } },
  ];
  writeFileSync(join(dir, "src.pages"), JSON.stringify(hosts) + "\n");
  const cli = (...args: string[]) => runSyncer([...args, "--config", config]);
  expect(cli("syncfix", "import_hosts", "src").code).toBe(0);
  const sql = <T = Json>(statement: string, ...params: (string | number)[]): T[] => {
    const db = new Database(join(dir, "data", "syncer.db"));
    try {
      return db.query(statement).all(...params) as T[];
    } finally {
      db.close();
    }
  };
  const json = (...args: string[]) => {
    const result = cli(...args, "--json");
    try {
      return { code: result.code, json: JSON.parse(result.stdout) as Json, stderr: result.stderr };
    } catch {
      throw new Error(`not JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
    }
  };
  return { dir, config, cli, json, sql };
}

describe("syncer hosts delete", () => {
  test("soft-deletes a host as the API does: still readable with its reason, listed with --deleted, in its change log, out of the live list", () => {
    const w = world();
    const deleted = w.cli("hosts", "delete", "web01", "--reason", "decommissioned in rack 4");
    expect(deleted).toMatchObject({ code: 0, stdout: "deleted web01 (decommissioned in rack 4)\n" });
    const shown = w.json("hosts", "show", "web01").json;
    expect(shown).toMatchObject({ hostname: "web01", delete_reason: "decommissioned in rack 4" });
    expect(shown.deleted_at).not.toBeNull();
    expect(shown.changes[0].changes).toEqual({ deleted: { old: null, new: "decommissioned in rack 4" } });
    expect(w.json("hosts", "list").json.hosts.map((host: Json) => host.hostname)).toEqual(["db01", "web02"]);
    expect(w.json("hosts", "list", "--deleted").json.hosts.map((host: Json) => host.hostname)).toEqual(["web01"]);
    // The next import that returns it restores it, as for any soft-deleted host.
    expect(w.cli("syncfix", "import_hosts", "src").code).toBe(0);
    expect(w.json("hosts", "show", "web01").json.deleted_at).toBeNull();
  });

  test("a host deleted already stays as it was; --json prints the host", () => {
    const w = world();
    expect(w.cli("hosts", "delete", "web01").code).toBe(0);
    const first = w.json("hosts", "show", "web01").json;
    const again = w.cli("hosts", "delete", "web01", "--reason", "other");
    expect(again.code).toBe(0);
    expect(again.stdout).toStartWith("web01 was deleted already (");
    const json = w.json("hosts", "delete", "web01").json;
    expect(json).toMatchObject({ hostname: "web01", deleted_at: first.deleted_at, delete_reason: "deleted with syncer hosts delete" });
  });

  test("an unknown host is not_found (exit 1); a pre_delete hook's refusal fails it and the host stays", () => {
    const w = world();
    expect(w.cli("hosts", "delete", "nope")).toMatchObject({ code: 1, stderr: 'error: no host "nope"\n' });
    const refused = w.cli("hosts", "delete", "db01");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("db01 is protected");
    expect(w.json("hosts", "show", "db01").json.deleted_at).toBeNull();
  });
});

describe("syncer hosts purge", () => {
  /** Two hosts deleted 40 and 10 days ago; web01 has a change log and labels in the label index. */
  function aged() {
    const w = world();
    expect(w.cli("hosts", "delete", "web01").code).toBe(0);
    expect(w.cli("hosts", "delete", "web02").code).toBe(0);
    w.sql("UPDATE hosts SET deleted_at = ? WHERE hostname = 'web01'", Date.now() - 40 * DAY);
    w.sql("UPDATE hosts SET deleted_at = ? WHERE hostname = 'web02'", Date.now() - 10 * DAY);
    return w;
  }

  test("--dry-run lists the hosts deleted longer ago than --deleted-before and removes nothing", () => {
    const w = aged();
    const result = w.json("hosts", "purge", "--deleted-before", "30d", "--dry-run");
    expect(result).toMatchObject({ code: 0, json: { purged: 1, hosts: ["web01"], changes: 1, dry_run: true } });
    expect(w.sql("SELECT hostname FROM hosts ORDER BY hostname").map((row) => row.hostname)).toEqual(["db01", "web01", "web02"]);
  });

  test("removes them for good, with their change logs, last-seen times and label-index entries; others stay", () => {
    const w = aged();
    const idOf = (hostname: string) => w.sql<{ id: number }>("SELECT id FROM hosts WHERE hostname = ?", hostname)[0]!.id;
    const id = idOf("web01");
    const web02 = idOf("web02");
    const result = w.cli("hosts", "purge", "--deleted-before", "30d");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^purged web01\npurged 1 host\(s\) deleted before .*, with 1 change-log entries\n$/);
    expect(w.sql("SELECT hostname FROM hosts ORDER BY hostname").map((row) => row.hostname)).toEqual(["db01", "web02"]);
    expect(w.sql("SELECT count(*) AS n FROM host_changes WHERE host_id = ?", id)).toEqual([{ n: 0 }]);
    expect(w.sql("SELECT count(*) AS n FROM host_seen WHERE host_id = ?", id)).toEqual([{ n: 0 }]);
    const index = w.sql<{ key: string; value: string; host_ids: string }>("SELECT key, value, host_ids FROM label_index ORDER BY key, value");
    expect(index.flatMap((row) => JSON.parse(row.host_ids))).not.toContain(id);
    expect(index.find((row) => row.key === "site" && row.value === "ber")!.host_ids).toBe(JSON.stringify([web02]));
    // Gone for good: an import that returns it creates it anew.
    expect(w.json("syncfix", "import_hosts", "src").json).toMatchObject({ created: 1 });
  });

  test("a duration it cannot read is a usage error (exit 2) and nothing is removed", () => {
    const w = aged();
    for (const bad of ["30", "30 days", "-1d", "d"]) {
      const result = w.cli("hosts", "purge", "--deleted-before", bad);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`error: --deleted-before ${JSON.stringify(bad)}: give a duration such as 30d, 12h, 90m, 45s or 2w\n`);
    }
    expect(w.sql("SELECT count(*) AS n FROM hosts")).toEqual([{ n: 3 }]);
  });
});

describe("syncer maintenance", () => {
  test("applies [retention]: removes what is older than its limits, keeps running runs, and says what it removed", () => {
    const w = world(`[retention]\nruns_days = 30\nevents_days = 7\nhost_changes_days = 0\ndeleted_hosts_days = 20\n`);
    const old = Date.now() - 60 * DAY;
    w.sql("UPDATE runs SET started_at = ?", old);
    // A run still running, however old, is kept: this test process owns it. A recent one whose process is gone
    // (4194305 is above any pid_max) is closed as interrupted and kept too.
    const owner = thisProcess();
    w.sql("INSERT INTO runs (plugin, command, trigger, status, started_at, owner_pid, owner_started) VALUES ('syncfix', 'import_hosts', 'cli', 'running', ?, ?, ?)", old, owner.pid, owner.started!);
    w.sql("INSERT INTO runs (plugin, command, trigger, status, started_at, owner_pid, owner_started) VALUES ('syncfix', 'import_hosts', 'cli', 'running', ?, 4194305, 'x/1')", Date.now() - DAY);
    w.sql("INSERT INTO job_runs (job, trigger, status, started_at, finished_at) VALUES ('nightly', 'schedule', 'ok', ?, ?)", old, old);
    w.sql("INSERT INTO events (plugin, type, data, created_at) VALUES ('syncfix', 'old', '{}', ?), ('syncfix', 'new', '{}', ?)", Date.now() - 8 * DAY, Date.now());
    expect(w.cli("hosts", "delete", "web01").code).toBe(0);
    w.sql("UPDATE hosts SET deleted_at = ? WHERE hostname = 'web01'", Date.now() - 21 * DAY);
    w.sql("UPDATE host_changes SET at = ?", old);

    const { code, json } = w.json("maintenance");
    expect(code).toBe(0);
    expect(json).toMatchObject({
      interrupted: { runs: 1, job_runs: 0 },
      removed: { runs: 1, job_runs: 0, events: 1, host_changes: 0, deleted_hosts: 1 },
      removed_before: { job_runs: expect.any(String), host_changes: null },
    });
    expect(w.sql("SELECT status FROM runs ORDER BY id")).toEqual([{ status: "running" }, { status: "interrupted" }]);
    expect(w.sql("SELECT type FROM events WHERE plugin = 'syncfix' AND type IN ('old', 'new')")).toEqual([{ type: "new" }]);
    expect(w.sql("SELECT count(*) AS n FROM job_runs")).toEqual([{ n: 1 }]);
    expect(w.sql("SELECT hostname FROM hosts ORDER BY hostname").map((row) => row.hostname)).toEqual(["db01", "web02"]);

    const text = w.cli("maintenance");
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("  runs: 0 removed (older than 30 days: before ");
    expect(text.stdout).toContain("  change-log entries: kept for ever (retention.host_changes_days is 0)");
  });

  test("[retention] is checked like every section: a bad value names file:line", () => {
    const w = world();
    writeFileSync(w.config, `[retention]\nruns_days = -1\n`);
    const result = runSyncer(["maintenance", "--config", w.config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${w.config}:2:13: retention.runs_days:`);
  });
});
