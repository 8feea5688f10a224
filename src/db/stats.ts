/** Counts read at scrape time for /metrics. */
export interface StatsRepository {
  /** Live (not deleted) hosts per owning account; null: hosts without one. */
  liveHostsByAccount(): { account: string | null; hosts: number }[];
}
