import type { HostRow } from "../db/hosts.ts";

/** A time as ISO 8601, or null. */
export const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** A host as JSON, as the CLI and the API answer it. */
export function hostJson(host: HostRow) {
  return {
    hostname: host.hostname,
    account: host.account,
    labels: host.labels,
    inventory: host.inventory,
    lifecycle: host.lifecycle,
    first_seen: iso(host.firstSeen),
    last_seen: iso(host.lastSeen),
    last_changed: iso(host.lastChanged),
    deleted_at: iso(host.deletedAt),
    delete_reason: host.deleteReason,
  };
}

