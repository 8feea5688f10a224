import type { Database } from "bun:sqlite";
import { SyncerError } from "../errors.ts";
import { MIGRATIONS } from "./embedded-migrations.ts";
import type { Migration } from "./migration-files.ts";

/** drizzle's own bookkeeping table, kept as drizzle writes it so drizzle-kit can read our databases too. */
const MIGRATIONS_TABLE = "__drizzle_migrations";

export interface MigrationStatus {
  applied: string[];
  pending: Migration[];
}

function ensureTable(sqlite: Database): void {
  sqlite.run(`CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
}

/** What has been applied to this database and what this build would apply. */
export function migrationStatus(sqlite: Database, migrations: Migration[] = MIGRATIONS): MigrationStatus {
  ensureTable(sqlite);
  const rows = sqlite.query<{ created_at: number }, []>(`SELECT created_at FROM "${MIGRATIONS_TABLE}"`).all();
  const newestApplied = Math.max(0, ...rows.map((row) => Number(row.created_at)));
  const newestKnown = Math.max(0, ...migrations.map((migration) => migration.createdAt));
  if (newestApplied > newestKnown) {
    throw new SyncerError(
      "database",
      `the database ${sqlite.filename} was written by a newer syncer (it has a migration from ${new Date(newestApplied).toISOString()} that this build does not know); run the newer build or restore a backup`,
    );
  }
  return {
    applied: migrations.filter((migration) => migration.createdAt <= newestApplied).map((migration) => migration.tag),
    pending: migrations.filter((migration) => migration.createdAt > newestApplied),
  };
}

/** Applies every pending migration in one transaction: a database is either fully upgraded or left as it was. */
export function applyMigrations(sqlite: Database, migrations: Migration[] = MIGRATIONS): string[] {
  const { pending } = migrationStatus(sqlite, migrations);
  if (pending.length === 0) return [];
  const insert = sqlite.prepare(`INSERT INTO "${MIGRATIONS_TABLE}" (hash, created_at) VALUES (?, ?)`);
  const upgrade = sqlite.transaction(() => {
    for (const migration of pending) {
      for (const statement of migration.statements) sqlite.run(statement);
      insert.run(migration.hash, migration.createdAt);
    }
  });
  try {
    upgrade.immediate();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SyncerError("database", `migrating ${sqlite.filename} failed, nothing was changed: ${reason}`);
  }
  return pending.map((migration) => migration.tag);
}
