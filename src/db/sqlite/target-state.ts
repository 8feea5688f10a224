import { Database } from "bun:sqlite";
import { SyncerError, describeSystemError } from "../../core/errors.ts";
import type { TargetEntry, TargetStateStore } from "../target-state.ts";

/** Pages of SQLite's cache the store may hold, in KiB: the rest of a large target waits on disk. */
const CACHE_KIB = 16 * 1024;

/**
 * A target's hosts in a temporary database of their own (SQLite's '' file: on disk, deleted when closed),
 * so that a target of a million hosts costs a run disk, not memory; nothing here survives a crash, nor
 * needs to.
 */
export class SqliteTargetStateStore implements TargetStateStore {
  private readonly sqlite: Database;

  constructor() {
    try {
      this.sqlite = new Database(":memory:");
      this.sqlite.run("ATTACH DATABASE '' AS target");
      this.sqlite.run("PRAGMA target.journal_mode = OFF");
      this.sqlite.run("PRAGMA target.synchronous = OFF");
      this.sqlite.run(`PRAGMA target.cache_size = -${CACHE_KIB}`);
      this.sqlite.run("CREATE TABLE target.entries (hostname TEXT PRIMARY KEY, owned INTEGER NOT NULL, state TEXT NOT NULL, fingerprint TEXT, taken INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID");
    } catch (error) {
      throw new SyncerError("database", `cannot keep the target's hosts for the export: ${describeSystemError(error)}`);
    }
  }

  add(hosts: readonly TargetEntry[]): void {
    const insert = this.sqlite.query<never, [string, number, string, string | null]>("INSERT INTO target.entries (hostname, owned, state, fingerprint) VALUES (?, ?, ?, ?)");
    this.sqlite.transaction(() => {
      for (const host of hosts) {
        try {
          insert.run(host.hostname, host.owned ? 1 : 0, host.state, host.fingerprint ?? null);
        } catch (error) {
          // The primary key refuses a hostname listed before: no lookup per host to find out first.
          if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY") throw new SyncerError("validation", `the target listed host ${JSON.stringify(host.hostname)} twice`);
          throw error;
        }
      }
    })();
  }

  take(hostnames: readonly string[]): Map<string, string> {
    const names = JSON.stringify(hostnames);
    const rows = this.sqlite.query<{ hostname: string; state: string }, [string]>("SELECT hostname, state FROM target.entries WHERE hostname IN (SELECT value FROM json_each(?))").all(names);
    this.sqlite.query("UPDATE target.entries SET taken = 1 WHERE hostname IN (SELECT value FROM json_each(?))").run(names);
    return new Map(rows.map((row) => [row.hostname, row.state]));
  }

  ownedFingerprints(hostnames: readonly string[]): Map<string, string> {
    const rows = this.sqlite
      .query<{ hostname: string; fingerprint: string }, [string]>("SELECT hostname, fingerprint FROM target.entries WHERE hostname IN (SELECT value FROM json_each(?)) AND owned = 1 AND fingerprint IS NOT NULL")
      .all(JSON.stringify(hostnames));
    return new Map(rows.map((row) => [row.hostname, row.fingerprint]));
  }

  untakenOwned(after: string, limit: number): { hostname: string; state: string }[] {
    return this.sqlite
      .query<{ hostname: string; state: string }, [string, number]>("SELECT hostname, state FROM target.entries WHERE owned = 1 AND taken = 0 AND hostname > ? ORDER BY hostname LIMIT ?")
      .all(after, limit);
  }

  ownedCounts(): { owned: number; untaken: number } {
    const row = this.sqlite.query<{ owned: number; untaken: number | null }, []>("SELECT count(*) AS owned, sum(taken = 0) AS untaken FROM target.entries WHERE owned = 1").get()!;
    return { owned: row.owned, untaken: row.untaken ?? 0 };
  }

  close(): void {
    this.sqlite.close();
  }
}
