import type { Database } from "bun:sqlite";
import type { EventRecord } from "../../core/events.ts";
import type { EventBatch, EventFilter, EventRepository, NewEvent, SubscriberRecord, SubscriberRepository } from "../events.ts";

/** One event's insert: type, data (JSON text), plugin, account, run id, time. */
export const INSERT_EVENT_SQL = "INSERT INTO events (type, data, plugin, account, run_id, created_at) VALUES (?, ?, ?, ?, ?, ?)";

type EventRow = { id: number; type: string; data: string; plugin: string | null; account: string | null; run_id: number | null; created_at: number };
type Param = string | number;

/** The SQL condition choosing `types` (exact types and `prefix.*` patterns; `*` is every type), and its parameters. */
function typeCondition(types: readonly string[] | undefined): { sql: string; params: Param[] } {
  if (!types || types.length === 0 || types.includes("*")) return { sql: "1", params: [] };
  const parts: string[] = [];
  const params: Param[] = [];
  for (const type of types) {
    // Patterns are checked against EVENT_PATTERN: no GLOB metacharacter but the final `*`.
    parts.push(type.endsWith(".*") ? "type GLOB ?" : "type = ?");
    params.push(type);
  }
  return { sql: `(${parts.join(" OR ")})`, params };
}

const recordOf = (row: EventRow): EventRecord => ({
  id: row.id,
  type: row.type,
  at: row.created_at,
  plugin: row.plugin,
  account: row.account,
  runId: row.run_id,
  data: JSON.parse(row.data) as unknown,
});

export class SqliteEventRepository implements EventRepository {
  constructor(private readonly sqlite: Database) {}

  emit(event: NewEvent): number {
    const { lastInsertRowid } = this.sqlite
      .query<never, [string, string, string | null, string | null, number | null, number]>(INSERT_EVENT_SQL)
      .run(event.type, JSON.stringify(event.data ?? null), event.plugin ?? null, event.account ?? null, event.runId ?? null, event.at);
    return Number(lastInsertRowid);
  }

  list(filter: EventFilter): EventRecord[] {
    const { sql: types, params } = typeCondition(filter.types);
    let after = filter.after ?? 0;
    // Events are written in time order, near enough: the scan by id starts at the first one of `since`.
    if (filter.since !== undefined) after = Math.max(after, (this.sqlite.query<{ id: number }, [number]>("SELECT id FROM events INDEXED BY events_created_at_idx WHERE created_at >= ? ORDER BY created_at LIMIT 1").get(filter.since)?.id ?? Number.MAX_SAFE_INTEGER) - 1);
    const where = [types, "id > ?", "id <= ?", "created_at >= ?"];
    const all = [...params, after, filter.upTo ?? Number.MAX_SAFE_INTEGER, filter.since ?? 0, filter.limit];
    // By the primary key: the cursor bounds the scan, the type index would need a sort.
    const rows = this.sqlite
      .query<EventRow, Param[]>(`SELECT id, type, data, plugin, account, run_id, created_at FROM events NOT INDEXED WHERE ${where.join(" AND ")} ORDER BY id ${filter.newest ? "DESC" : ""} LIMIT ?`)
      .all(...all);
    if (filter.newest) rows.reverse();
    return rows.map(recordOf);
  }

