/**
 * The event log's vocabulary, known to every layer: the daemon's event types, and the patterns readers
 * and subscribers choose events by. Plugins' own events are `plugin.<ident>.<name>`.
 */

export const EVENT_TYPES = [
  "run.started",
  "run.finished",
  "run.failed",
  "job.finished",
  "job.failed",
  "host.created",
  "host.changed",
  "host.deleted",
  "host.lifecycle",
  "config.reloaded",
  "config.reload_failed",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An event type (the daemon's, or a plugin's plugin.<ident>.<name>), or a prefix ending in `.*`, or `*` for every event. */
export const EVENT_PATTERN = /^(\*|[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*(\.\*)?)$/;
export const EVENT_PATTERN_RULE = 'an event type such as "run.failed", a prefix such as "run.*", or "*"';

/** The type a plugin's event is kept under: its name as the plugin gave it, without a leading `<ident>.`. */
export function pluginEventType(ident: string, name: string): string {
  return `plugin.${ident}.${name.startsWith(`${ident}.`) ? name.slice(ident.length + 1) : name}`;
}

/** Whether `type` is chosen by `pattern`. */
export function eventMatches(pattern: string, type: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith(".*")) return type.startsWith(pattern.slice(0, -1));
  return type === pattern;
}

/** One event as readers see it. `at` is Unix ms. */
export interface EventRecord {
  id: number;
  type: string;
  at: number;
  plugin: string | null;
  account: string | null;
  runId: number | null;
  data: unknown;
}

/** An event as JSON: what the CLI prints, the API answers and subscribers receive. */
export function eventJson(event: EventRecord) {
  return { id: event.id, type: event.type, at: new Date(event.at).toISOString(), plugin: event.plugin, account: event.account, run_id: event.runId, data: event.data };
}
export type EventJson = ReturnType<typeof eventJson>;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A `since` as readers write it: a duration back from `now` ("90s", "15m", "2h", "7d") or a moment
 * (ISO 8601, e.g. "2026-12-01T08:00:00Z"); Unix ms. Undefined when it is neither.
 */
export function parseSince(text: string, now: number): number | undefined {
  const duration = /^(\d{1,9})([smhd])$/.exec(text.trim());
  if (duration) return now - Number(duration[1]) * UNIT_MS[duration[2]!]!;
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : at;
}

/** Comma-separated types and patterns; the first that is neither, or undefined when all are. */
export function invalidPattern(patterns: readonly string[]): string | undefined {
  return patterns.find((pattern) => !EVENT_PATTERN.test(pattern));
}

export const splitPatterns = (text: string): string[] =>
  text
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
