import { invalidPattern, parseSince, splitPatterns } from "../core/events.ts";
import { SyncerError } from "../core/errors.ts";
import type { EventFilter } from "../db/events.ts";

/** A reader's question as the CLI's flags and the API's query give it. */
export interface EventQuery {
  /** Comma-separated types and patterns ("run.*,host.deleted"). */
  type?: string;
  /** A duration back ("2h") or an ISO moment. */
  since?: string;
  /** The cursor: events after this id. */
  after?: number;
  limit: number;
}

/** The filter a query asks for at `now`; a usage error naming the part that is wrong. */
export function eventFilter(query: EventQuery, now: number): EventFilter {
  const types = query.type === undefined ? undefined : splitPatterns(query.type);
  const wrong = types && invalidPattern(types);
  if (wrong !== undefined) throw new SyncerError("usage", `type ${JSON.stringify(wrong)}: not an event type or pattern (write "run.failed", "run.*" or "*")`);
  let since: number | undefined;
  if (query.since !== undefined) {
    since = parseSince(query.since, now);
    if (since === undefined) throw new SyncerError("usage", `since ${JSON.stringify(query.since)}: write a duration such as "15m", "2h", "7d", or a time such as "2026-12-01T08:00:00Z"`);
  }
  return { types, since, after: query.after, limit: query.limit };
}
