import type { Context } from "hono";
import { clientAddress, clientKey } from "./client-address.ts";

export interface FailedAuthLimiterOptions {
  /** Failed attempts a client may make within `windowMs`; then every request of it is refused until the oldest ages out. */
  maxFailures?: number;
  windowMs?: number;
  /** Most clients remembered; past it the expired ones are dropped, then the least recently failing. */
  maxClients?: number;
  /** Read the client's address from X-Forwarded-For (only behind a proxy that sets it). Default off. */
  trustProxy?: boolean;
  /** The clock, in Unix ms; tests move it. */
  now?: () => number;
}

/**
 * Counts failed authentications per client in a sliding window, so guessing tokens gets nowhere:
 * after `maxFailures` failures within `windowMs` the client is refused, even with a correct token,
 * until the oldest of those failures is older than the window. Successes are not counted.
 * Memory stays bounded: at most `maxFailures` times per client and `maxClients` clients.
 */
export class FailedAuthLimiter {
  readonly maxFailures: number;
  readonly windowMs: number;
  private readonly maxClients: number;
  private readonly trustProxy: boolean;
  private readonly now: () => number;
  /** Failure times per client, oldest first; the map in least-recently-failing-first order. */
  private readonly failures = new Map<string, number[]>();
  private lastSweep: number;

  constructor(options: FailedAuthLimiterOptions = {}) {
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxClients = options.maxClients ?? 10_000;
    this.trustProxy = options.trustProxy ?? false;
    this.now = options.now ?? Date.now;
    this.lastSweep = this.now();
  }

  /** The key a request's failures are counted under. */
  clientOf(c: Context): string {
    return clientKey(clientAddress(c, this.trustProxy));
  }

  /** Whole seconds until the request's client may try again; 0 when it may now. Cheap while no client has failed: the address is not even looked up. */
  retryAfterFor(c: Context): number {
    return this.failures.size === 0 ? 0 : this.retryAfterSeconds(this.clientOf(c));
  }

  /** Whole seconds until `client` may try again; 0 when it may now. */
  retryAfterSeconds(client: string): number {
    const times = this.recent(client, this.now());
    if (!times || times.length < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((times[0]! + this.windowMs - this.now()) / 1000));
  }

  recordFailure(client: string): void {
    const now = this.now();
    const times = this.recent(client, now) ?? [];
    times.push(now);
    if (times.length > this.maxFailures) times.splice(0, times.length - this.maxFailures);
    // Re-inserted at the end: the map's first entries are the ones to evict first.
    this.failures.delete(client);
    this.failures.set(client, times);
    if (this.failures.size > this.maxClients || now - this.lastSweep >= this.windowMs) this.sweep(now);
  }

  /** Clients currently remembered (for tests and metrics). */
  get size(): number {
    return this.failures.size;
  }

  /** The client's failures still within the window (older ones dropped), or undefined when none are. */
  private recent(client: string, now: number): number[] | undefined {
    const times = this.failures.get(client);
    if (!times) return undefined;
    while (times.length > 0 && times[0]! <= now - this.windowMs) times.shift();
    if (times.length > 0) return times;
    this.failures.delete(client);
    return undefined;
  }

  /** Drops every expired client, then, if still over the cap, the least recently failing ones. */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const client of [...this.failures.keys()]) this.recent(client, now);
    for (const client of this.failures.keys()) {
      if (this.failures.size <= this.maxClients) break;
      this.failures.delete(client);
    }
  }
}
