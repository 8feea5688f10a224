import type { Database, Statement } from "bun:sqlite";
import type { StatsRepository } from "../stats.ts";

export class SqliteStatsRepository implements StatsRepository {
  private readonly hostsByAccount: Statement<{ account: string | null; hosts: number }, []>;

  constructor(sqlite: Database) {
    this.hostsByAccount = sqlite.query("SELECT account, count(*) AS hosts FROM hosts WHERE deleted_at IS NULL GROUP BY account");
  }

  liveHostsByAccount(): { account: string | null; hosts: number }[] {
    return this.hostsByAccount.all();
  }
}
