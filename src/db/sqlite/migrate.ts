import type { Database } from "bun:sqlite";
import { SyncerError } from "../../core/errors.ts";
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

/**
 * The newest migration applied to a database, read without writing (so it works on a read-only copy):
 * its tag, `null` when none is, or a description when a newer build applied one this build does not know.
 */
export function newestAppliedMigration(sqlite: Database, migrations: Migration[] = MIGRATIONS): string | null {
  const table = sqlite.query<{ name: string }, [string]>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?").get(MIGRATIONS_TABLE);
  if (!table) return null;
  const newest = sqlite.query<{ created_at: number | null }, []>(`SELECT max(created_at) AS created_at FROM "${MIGRATIONS_TABLE}"`).get()?.created_at;
  if (newest === null || newest === undefined) return null;
  const known = migrations.find((migration) => migration.createdAt === Number(newest));
  return known?.tag ?? `unknown to this build (from ${new Date(Number(newest)).toISOString()})`;
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
