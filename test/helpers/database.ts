/**
 * A fresh, migrated database in a temporary directory, for tests of code over the database that need
 * no binary. Removed when the test run ends.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyMigrations } from "../../src/db/sqlite/migrate.ts";
import { openDatabase, type OpenDatabase } from "../../src/db/open.ts";

const made: string[] = [];
process.on("exit", () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

export function freshDatabase(): OpenDatabase & { path: string } {
  const dir = mkdtempSync(join(tmpdir(), "syncer-db-"));
  made.push(dir);
  const path = join(dir, "syncer.db");
  const database = openDatabase(path);
  applyMigrations(database.sqlite);
  return { ...database, path };
}