  /**
   * SQLite writes the array: each event's JSON spliced from its columns and its stored data text, the time
   * as ISO 8601 from the integer milliseconds (exact, as Date.toISOString writes it). The aggregate takes the
   * rows in the order the subquery gives them (a LIMIT subquery is not flattened into its aggregate).
   */
  batch(filter: EventFilter): EventBatch {
    const { sql: types, params } = typeCondition(filter.types);
    const event = `'{"id":' || id || ',"type":' || json_quote(type) || ',"at":"' || strftime('%Y-%m-%dT%H:%M:%S', created_at / 1000, 'unixepoch') || '.' || printf('%03d', created_at % 1000) || 'Z","plugin":' || json_quote(plugin) || ',"account":' || json_quote(account) || ',"run_id":' || ifnull(run_id, 'null') || ',"data":' || data || '}'`;
    const row = this.sqlite
      .query<{ json: string; count: number; first: number | null; last: number | null }, Param[]>(
        `SELECT '[' || ifnull(group_concat(event, ','), '') || ']' AS json, count(*) AS count, min(id) AS first, max(id) AS last
         FROM (SELECT id, ${event} AS event FROM events NOT INDEXED WHERE ${types} AND id > ? AND id <= ? ORDER BY id LIMIT ?)`,
      )
      .get(...params, filter.after ?? 0, filter.upTo ?? Number.MAX_SAFE_INTEGER, filter.limit)!;
    return { json: row.json, count: row.count, first: row.first ?? 0, last: row.last ?? 0 };
  }

  latestId(): number {
    return this.sqlite.query<{ id: number | null }, []>("SELECT max(id) AS id FROM events").get()?.id ?? 0;
  }

  firstAfter(after: number, types?: readonly string[]): number | undefined {
    const { sql: condition, params } = typeCondition(types);
    return this.sqlite.query<{ at: number }, Param[]>(`SELECT created_at AS at FROM events NOT INDEXED WHERE id > ? AND ${condition} ORDER BY id LIMIT 1`).get(after, ...params)?.at;
  }
}

type SubscriberRow = {
  name: string;
  cursor: number;
  state: SubscriberRecord["state"];
  failures: number;
  last_error_kind: string | null;
  last_error_message: string | null;
  last_error_at: number | null;
  delivered: number;
  last_delivered_at: number | null;
};

const subscriberOf = (row: SubscriberRow): SubscriberRecord => ({
  name: row.name,
  cursor: row.cursor,
  state: row.state,
  failures: row.failures,
  lastError: row.last_error_kind === null ? null : { kind: row.last_error_kind, message: row.last_error_message ?? "", at: row.last_error_at ?? 0 },
  delivered: row.delivered,
  lastDeliveredAt: row.last_delivered_at,
});

export class SqliteSubscriberRepository implements SubscriberRepository {
  constructor(private readonly sqlite: Database) {}

  get(name: string): SubscriberRecord | undefined {
    const row = this.sqlite.query<SubscriberRow, [string]>("SELECT * FROM event_subscribers WHERE name = ?").get(name);
    return row ? subscriberOf(row) : undefined;
  }

  list(): SubscriberRecord[] {
    return this.sqlite.query<SubscriberRow, []>("SELECT * FROM event_subscribers ORDER BY name").all().map(subscriberOf);
  }

  ensure(name: string, cursor: number): SubscriberRecord {
    this.sqlite.query("INSERT INTO event_subscribers (name, cursor) VALUES (?, ?) ON CONFLICT (name) DO NOTHING").run(name, cursor);
    return this.get(name)!;
  }

  advance(name: string, cursor: number, delivered: number, at: number): void {
    this.sqlite
      .query("UPDATE event_subscribers SET cursor = max(cursor, ?2), failures = 0, delivered = delivered + ?3, last_delivered_at = iif(?3 > 0, ?4, last_delivered_at) WHERE name = ?1")
      .run(name, cursor, delivered, at);
  }

  fail(name: string, error: { kind: string; message: string }, at: number, deadLetter: boolean): void {
    this.sqlite
      .query(
        "UPDATE event_subscribers SET failures = failures + 1, last_error_kind = ?2, last_error_message = ?3, last_error_at = ?4, state = iif(?5, 'dead_letter', state) WHERE name = ?1",
      )
      .run(name, error.kind, error.message, at, deadLetter ? 1 : 0);
  }

  resume(name: string): boolean {
    return this.sqlite.query("UPDATE event_subscribers SET state = 'active', failures = 0 WHERE name = ?").run(name).changes > 0;
  }

  forget(name: string): boolean {
    return this.sqlite.query("DELETE FROM event_subscribers WHERE name = ?").run(name).changes > 0;
  }
}
