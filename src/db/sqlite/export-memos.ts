import type { Database } from "bun:sqlite";
import type { ExportMemo, ExportMemoRepository } from "../export-memos.ts";

const READ_SQL = "SELECT hostname, input, fingerprint FROM export_memos WHERE target = ?";
// A run's memos in one statement each: the entries as one JSON array of [hostname, input, fingerprint].
const SET_SQL = `INSERT INTO export_memos (target, hostname, input, fingerprint)
  SELECT ?1, value ->> 0, value ->> 1, value ->> 2 FROM json_each(?2) WHERE true
  ON CONFLICT (target, hostname) DO UPDATE SET input = excluded.input, fingerprint = excluded.fingerprint`;
const PRUNE_SQL = `DELETE FROM export_memos WHERE target = ?1
  AND NOT EXISTS (SELECT 1 FROM hosts AS h WHERE h.hostname = export_memos.hostname AND h.deleted_at IS NULL AND h.lifecycle = 'active')`;

export class SqliteExportMemoRepository implements ExportMemoRepository {
  constructor(private readonly sqlite: Database) {}

  read(target: string): Map<string, ExportMemo> {
    const memos = new Map<string, ExportMemo>();
    for (const [hostname, input, fingerprint] of this.sqlite.query<[string, string, string], [string]>(READ_SQL).values(target) as [string, string, string][]) {
      memos.set(hostname, { input, fingerprint });
    }
    return memos;
  }

  count(target: string): number {
    return this.sqlite.query<{ n: number }, [string]>("SELECT count(*) AS n FROM export_memos WHERE target = ?").get(target)!.n;
  }

  write(target: string, set: readonly (ExportMemo & { hostname: string })[]): void {
    if (set.length === 0) return;
    this.sqlite.query<never, [string, string]>(SET_SQL).run(target, JSON.stringify(set.map((memo) => [memo.hostname, memo.input, memo.fingerprint])));
  }

  prune(target: string): void {
    this.sqlite.query<never, [string]>(PRUNE_SQL).run(target);
  }
}
