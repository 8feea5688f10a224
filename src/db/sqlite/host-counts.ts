import type { Database } from "bun:sqlite";
import type { LifecycleState } from "../../core/hosts.ts";

/** host_counts' key for hosts without an owner: no account may be named ''. */
export const NO_OWNER = "";

/** Live hosts per owner and lifecycle as a full count makes them: to fill host_counts, and to check it. */
export const RECOUNT_SQL = "SELECT ifnull(account, '') AS account, lifecycle, count(*) AS hosts FROM hosts WHERE deleted_at IS NULL GROUP BY 1, 2";

/**
 * Changes to host_counts (live hosts per owner and lifecycle) collected over one write and applied inside
 * its transaction: a few rows written per write, however many hosts it touched.
 */
export class HostCountChanges {
  private readonly deltas = new Map<string, { account: string; lifecycle: string; delta: number }>();

  add(account: string | null, lifecycle: LifecycleState | string, delta: number): void {
    if (delta === 0) return;
    const key = `${account ?? NO_OWNER}\u0000${lifecycle}`;
    const entry = this.deltas.get(key);
    if (entry) entry.delta += delta;
    else this.deltas.set(key, { account: account ?? NO_OWNER, lifecycle, delta });
  }

  /** Adds every row of `rows` ({account, lifecycle, hosts}) with `sign`. */
  addRows(rows: Iterable<{ account: string | null; lifecycle: string; hosts: number }>, sign: 1 | -1): void {
    for (const row of rows) this.add(row.account, row.lifecycle, sign * row.hosts);
  }

  apply(sqlite: Database): void {
    const upsert = sqlite.query<never, [string, string, number]>(
      "INSERT INTO host_counts (account, lifecycle, hosts) VALUES (?1, ?2, ?3) ON CONFLICT (account, lifecycle) DO UPDATE SET hosts = hosts + excluded.hosts",
    );
    for (const { account, lifecycle, delta } of this.deltas.values()) if (delta !== 0) upsert.run(account, lifecycle, delta);
    sqlite.run("DELETE FROM host_counts WHERE hosts = 0");
    this.deltas.clear();
  }
}
