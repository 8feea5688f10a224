import type { EventRecord } from "../core/events.ts";

/** An event to record: the daemon's own (plugin null) or one a plugin emitted (host function event_emit). */
export interface NewEvent {
  type: string;
  data: unknown;
  plugin?: string | null;
  account?: string | null;
  runId?: number | null;
  /** Unix ms. */
  at: number;
}

/** Which events to read, in id order. */
export interface EventFilter {
  /** Only events after this id (the cursor). */
  after?: number;
  /** Only events up to this id. */
  upTo?: number;
  /** Types and prefix patterns (src/core/events.ts); none or empty: every type. */
  types?: readonly string[];
  /** Only events at or after this time (Unix ms). */
  since?: number;
  /** The newest `limit` matching events (still answered in id order) instead of the oldest. */
  newest?: boolean;
  limit: number;
}

/** The event log. Events are written in the transaction of the change they describe (Storage.transaction). */
export interface EventRepository {
  /** Records an event; its id. */
  emit(event: NewEvent): number;
  /** Matching events in id order. */
  list(filter: EventFilter): EventRecord[];
  /**
   * Matching events in id order as one JSON array of eventJson's shape (src/core/events.ts), made from the
   * stored text without parsing it: what subscribers are sent. Only `after`, `upTo`, `types` and `limit` apply.
   */
  batch(filter: EventFilter): EventBatch;
  /** The id of the newest event; 0 when there is none. */
  latestId(): number;
  /** When the first matching event after `after` happened (Unix ms); undefined when there is none. */
  firstAfter(after: number, types?: readonly string[]): number | undefined;
}

/** Events as one JSON array (UTF-8 text), how many, and the first and last ids (0 when empty). */
export interface EventBatch {
  json: string;
  count: number;
  first: number;
  last: number;
}

export const SUBSCRIBER_STATES = ["active", "dead_letter"] as const;
export type SubscriberState = (typeof SUBSCRIBER_STATES)[number];

/** How far a subscriber (plugin or webhook) got. */
export interface SubscriberRecord {
  name: string;
  /** The id of the last event delivered or passed over. */
  cursor: number;
  state: SubscriberState;
  /** Failed attempts since the last success. */
  failures: number;
  lastError: { kind: string; message: string; at: number } | null;
  delivered: number;
  lastDeliveredAt: number | null;
}

/** Subscribers' durable cursors and delivery state. */
export interface SubscriberRepository {
  get(name: string): SubscriberRecord | undefined;
  list(): SubscriberRecord[];
  /** The subscriber, recorded with its cursor at `cursor` (new subscribers hear what happens from now on) when it is not yet. */
  ensure(name: string, cursor: number): SubscriberRecord;
  /** Moves the cursor on after a success (counting `delivered` events); failures go back to 0. */
  advance(name: string, cursor: number, delivered: number, at: number): void;
  /** Records a failed attempt; `deadLetter` stops delivery until resumed. */
  fail(name: string, error: { kind: string; message: string }, at: number, deadLetter: boolean): void;
  /** Back to active after a dead letter, failures at 0; false when there is no such subscriber. */
  resume(name: string): boolean;
  /** Removes the subscriber and its cursor; false when there is no such subscriber. */
  forget(name: string): boolean;
}
