import type { Database } from "bun:sqlite";

/**
 * The host events of a run's write (host.created, host.changed with its change-log entry, host.deleted),
 * made by one INSERT … SELECT from the staging inside the write's transaction: an event exists exactly
 * when its change was committed, and a 100k-host import writes its events in one statement, the JSON
 * spliced from the staged text without parsing it. In staging order (the source's, deletions last).
 * `table`: the staging's table; its action codes are create 0, update 1, delete 4 (host-staging.ts).
 */
export function writeHostEvents(sqlite: Database, table: string, runId: number | null, now: number): void {
  // The owner is the event's account, not repeated in its data.
  const head = `'{"hostname":' || json_quote(hostname)`;
  sqlite.run(
    `INSERT INTO main.events (type, data, plugin, account, run_id, created_at)
       SELECT CASE action WHEN 0 THEN 'host.created' WHEN 1 THEN 'host.changed' ELSE 'host.deleted' END,
         CASE action
           WHEN 0 THEN ${head} || ',"labels":' || labels || '}'
           WHEN 1 THEN ${head} || ',"changes":' || changes || '}'
           ELSE ${head} || ',"reason":' || json_quote(reason) || '}' END,
         NULL, iif(action = 4, old_account, account), ?1, ?2
       FROM ${table} WHERE action IN (0, 1, 4) ORDER BY seq`,
    [runId, now],
  );
}
