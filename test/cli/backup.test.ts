import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MIGRATIONS } from "../../src/db/sqlite/embedded-migrations.ts";
import { BINARY, cleanEnv, listTree, runSyncer, tempDir, writeConfig } from "../helpers/binary.ts";

/** A config with its data in `<dir>/data`, and the database created by `syncer migrate`. */
function world(): { dir: string; config: string; database: string } {
  const dir = tempDir("syncer-backup-");
  const config = writeConfig(dir, '[server]\ndata_dir = "data"\n');
  expect(runSyncer(["migrate", "--config", config]).code).toBe(0);
  return { dir, config, database: join(dir, "data", "syncer.db") };
}

let hostCounter = 0;
/** Inserts `count` hosts (with some inventory, so the database has some size) in one transaction. */
function insertHosts(sqlite: Database, count: number): void {
  const insert = sqlite.prepare("INSERT INTO hosts (hostname, first_seen, last_changed, labels, inventory) VALUES (?, ?, ?, ?, ?)");
  sqlite.transaction(() => {
    for (let i = 0; i < count; i++) {
      const name = `host${++hostCounter}.example.com`;
      insert.run(name, Date.now(), Date.now(), JSON.stringify({ site: "berlin" }), JSON.stringify({ csv__notes: name.repeat(20) }));
    }
  })();
}

function openWriter(database: string): Database {
  const sqlite = new Database(database);
  sqlite.run("PRAGMA busy_timeout = 5000");
  return sqlite;
}

/** What a backup file holds, read the way an operator would check it. */
function inspect(path: string): { integrity: string; hosts: number; runs: number; journal: string } {
  const copy = new Database(path, { readonly: true });
  try {
    return {
      integrity: copy.query<{ integrity_check: string }, []>("PRAGMA integrity_check").get()!.integrity_check,
      hosts: copy.query<{ n: number }, []>("SELECT count(*) AS n FROM hosts").get()!.n,
      runs: copy.query<{ n: number }, []>("SELECT count(*) AS n FROM runs").get()!.n,
      journal: copy.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()!.journal_mode,
    };
  } finally {
    copy.close();
  }
}

const backup = (args: string[], config: string) => runSyncer(["backup", ...args, "--config", config]);

