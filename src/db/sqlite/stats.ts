import type { Database, Statement } from "bun:sqlite";
import type { LifecycleState } from "../../core/hosts.ts";
import type { StatsRepository } from "../stats.ts";
import { NO_OWNER } from "./host-counts.ts";

/** Reads host_counts, which every write of hosts keeps (src/db/sqlite/host-counts.ts): a few rows, however large the inventory. */
export class SqliteStatsRepository implements StatsRepository {
  private readonly counts: Statement<{ account: string; lifecycle: LifecycleState; hosts: number }, []>;

  constructor(sqlite: Database) {
    this.counts = sqlite.query("SELECT account, lifecycle, hosts FROM host_counts WHERE hosts > 0 ORDER BY account, lifecycle");
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
