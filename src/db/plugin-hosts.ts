import type { LifecycleState } from "../core/hosts.ts";

/** What a plugin reads of a host (host function hosts_read). */
export interface PluginHostView {
  hostname: string;
  account: string | null;
  labels: Record<string, string>;
  inventory: Record<string, unknown>;
  lifecycle: LifecycleState;
}

/** Which live (not deleted) hosts to read, by hostname. */
export interface PluginHostQuery {
  hostnames?: string[];
  account?: string;
  /** Only hostnames after this one. */
  after?: string;
  limit: number;
}

/** The hosts as plugins read them: live hosts in pages by hostname. */
export interface PluginHostRepository {
  /** Up to `limit` hosts in hostname order; `next` is the last one's hostname when more follow, else null. */
  page(query: PluginHostQuery): { hosts: PluginHostView[]; next: string | null };
}
