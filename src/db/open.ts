import { Database } from "bun:sqlite";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { describeSystemError, SyncerError } from "../core/errors.ts";
import * as schema from "./schema.ts";

/** The SQLite connection under the SQLite storage (src/db/sqlite/), through Drizzle. */
export type Db = BunSQLiteDatabase<typeof schema>;

export interface OpenDatabase {
  sqlite: Database;
  db: Db;
  close(): void;
}

/** The page size of a database this creates (see openDatabase). */
export const PAGE_BYTES = 16 * 1024;

/**
 * Opens (creating if needed) the SQLite database with the settings a long-running daemon wants:
 * WAL so readers never block the writer, synchronous=NORMAL (durable at checkpoints, fast commits),
 * a busy timeout instead of immediate SQLITE_BUSY, and foreign keys enforced.
 */
export function openDatabase(path: string): OpenDatabase {
  const directory = dirname(path);
  try {
    mkdirSync(directory, { recursive: true });
  } catch (error) {
    throw new SyncerError("database", `cannot create the data directory ${directory}: ${describeSystemError(error)}`);
  }
  let sqlite: Database;
  try {
    sqlite = new Database(path, { create: true, readwrite: true, strict: true });
  } catch (error) {
    throw new SyncerError("database", `cannot open the database ${path}: ${describeSystemError(error)}; is ${directory} writable?`);
  }
  try {
    // A new database gets pages of 16 KiB (SQLite's default is 4 KiB; an existing one keeps its size): a host's
    // row with its inventory is a kilobyte or two, and a bulk write of 50k hosts writes a quarter of the pages,
    // WAL frames and checkpoint copies, for about 0.6x the CPU of its transaction (bench/netbox.ts).
    sqlite.run(`PRAGMA page_size = ${PAGE_BYTES}`);
    const mode = sqlite.query<{ journal_mode: string }, []>("PRAGMA journal_mode = WAL").get();
    if (mode?.journal_mode !== "wal") throw new Error(`journal mode stayed ${mode?.journal_mode}`);
    sqlite.run("PRAGMA synchronous = NORMAL");
    sqlite.run("PRAGMA busy_timeout = 5000");
    sqlite.run("PRAGMA foreign_keys = ON");
    // Reads through a memory map and a 64 MiB page cache: with SQLite's 2 MiB default, a lookup by name
    // misses the cache and costs a read() per B-tree page (5–10x slower for a 100k-host inventory, bench/api-load.ts).
    sqlite.run("PRAGMA mmap_size = 268435456");
    sqlite.run("PRAGMA cache_size = -65536");
  } catch (error) {
    sqlite.close();
    throw new SyncerError("database", `cannot use the database ${path}: ${describeSystemError(error)}; is ${directory} writable?`);
  }
  return { sqlite, db: drizzle(sqlite, { schema }), close: () => sqlite.close() };
}

/** The page cache of a bulk connection: enough for the B-tree pages a scan or a write passes through again. */
const BULK_CACHE_KIB = 8 * 1024;

/**
 * A second connection to an open database, for one bulk job (a run's staging and write, reading every
 * exported host): no memory map and a small page cache, so a million hosts read or written pass through
 * memory instead of staying in it, and the shared connection's cache keeps the pages its point reads
 * use. Closed when the job is done.
 */
export function openBulkConnection(path: string): Database {
  let sqlite: Database;
  try {
    sqlite = new Database(path, { readwrite: true, strict: true });
  } catch (error) {
    throw new SyncerError("database", `cannot open the database ${path}: ${describeSystemError(error)}`);
  }
  try {
    sqlite.run("PRAGMA busy_timeout = 5000");
    sqlite.run("PRAGMA foreign_keys = ON");
    sqlite.run("PRAGMA synchronous = NORMAL");
    sqlite.run("PRAGMA mmap_size = 0");
    sqlite.run(`PRAGMA cache_size = -${BULK_CACHE_KIB}`);
  } catch (error) {
    sqlite.close();
    throw new SyncerError("database", `cannot use the database ${path}: ${describeSystemError(error)}`);
  }
  return sqlite;
}
