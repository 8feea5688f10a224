import type { LifecycleState } from "../core/hosts.ts";

/** Counts of the inventory, read without counting it: the overview page and /metrics. */
export interface StatsRepository {
  /** Live (not deleted) hosts per owning account and lifecycle; account null: hosts without one. */
  liveHosts(): { account: string | null; lifecycle: LifecycleState; hosts: number }[];
  /** Live hosts per owning account; null: hosts without one. */
  liveHostsByAccount(): { account: string | null; hosts: number }[];
  /** Each job's newest run that finished ok: when it finished (Unix ms). Jobs without one are left out. */
  lastSuccessfulJobRuns(): { job: string; finishedAt: number }[];
}
