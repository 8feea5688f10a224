import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { cpSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { MIGRATIONS } from "../../src/db/sqlite/embedded-migrations.ts";
import { readMigrationFolder, type Migration } from "../../src/db/sqlite/migration-files.ts";
import { applyMigrations, migrationStatus } from "../../src/db/sqlite/migrate.ts";
import { openDatabase } from "../../src/db/open.ts";
import { SyncerError } from "../../src/core/errors.ts";
import { runSyncer, tempDir, writeConfig } from "../helpers/binary.ts";

const dir = tempDir();
let counter = 0;
const freshPath = () => join(dir, `db-${++counter}`, "syncer.db");

/** Tables, columns and indexes: what a build's code relies on. */
function schemaOf(sqlite: Database): string[] {
  return sqlite
    .query<{ sql: string | null }, []>("SELECT sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
    .all()
    .map((row) => row.sql ?? "");
}

describe("the database", () => {
  test("opens with WAL, synchronous=NORMAL, a busy timeout and foreign keys", () => {
    const database = openDatabase(freshPath());
    const pragma = (name: string) => Object.values(database.sqlite.query(`PRAGMA ${name}`).get() as object)[0];
    expect(pragma("journal_mode")).toBe("wal");
    expect(pragma("synchronous")).toBe(1);
    expect(pragma("busy_timeout")).toBe(5000);
    expect(pragma("foreign_keys")).toBe(1);
    database.close();
  });

  test("a fresh database gets every migration, and a second run applies nothing", () => {
    const database = openDatabase(freshPath());
    expect(applyMigrations(database.sqlite)).toEqual(MIGRATIONS.map((m) => m.tag));
    expect(applyMigrations(database.sqlite)).toEqual([]);
    const tables = database.sqlite.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(["hosts", "runs", "__drizzle_migrations"]));
    database.close();
  });

  test("the embedded migrations are exactly the files drizzle-kit wrote", () => {
    expect(MIGRATIONS).toEqual(readMigrationFolder(join(import.meta.dir, "../../src/db/migrations")));
  });

  test("a database left at any earlier migration upgrades in place to the same schema as a fresh one", () => {
    const fresh = openDatabase(freshPath());
    applyMigrations(fresh.sqlite);
    const latest = schemaOf(fresh.sqlite);
    fresh.close();
    for (let applied = 0; applied < MIGRATIONS.length; applied++) {
      const older = openDatabase(freshPath());
      applyMigrations(older.sqlite, MIGRATIONS.slice(0, applied));
      expect(applyMigrations(older.sqlite)).toEqual(MIGRATIONS.slice(applied).map((m) => m.tag));
      expect(schemaOf(older.sqlite)).toEqual(latest);
      older.close();
    }
  });
});

describe("upgrades keep data and are all-or-nothing", () => {
  const base: Migration = { tag: "0000_a", createdAt: 1000, hash: "a", statements: ["CREATE TABLE t (id integer PRIMARY KEY, name text)"] };
  const addColumn: Migration = { tag: "0001_b", createdAt: 2000, hash: "b", statements: ["ALTER TABLE t ADD COLUMN note text DEFAULT 'n'"] };
  const broken: Migration = {
    tag: "0001_c",
    createdAt: 2000,
    hash: "c",
    statements: ["ALTER TABLE t ADD COLUMN ok text", "ALTER TABLE missing ADD COLUMN x text"],
  };

  test("rows written by the older build survive the upgrade", () => {
    const database = openDatabase(freshPath());
    applyMigrations(database.sqlite, [base]);
    database.sqlite.run("INSERT INTO t (name) VALUES ('web01'), ('db01')");
    expect(applyMigrations(database.sqlite, [base, addColumn])).toEqual(["0001_b"]);
    expect(database.sqlite.query("SELECT name, note FROM t ORDER BY id").all()).toEqual([
      { name: "web01", note: "n" },
      { name: "db01", note: "n" },
    ]);
    database.close();
  });

  test("0008 keeps the plugins' cached values, as plugin-wide entries (account \"\")", () => {
    const older = openDatabase(freshPath());
    applyMigrations(older.sqlite, MIGRATIONS.slice(0, MIGRATIONS.findIndex((m) => m.tag.startsWith("0008_"))));
    older.sqlite.run("INSERT INTO plugin_kv (plugin, key, value, expires_at) VALUES ('netbox', 'etag', 'W/1', NULL)");
    applyMigrations(older.sqlite);
    expect(older.sqlite.query("SELECT plugin, account, key, value, expires_at FROM plugin_kv").all()).toEqual([
      { plugin: "netbox", account: "", key: "etag", value: "W/1", expires_at: null },
    ]);
    older.close();
  });

  test("a failing migration leaves the database exactly as it was", () => {
    const database = openDatabase(freshPath());
    applyMigrations(database.sqlite, [base]);
    database.sqlite.run("INSERT INTO t (name) VALUES ('web01')");
    const before = schemaOf(database.sqlite);
    expect(() => applyMigrations(database.sqlite, [base, broken])).toThrow(/nothing was changed: no such table: missing/);
    expect(schemaOf(database.sqlite)).toEqual(before);
    expect(migrationStatus(database.sqlite, [base, broken]).pending.map((m) => m.tag)).toEqual(["0001_c"]);
    expect(database.sqlite.query("SELECT name FROM t").all()).toEqual([{ name: "web01" }]);
    database.close();
  });

  test("a database written by a newer build is refused, not downgraded", () => {
    const database = openDatabase(freshPath());
    applyMigrations(database.sqlite, [base, addColumn]);
    expect(() => applyMigrations(database.sqlite, [base])).toThrow(SyncerError);
    expect(() => applyMigrations(database.sqlite, [base])).toThrow(/written by a newer syncer/);
    database.close();
  });
});

describe("the compiled binary migrates", () => {
  test("`syncer migrate` upgrades an older database in place and keeps its rows", () => {
    const work = tempDir();
    const config = writeConfig(work, '[server]\ndata_dir = "state"\n');
    const older = openDatabase(join(work, "state", "syncer.db"));
    // A build from before 0004 (which moved last_seen into host_seen), so the upgrade carries data across.
    const olderBuild = MIGRATIONS.slice(0, MIGRATIONS.findIndex((m) => m.tag.startsWith("0004_")));
    applyMigrations(older.sqlite, olderBuild);
    older.sqlite.run(
      "INSERT INTO hosts (hostname, labels, inventory, first_seen, last_seen, last_changed) VALUES ('web01', '{\"site\":\"fra\"}', '{}', 1, 2, 3)",
    );
    older.close();
    const pending = MIGRATIONS.slice(olderBuild.length).map((m) => m.tag);

    const status = runSyncer(["migrate", "--status", "--json", "--config", config]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).pending).toEqual(pending);

    const result = runSyncer(["migrate", "--json", "--config", config]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ applied: pending, current: MIGRATIONS.map((m) => m.tag) });
    const after = new Database(join(work, "state", "syncer.db"), { readonly: true });
    expect(after.query("SELECT hostname, labels FROM hosts").all()).toEqual([{ hostname: "web01", labels: '{"site":"fra"}' }]);
    // 0004 moved last_seen into host_seen, value and all.
    expect(after.query("SELECT host_id, last_seen FROM host_seen").all()).toEqual([{ host_id: 1, last_seen: 2 }]);
    after.close();
  });
});

describe("the schema and its migrations agree", () => {
  test("drizzle-kit finds nothing to generate (run `npm run db:generate` after changing src/db/schema.ts)", () => {
    const out = tempDir();
    cpSync(join(import.meta.dir, "../../src/db/migrations"), out, { recursive: true });
    const before = readdirSync(out, { recursive: true }).length;
    const root = join(import.meta.dir, "../..");
    // drizzle-kit prefixes "./" to --out, so it must be relative.
    const kit = Bun.spawnSync(
      ["node_modules/.bin/drizzle-kit", "generate", "--dialect", "sqlite", "--schema", "src/db/schema.ts", "--out", relative(root, out)],
      { cwd: root, stdout: "pipe", stderr: "pipe" },
    );
    expect(kit.exitCode).toBe(0);
    expect(kit.stdout.toString() + kit.stderr.toString()).toContain("No schema changes");
    expect(readdirSync(out, { recursive: true }).length).toBe(before);
  }, 30_000);
});
