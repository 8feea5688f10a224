import type { Database, Statement } from "bun:sqlite";
import type { LifecycleState } from "../../core/hosts.ts";
import type { StatsRepository } from "../stats.ts";
import { NO_OWNER } from "./host-counts.ts";

/** Reads host_counts, which every write of hosts keeps (src/db/sqlite/host-counts.ts): a few rows, however large the inventory. */
export class SqliteStatsRepository implements StatsRepository {
  private readonly counts: Statement<{ account: string; lifecycle: LifecycleState; hosts: number }, []>;

  constructor(private readonly sqlite: Database) {
    this.counts = sqlite.query("SELECT account, lifecycle, hosts FROM host_counts WHERE hosts > 0 ORDER BY account, lifecycle");
  }

  /** Job runs are few (one per job and schedule tick, trimmed by [retention]): a scan at scrape time. */
  lastSuccessfulJobRuns(): { job: string; finishedAt: number }[] {
    return this.sqlite.query<{ job: string; finishedAt: number }, []>("SELECT job, max(finished_at) AS finishedAt FROM job_runs WHERE status = 'ok' GROUP BY job ORDER BY job").all();
  }

  liveHosts(): { account: string | null; lifecycle: LifecycleState; hosts: number }[] {
    return this.counts.all().map((row) => ({ ...row, account: row.account === NO_OWNER ? null : row.account }));
  }

  liveHostsByAccount(): { account: string | null; hosts: number }[] {
    const byAccount = new Map<string | null, number>();
    for (const row of this.liveHosts()) byAccount.set(row.account, (byAccount.get(row.account) ?? 0) + row.hosts);
    return [...byAccount].map(([account, hosts]) => ({ account, hosts }));
  }
}
