import type { Database, Statement } from "bun:sqlite";
import type { AnswerCacheRepository, CachedAnswer } from "../answer-cache.ts";

export class SqliteAnswerCacheRepository implements AnswerCacheRepository {
  private readonly find: Statement<{ body: Uint8Array; facts: string }, [string, string]>;
  private readonly upsert: Statement<unknown, [string, string, Uint8Array, string, number]>;
  // The keys arrive as one JSON array: a render of many pages passes no more bound parameters than SQLite takes.
  private readonly prune: Statement<unknown, [string, string]>;

  constructor(sqlite: Database) {
    this.find = sqlite.query("SELECT body, facts FROM answer_cache WHERE scope = ? AND key = ?");
    this.upsert = sqlite.query(
      "INSERT INTO answer_cache (scope, key, body, facts, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope, key) DO UPDATE SET body = excluded.body, facts = excluded.facts, created_at = excluded.created_at",
    );
    this.prune = sqlite.query("DELETE FROM answer_cache WHERE scope = ? AND key NOT IN (SELECT value FROM json_each(?))");
  }

  get(scope: string, key: string): CachedAnswer | undefined {
    return this.find.get(scope, key) ?? undefined;
  }

  put(scope: string, key: string, answer: CachedAnswer, now: number): void {
    this.upsert.run(scope, key, answer.body, answer.facts, now);
  }

  keepOnly(scope: string, keys: readonly string[]): number {
    return this.prune.run(scope, JSON.stringify(keys)).changes;
  }
}
