import type { SubscriberRecord } from "../db/events.ts";

/** A subscriber as JSON: what `syncer events subscribers --json` prints and the API answers. `latest`: the newest event's id. */
export function subscriberJson(row: SubscriberRecord, latest: number) {
  const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());
  return {
    name: row.name,
    state: row.state,
    cursor: row.cursor,
    behind: Math.max(0, latest - row.cursor),
    delivered: row.delivered,
    last_delivered_at: iso(row.lastDeliveredAt),
    failures: row.failures,
    last_error: row.lastError && { kind: row.lastError.kind, message: row.lastError.message, at: iso(row.lastError.at) },
  };
}
