/** Plain facts about hosts that every layer may know. */

/**
 * The owner of hosts created by hand (API or CLI writes without an account), as CMDBSyncer's hosts
 * created in its UI. No account may take this name, so no import's delete_missing ever reaches these
 * hosts; only a master account takes them over.
 */
export const MANUAL_OWNER = "manual";

/** Where a host is in its life; only active hosts are exported. */
export const LIFECYCLE_STATES = ["planned", "staged", "active", "decommissioned", "archived"] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];
