import type { Database } from "bun:sqlite";
import type { HostMap } from "../hosts.ts";

/**
 * Changes to label_index (label → host ids) collected over a run and applied once at its end, inside
 * its transaction: each touched posting list is read, changed and written back a single time.
 */
export class LabelIndexChanges {
  private readonly pending = new Map<string, { key: string; value: string; add: number[]; remove: Set<number> }>();

  private entry(key: string, value: string) {
    const id = `${key}\u0000${value}`;
    let entry = this.pending.get(id);
    if (!entry) this.pending.set(id, (entry = { key, value, add: [], remove: new Set() }));
    return entry;
  }

  add(hostId: number, labels: HostMap): void {
    for (const key in labels) this.entry(key, String(labels[key])).add.push(hostId);
  }

  remove(hostId: number, labels: HostMap): void {
    for (const key in labels) this.entry(key, String(labels[key])).remove.add(hostId);
  }

  apply(sqlite: Database): void {
    const read = sqlite.query<{ host_ids: string }, [string, string]>("SELECT host_ids FROM label_index WHERE key = ? AND value = ?");
    const write = sqlite.query<never, [string, string, string]>("INSERT OR REPLACE INTO label_index (key, value, host_ids) VALUES (?, ?, ?)");
    const drop = sqlite.query<never, [string, string]>("DELETE FROM label_index WHERE key = ? AND value = ?");
    for (const { key, value, add, remove } of this.pending.values()) {
      const row = read.get(key, value);
      let ids = row ? (JSON.parse(row.host_ids) as number[]) : [];
      if (remove.size > 0) ids = ids.filter((id) => !remove.has(id));
      // A host is in `add` at most once per run, and anything it had was filtered out above.
      for (const id of add) ids.push(id);
      if (ids.length === 0) drop.run(key, value);
      else write.run(key, value, JSON.stringify(ids));
    }
    this.pending.clear();
  }
}
