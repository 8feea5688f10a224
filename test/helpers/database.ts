/**
 * A fresh, migrated database in a temporary directory, for tests of code over the database that need
 * no binary. Removed when the test run ends.
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStorage, type SqliteStorage } from "../../src/db/sqlite/storage.ts";

const made: string[] = [];
process.on("exit", () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** The storage over a fresh database; tests set up and inspect rows through its SQLite handle (`sqlite`). */
export function freshDatabase(): SqliteStorage {
  const dir = mkdtempSync(join(tmpdir(), "syncer-db-"));
  made.push(dir);
  const path = join(dir, "syncer.db");
  const storage = openSqliteStorage(path);
  storage.migrations.apply();
  return storage;
}

/** Rows of the database at `path`, read through a connection of their own (a daemon's database, from its tests). */
export function readRows<T>(path: string, sql: string): T[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.query(sql).all() as T[];
  } finally {
    db.close();
  }
}
