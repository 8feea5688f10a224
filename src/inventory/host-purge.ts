import type { Database } from "bun:sqlite";
import { LabelIndexChanges } from "./label-index.ts";
import type { FlatMap } from "./maps.ts";

/** What a purge removed (or, in a dry run, would remove). */
export interface PurgeResult {
  /** The purged hosts' names, sorted. */
  hostnames: string[];
  /** Their change-log entries, removed with them. */
  changes: number;
}

/**
 * Removes for good the hosts soft-deleted before `before` (Unix ms): their rows, change logs and
 * last-seen times, and their ids in the label index. One transaction; a host restored meanwhile by an
 * import is not deleted any more, so it is not touched. `dryRun` only counts.
 */
export function purgeDeletedHosts(sqlite: Database, before: number, options: { dryRun?: boolean } = {}): PurgeResult {
  return sqlite
    .transaction(() => {
      const rows = sqlite
        .query<{ id: number; hostname: string; labels: string }, [number]>("SELECT id, hostname, labels FROM hosts WHERE deleted_at IS NOT NULL AND deleted_at < ? ORDER BY hostname")
        .all(before);
      if (rows.length === 0) return { hostnames: [], changes: 0 };
      const ids = JSON.stringify(rows.map((row) => row.id));
      const { changes } = sqlite.query<{ changes: number }, [string]>("SELECT count(*) AS changes FROM host_changes WHERE host_id IN (SELECT value FROM json_each(?))").get(ids)!;
      if (!options.dryRun) {
        // Soft-deleted hosts stay in the label index (queries filter them); purged ones leave it.
        const index = new LabelIndexChanges();
        for (const row of rows) index.remove(row.id, JSON.parse(row.labels) as FlatMap);
        index.apply(sqlite);
        // host_changes and host_seen go with their host (ON DELETE CASCADE).
        sqlite.query<never, [string]>("DELETE FROM hosts WHERE id IN (SELECT value FROM json_each(?))").run(ids);
      }
      return { hostnames: rows.map((row) => row.hostname), changes };
    })
    .immediate();
}
