import type { Database } from "bun:sqlite";
import { dirname, join } from "node:path";
import { openDatabase, type Db } from "../open.ts";
import type { SchemaMigrations, Storage, TransactionOptions } from "../storage.ts";
import { FileAnswerCache } from "../answer-files.ts";
import { SqliteEventRepository, SqliteSubscriberRepository } from "./events.ts";
import { SqliteExportMemoRepository } from "./export-memos.ts";
import { SqliteHostRepository } from "./hosts.ts";
import { SqliteJobRunRepository } from "./job-runs.ts";
import { SqliteKvRepository } from "./kv.ts";
import { applyMigrations, migrationStatus } from "./migrate.ts";
import { SqlitePluginHostRepository } from "./plugin-hosts.ts";
import { SqliteRetentionRepository } from "./retention.ts";
import { SqliteRunRepository } from "./runs.ts";
import { SqliteStatsRepository } from "./stats.ts";
import { SqliteTargetStateStore } from "./target-state.ts";
import { MemoryFirstTargetStateStore } from "../memory-target-state.ts";
import type { TargetStateStore } from "../target-state.ts";
import { SqliteSessionRepository } from "./sessions.ts";
import { SqliteTokenRepository } from "./tokens.ts";
import { SqliteUserRepository } from "./users.ts";

/**
 * Storage in one SQLite file. Each repository is made on first use: some prepare their statements when
 * made, which needs the tables, and a database may be opened before it is migrated.
 */
type Repositories = "hosts" | "exportMemos" | "runs" | "jobRuns" | "tokens" | "users" | "sessions" | "kv" | "events" | "subscribers" | "pluginHosts" | "retention" | "stats" | "answers";

export class SqliteStorage implements Storage {
  private readonly made: { -readonly [name in Repositories]?: Storage[name] } = {};
  readonly migrations: SchemaMigrations;

  /**
   * `sqlite` is the connection itself, for tests of this implementation, which set up and inspect rows
   * through it. Outside src/db/, code holds a Storage and never sees it.
   */
  constructor(
    readonly sqlite: Database,
    private readonly db: Db,
    /** The database's file. */
    readonly path: string,
  ) {
    this.migrations = {
      status: () => {
        const { applied, pending } = migrationStatus(sqlite);
        return { applied, pending: pending.map((migration) => migration.tag) };
      },
      apply: () => applyMigrations(sqlite),
    };
  }

  targetState(): TargetStateStore {
    return new MemoryFirstTargetStateStore(() => new SqliteTargetStateStore());
  }

  get hosts() {
    return (this.made.hosts ??= new SqliteHostRepository(this.sqlite, this.db, this.path));
  }

  get exportMemos() {
    return (this.made.exportMemos ??= new SqliteExportMemoRepository(this.sqlite));
  }

  get runs() {
    return (this.made.runs ??= new SqliteRunRepository(this.db));
  }

  get jobRuns() {
    return (this.made.jobRuns ??= new SqliteJobRunRepository(this.db));
  }

  get tokens() {
    return (this.made.tokens ??= new SqliteTokenRepository(this.sqlite, this.db));
  }

  get users() {
    return (this.made.users ??= new SqliteUserRepository(this.db));
  }

  get sessions() {
    return (this.made.sessions ??= new SqliteSessionRepository(this.sqlite));
  }

  get kv() {
    return (this.made.kv ??= new SqliteKvRepository(this.db));
  }

  get answers() {
    // Beside the database file, in the data directory.
    return (this.made.answers ??= new FileAnswerCache(join(dirname(this.path), "answers")));
  }

  get events() {
    return (this.made.events ??= new SqliteEventRepository(this.sqlite));
  }

  get subscribers() {
    return (this.made.subscribers ??= new SqliteSubscriberRepository(this.sqlite));
  }

  get pluginHosts() {
    return (this.made.pluginHosts ??= new SqlitePluginHostRepository(this.db));
  }

  get retention() {
    return (this.made.retention ??= new SqliteRetentionRepository(this.sqlite));
  }

  get stats() {
    return (this.made.stats ??= new SqliteStatsRepository(this.sqlite));
  }

  transaction<T>(work: (tx: Storage) => T, options: TransactionOptions = {}): T {
    // One connection: the repositories' statements inside `work` are the transaction's. Nested, it is a savepoint.
    const transaction = this.sqlite.transaction(() => work(this));
    return (options.lockWrites ? transaction.immediate() : transaction.deferred()) as T;
  }

  reachable(): boolean {
    try {
      return this.sqlite.query<{ ok: number }, []>("SELECT 1 AS ok").get()?.ok === 1;
    } catch {
      return false;
    }
  }

  close(): void {
    this.sqlite.close();
  }
}

/**
 * Opens (creating it if needed) the SQLite database at `path` as Storage, with the settings a long-running
 * daemon wants (see openDatabase: WAL, busy timeout, foreign keys). Not migrated: `storage.migrations.apply()`.
 */
export function openSqliteStorage(path: string): SqliteStorage {
  const { sqlite, db } = openDatabase(path);
  return new SqliteStorage(sqlite, db, path);
}
