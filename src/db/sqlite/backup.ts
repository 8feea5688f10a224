import { Database } from "bun:sqlite";
import { closeSync, existsSync, fsyncSync, openSync, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { describeSystemError, SyncerError, systemErrorCode } from "../../core/errors.ts";
import { newestAppliedMigration } from "./migrate.ts";

/** What a backup wrote, read back from the copy itself. */
export interface BackupReport {
  /** Absolute path of the backup file. */
  path: string;
  bytes: number;
  /** The newest migration the copy has (see newestAppliedMigration). */
  migration: string | null;
  /** Hosts that are not deleted. */
  hosts: number;
  runs: number;
}

/** The tables a syncer database has; a file without them is something else, not worth copying. */
const SYNCER_TABLES = ["hosts", "runs"];

function databaseError(database: string, error: unknown): SyncerError {
  if (error instanceof SyncerError) return error;
  return new SyncerError("database", `cannot back up ${database}: ${describeSystemError(error)}`, { path: database });
}

/** Where the copy may be written: refuses an existing file without `force`, a missing directory, the database itself. */
function checkDestination(database: string, destination: string, force: boolean): void {
  const directory = dirname(destination);
  let stat;
  try {
    stat = statSync(directory);
  } catch (error) {
    const reason = systemErrorCode(error) === "ENOENT" ? "does not exist" : `cannot be used: ${describeSystemError(error)}`;
    throw new SyncerError("io", `cannot write the backup ${destination}: the directory ${directory} ${reason}`, { path: destination });
  }
  if (!stat.isDirectory()) throw new SyncerError("io", `cannot write the backup ${destination}: ${directory} is not a directory`, { path: destination });
  if (!existsSync(destination)) return;
  if (statSync(destination).isDirectory()) throw new SyncerError("usage", `${destination} is a directory; name the backup file, e.g. ${join(destination, "syncer.db")}`, { path: destination });
  if (realpathSync(destination) === realpathSync(database)) throw new SyncerError("usage", `${destination} is the database itself; back it up to another file`, { path: destination });
  if (!force) throw new SyncerError("usage", `${destination} exists; give --force to replace it`, { path: destination });
}

/** Creates the temporary file beside the destination (so the final rename stays on one file system). */
function createTemporary(destination: string): string {
  const temporary = join(dirname(destination), `.${basename(destination)}.${process.pid}.partial`);
  try {
    closeSync(openSync(temporary, "wx", 0o600));
  } catch (error) {
    throw new SyncerError("io", `cannot write the backup ${destination}: ${describeSystemError(error)}`, { path: destination });
  }
  return temporary;
}

/**
 * Opens the live database to copy it. Read-write although it only reads: a read-only connection to a WAL
 * database leaves -wal and -shm files behind, owned by whoever ran the backup, which could lock the
 * daemon's user out; a read-write one removes them when it is the last to close.
 */
function openSource(database: string): Database {
  if (!existsSync(database)) throw new SyncerError("database", `there is no database at ${database}: nothing to back up`, { path: database });
  const sqlite = new Database(database, { readwrite: true, create: false });
  // The daemon may hold the write lock for a moment; wait for it like the daemon's own connections do.
  sqlite.run("PRAGMA busy_timeout = 5000");
  const tables = sqlite.query<{ name: string }, []>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (${SYNCER_TABLES.map((name) => `'${name}'`).join(", ")})`).all();
  if (tables.length < SYNCER_TABLES.length) {
    sqlite.close();
    throw new SyncerError("database", `${database} is not a syncer database (it has no ${SYNCER_TABLES.join(" and ")} tables); nothing was written`, { path: database });
  }
  return sqlite;
}

/** Opens the copy read-only, checks it page by page and reads what it holds. */
function inspectCopy(path: string, destination: string): Omit<BackupReport, "bytes"> {
  const copy = new Database(path, { readonly: true });
  try {
    const problems = copy.query<{ integrity_check: string }, []>("PRAGMA integrity_check").all().map((row) => row.integrity_check);
    if (problems.length !== 1 || problems[0] !== "ok") {
      throw new SyncerError("database", `the copy failed its integrity check, so ${destination} was not written: ${problems.slice(0, 5).join("; ")}`, { path: destination });
    }
    const count = (sql: string) => copy.query<{ n: number }, []>(sql).get()?.n ?? 0;
    return {
      path: destination,
      migration: newestAppliedMigration(copy),
      hosts: count("SELECT count(*) AS n FROM hosts WHERE deleted_at IS NULL"),
      runs: count("SELECT count(*) AS n FROM runs"),
    };
  } finally {
    copy.close();
  }
}

function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a consistent copy of the database at `destination`, also while the daemon writes to it. VACUUM INTO
 * reads one snapshot (WAL lets writers go on meanwhile) and writes a compact, self-contained file (rollback
 * journal mode: no -wal beside it). The copy goes to a temporary file beside the destination, is checked,
 * synced and only then renamed into place: a failed backup leaves no file at the destination.
 */
export function backupDatabase(database: string, destination: string, options: { force?: boolean } = {}): BackupReport {
  const target = resolve(destination);
  checkDestination(database, target, options.force ?? false);
  let source: Database;
  try {
    source = openSource(database);
  } catch (error) {
    throw databaseError(database, error);
  }
  const temporary = createTemporary(target);
  try {
    try {
      source.query("VACUUM INTO ?").run(temporary);
    } finally {
      source.close();
    }
    const report = inspectCopy(temporary, target);
    fsyncPath(temporary);
    renameSync(temporary, target);
    // The rename itself must survive a crash too.
    fsyncPath(dirname(target));
    return { ...report, bytes: statSync(target).size };
  } catch (error) {
    rmSync(temporary, { force: true });
    if (error instanceof SyncerError) throw error;
    const code = systemErrorCode(error);
    if (code && !code.startsWith("SQLITE")) throw new SyncerError("io", `cannot write the backup ${target}: ${describeSystemError(error)}`, { path: target });
    throw databaseError(database, error);
  }
}
