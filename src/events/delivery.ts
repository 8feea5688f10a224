import type { EventsConfig } from "../config/schema.ts";
import { asSyncerError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { redact } from "../core/redact.ts";
import type { EventBatch } from "../db/events.ts";
import type { Storage } from "../db/storage.ts";

/** How often a subscriber with nothing to do looks for new events (other processes write them too: CLI runs). */
const POLL_MS = 200;

/** What one delivery attempt came to. */
export type DeliveryResult = { ok: true } | { ok: false; error: { kind: string; message: string } };

/** Someone who hears events: a subscriber plugin or a webhook. */
export interface Subscriber {
  /** plugin:<ident> or webhook:<name>: the name of its cursor. */
  name: string;
  /** Types and prefix patterns it hears. */
  patterns: readonly string[];
  batchSize: number;
  /** Hands over a batch (a JSON array of events in id order); resolves, never rejects. */
  deliver(batch: EventBatch): Promise<DeliveryResult>;
}

/** What /metrics hears of deliveries. */
export interface DeliveryObserver {
  delivered(subscriber: string, events: number): void;
  failed(subscriber: string, kind: string): void;
}

/** A subscriber's place as /metrics shows it. */
export interface DeliveryStatus {
  name: string;
  /** Seconds since the oldest event it has not had yet was recorded; 0 when it has them all. */
  lagSeconds: number;
  deadLetter: boolean;
}

/**
 * Delivers the event log to its subscribers from the daemon, in the background: each subscriber has a
 * loop of its own that reads the next batch of the events it hears after its durable cursor, hands it
 * over, and moves the cursor on only once the batch was taken (at least once, in order). A failure is
 * retried after a backoff that doubles up to [events] retry_max_seconds; after max_attempts failures in
 * a row the subscriber is dead-lettered, and waits, cursor in place, until resumed. Nothing here is in
 * the path of a run: runs write events and go on; a slow or failing subscriber delays only itself.
 */
export class EventDelivery {
  private readonly current = new Map<string, Subscriber>();
  private readonly loops = new Map<string, Promise<void>>();
  private readonly sleepers = new Set<() => void>();
  private stopped = false;

  constructor(
    private readonly storage: Pick<Storage, "events" | "subscribers">,
    private readonly settings: () => EventsConfig,
    private readonly log: Logger,
    private readonly observer: DeliveryObserver = { delivered: () => {}, failed: () => {} },
  ) {}

  /** Delivers to these subscribers from now on (a reload's): new ones start, removed ones stop after the batch in hand. */
  apply(subscribers: Subscriber[]): void {
    if (this.stopped) return;
    this.current.clear();
    for (const subscriber of subscribers) this.current.set(subscriber.name, subscriber);
    for (const name of this.current.keys()) {
      if (this.loops.has(name)) continue;
      const loop = this.run(name).finally(() => this.loops.delete(name));
      this.loops.set(name, loop);
    }
    this.wake();
  }

  /** Wakes the loops waiting for events (this process just wrote some). */
  wake(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  /** Each subscriber's lag and state, read at scrape time. */
  status(now = Date.now()): DeliveryStatus[] {
    return [...this.current.values()].flatMap((subscriber) => {
      const record = this.storage.subscribers.get(subscriber.name);
      if (!record) return [];
      const oldest = this.storage.events.firstAfter(record.cursor, subscriber.patterns);
      return [{ name: subscriber.name, lagSeconds: oldest === undefined ? 0 : Math.max(0, now - oldest) / 1000, deadLetter: record.state === "dead_letter" }];
    });
  }

  /** Stops every loop; waits for the batches in hand up to `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopped = true;
    this.current.clear();
    this.wake();
    await Promise.race([Promise.all(this.loops.values()), Bun.sleep(graceMs)]);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  private async run(name: string): Promise<void> {
    try {
      // A subscriber new to this database hears what happens from now on, not the whole history.
      this.storage.subscribers.ensure(name, this.storage.events.latestId());
      let retryAt = 0;
      for (;;) {
        const subscriber = this.current.get(name);
        if (this.stopped || !subscriber) return;
        const wait = retryAt - Date.now();
        if (wait > 0) {
          await this.sleep(wait);
          continue;
        }
        const outcome = await this.step(subscriber);
        if (outcome === "idle") await this.sleep(POLL_MS);
        else if (outcome === "failed") retryAt = Date.now() + this.backoffMs(this.storage.subscribers.get(name)?.failures ?? 1);
        else retryAt = 0;
      }
    } catch (error) {
      // The database itself failed: say so; the next reload or start begins again from the cursor.
      this.log.error(`event delivery to ${name} stopped: ${asSyncerError(error).message}`, { subscriber: name });
    }
  }

  /** One batch: delivered, nothing to do (idle), or failed. */
  private async step(subscriber: Subscriber): Promise<"delivered" | "idle" | "failed"> {
    const { events, subscribers } = this.storage;
    // Forgotten meanwhile (syncer events subscribers forget): it starts again from the newest event.
    const record = subscribers.get(subscriber.name) ?? subscribers.ensure(subscriber.name, events.latestId());
    if (record.state === "dead_letter") return "idle";
    const upTo = events.latestId();
    if (upTo <= record.cursor) return "idle";
    const batch = events.batch({ after: record.cursor, upTo, types: subscriber.patterns, limit: subscriber.batchSize });
    // A batch short of the limit holds every subscribed event up to `upTo`: the cursor passes the rest.
    const cursor = batch.count < subscriber.batchSize ? upTo : batch.last;
    if (batch.count === 0) {
      subscribers.advance(subscriber.name, cursor, 0, Date.now());
      return "idle";
    }
    const result = await subscriber.deliver(batch);
    if (result.ok) {
      subscribers.advance(subscriber.name, cursor, batch.count, Date.now());
      this.observer.delivered(subscriber.name, batch.count);
      return "delivered";
    }
    const error = { kind: result.error.kind, message: redact(result.error.message) };
    const failures = record.failures + 1;
    const deadLetter = failures >= this.settings().max_attempts;
    subscribers.fail(subscriber.name, error, Date.now(), deadLetter);
    this.observer.failed(subscriber.name, error.kind);
    const fields = { subscriber: subscriber.name, events: `${batch.first}-${batch.last}`, failures, kind: error.kind };
    if (deadLetter) this.log.error(`event delivery to ${subscriber.name} dead-lettered after ${failures} failures: ${error.message} (resume: syncer events subscribers resume ${subscriber.name})`, fields);
    else this.log.warn(`event delivery to ${subscriber.name} failed, retrying: ${error.message}`, fields);
    return "failed";
  }

  /** Doubling from retry_seconds, at most retry_max_seconds, with up to a tenth of jitter so retries of many subscribers spread. */
  private backoffMs(failures: number): number {
    const { retry_seconds, retry_max_seconds } = this.settings();
    const seconds = Math.min(retry_max_seconds, retry_seconds * 2 ** Math.max(0, failures - 1));
    return seconds * 1000 * (1 + Math.random() * 0.1);
  }
}