describe("syncer backup", () => {
  test("copies the database while another process writes to it: the copy is a consistent snapshot that passes integrity_check", async () => {
    const { dir, config, database } = world();
    const writer = openWriter(database);
    insertHosts(writer, 30_000);
    writer.run("INSERT INTO runs (plugin, command, started_at, status) VALUES ('csv', 'import_hosts', 1, 'ok')");
    const before = 30_000;
    const batch = 25;

    const destination = join(dir, "backup.db");
    const child = Bun.spawn([BINARY, "backup", destination, "--json", "--config", config], { env: cleanEnv(), stdout: "pipe", stderr: "pipe" });
    // Commit batches for as long as the backup runs: each is all-or-nothing, so a consistent copy holds whole batches.
    let batches = 0;
    while (child.exitCode === null) {
      insertHosts(writer, batch);
      batches++;
      await Bun.sleep(1);
    }
    const code = await child.exited;
    const stderr = await new Response(child.stderr).text();
    const report = JSON.parse(await new Response(child.stdout).text());
    writer.close();

    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(batches).toBeGreaterThan(0);
    const copy = inspect(destination);
    expect(copy.integrity).toBe("ok");
    expect(copy.hosts).toBeGreaterThanOrEqual(before);
    expect(copy.hosts).toBeLessThanOrEqual(before + batches * batch);
    expect((copy.hosts - before) % batch).toBe(0);
    expect(copy.runs).toBe(1);
    // A self-contained file: rollback journal, nothing that needs a -wal beside it.
    expect(copy.journal).toBe("delete");
    // The inventory is nobody else's business: the file is its owner's alone.
    expect(statSync(destination).mode & 0o777).toBe(0o600);
    expect(report).toEqual({ path: destination, bytes: statSync(destination).size, migration: MIGRATIONS.at(-1)!.tag, hosts: copy.hosts, runs: 1 });
    expect(listTree(dir).filter((name) => name.includes("partial"))).toEqual([]);
  });

  test("says in text what it wrote: the paths, the counts and the migration", () => {
    const { dir, config, database } = world();
    const writer = openWriter(database);
    insertHosts(writer, 3);
    writer.close();
    const result = backup([join(dir, "b.db")], config);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`backed up ${database} to ${join(dir, "b.db")}`);
    expect(result.stdout).toContain("integrity ok");
    expect(result.stdout).toContain(`3 hosts, 0 runs, migration ${MIGRATIONS.at(-1)!.tag}`);
  });

  test("refuses to overwrite an existing file without --force (usage error naming it), and replaces it with --force", () => {
    const { dir, config } = world();
    const destination = join(dir, "existing.db");
    writeFileSync(destination, "keep me");
    const refused = backup([destination], config);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${destination} exists; give --force to replace it`);
    expect(readFileSync(destination, "utf8")).toBe("keep me");

    const forced = backup([destination, "--force"], config);
    expect(forced.code).toBe(0);
    expect(inspect(destination).integrity).toBe("ok");
  });

  test("a destination directory that does not exist is an error naming it, and nothing is created", () => {
    const { dir, config } = world();
    const result = backup([join(dir, "no", "such", "dir", "b.db"), "--json"], config);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { kind: "io", message: expect.stringContaining(`the directory ${join(dir, "no", "such", "dir")} does not exist`) } });
    expect(listTree(dir)).not.toContain("no");
  });

  test("with no database there is nothing to back up: an error naming the path, and no database is created", () => {
    const dir = tempDir("syncer-backup-");
    const config = writeConfig(dir, '[server]\ndata_dir = "data"\n');
    const result = backup([join(dir, "b.db"), "--json"], config);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { kind: "database", message: `there is no database at ${join(dir, "data", "syncer.db")}: nothing to back up` } });
    expect(listTree(dir)).toEqual(["sync.config.toml"]);
  });

  test("a file that is not a syncer database is refused and nothing is written", () => {
    const dir = tempDir("syncer-backup-");
    mkdirSync(join(dir, "data"));
    writeFileSync(join(dir, "data", "syncer.db"), "this is not SQLite at all, just some text that is long enough to be a header");
    const config = writeConfig(dir, '[server]\ndata_dir = "data"\n');
    const result = backup([join(dir, "b.db"), "--json"], config);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).error.kind).toBe("database");
    expect(listTree(dir)).toEqual(["data", join("data", "syncer.db"), "sync.config.toml"]);
  });

  test("refuses the database itself or a directory as the destination, even with --force", () => {
    const { dir, config, database } = world();
    const itself = backup([database, "--force"], config);
    expect(itself.code).toBe(2);
    expect(itself.stderr).toContain("is the database itself");
    expect(inspect(database).integrity).toBe("ok");
    const directory = backup([dir, "--force"], config);
    expect(directory.code).toBe(2);
    expect(directory.stderr).toContain(`${dir} is a directory`);
  });

  test("--database backs up that file without reading any config", () => {
    const { database } = world();
    const elsewhere = tempDir("syncer-backup-");
    const result = runSyncer(["backup", "--database", database, join(elsewhere, "b.db"), "--json"], { cwd: elsewhere });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ path: join(elsewhere, "b.db"), hosts: 0, runs: 0 });
  });

  test("backing up a database nobody has open leaves no -wal or -shm file beside it", () => {
    const { dir, config } = world();
    expect(listTree(join(dir, "data"))).toEqual(["syncer.db"]);
    expect(backup([join(dir, "b.db")], config).code).toBe(0);
    expect(listTree(join(dir, "data"))).toEqual(["syncer.db"]);
  });
});
