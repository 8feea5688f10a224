import type { EventRepository, SubscriberRepository } from "./events.ts";
import type { ExportMemoRepository } from "./export-memos.ts";
import type { HostRepository } from "./hosts.ts";
import type { JobRunRepository } from "./job-runs.ts";
import type { KvRepository } from "./kv.ts";
import type { AnswerCacheRepository } from "./answer-cache.ts";
import type { PluginHostRepository } from "./plugin-hosts.ts";
import type { RetentionRepository } from "./retention.ts";
import type { RunRepository } from "./runs.ts";
import type { StatsRepository } from "./stats.ts";
import type { TargetStateStore } from "./target-state.ts";
import type { SessionRepository } from "./sessions.ts";
import type { TokenRepository } from "./tokens.ts";
import type { UserRepository } from "./users.ts";

/**
 * The storage seam. Everything outside src/db/ reads and writes through these repositories, which speak
 * in domain values (numbers, strings, Dates, plain objects), never in statements, driver rows or handles.
 * The implementation is chosen where the program is composed: src/db/sqlite/ today (openSqliteStorage),
 * a PostgreSQL one beside it later.
 *
 * Methods are synchronous, as bun:sqlite and today's callers are. PostgreSQL's drivers are asynchronous: its
 * implementation will need these methods to return promises, and their callers to await them.
 */
export interface Storage {
  /** The inventory: hosts, when they were last seen, the label index, the change log. */
  readonly hosts: HostRepository;
  /** What exports with phases wanted each host to be on their targets, by the host's inputs. */
  readonly exportMemos: ExportMemoRepository;
  readonly runs: RunRepository;
  readonly jobRuns: JobRunRepository;
  readonly tokens: TokenRepository;
  /** Web UI users and their sessions. */
  readonly users: UserRepository;
  readonly sessions: SessionRepository;
  /** Plugins' key-value cache. */
  readonly kv: KvRepository;
  /** Answers of plugin calls kept by what they were computed from (an inventory's pages). */
  readonly answers: AnswerCacheRepository;
  /** The event log. */
  readonly events: EventRepository;
  /** Event subscribers' cursors and delivery state. */
  readonly subscribers: SubscriberRepository;
  /** Hosts as plugins read them (host function hosts_read). */
  readonly pluginHosts: PluginHostRepository;
  readonly retention: RetentionRepository;
  /** Counts for /metrics. */
  readonly stats: StatsRepository;
  readonly migrations: SchemaMigrations;
  /** A scratch store of an export target's hosts, for one run; close it when done. */
  targetState(): TargetStateStore;

  /**
   * Runs `work` in one transaction: all of its writes or none. `tx` is the storage to use inside it.
   * Synchronous work only: the transaction ends when `work` returns.
   */
  transaction<T>(work: (tx: Storage) => T, options?: TransactionOptions): T;
  /** True when the database answers a trivial query. */
  reachable(): boolean;
  close(): void;
}

export interface TransactionOptions {
  /**
   * Takes the write lock when the transaction begins rather than at its first write: no other writer can
   * change what the transaction reads before it writes (a check, then an insert). SQLite: BEGIN IMMEDIATE.
   */
  lockWrites?: boolean;
}

/** The database schema's migrations, tagged as they were generated. */
export interface SchemaMigrations {
  /**
   * What has been applied to this database and what this build would apply; a `database` error when the
   * database was written by a newer build.
   */
  status(): { applied: string[]; pending: string[] };
  /** Applies every pending migration, all in one transaction; the tags applied. */
  apply(): string[];
}
