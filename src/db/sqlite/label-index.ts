import type { Database } from "bun:sqlite";
import type { HostMap } from "../hosts.ts";

/** Ids in a growing Int32Array: a million hosts' postings in 4 bytes each, not a JavaScript array's 8 or more. */
class IdList {
  private ids = new Int32Array(16);
  length = 0;

  push(id: number): void {
    if (this.length === this.ids.length) {
      const grown = new Int32Array(this.ids.length * 2);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[this.length++] = id;
  }

  /** The ids plus `offset`, as the members of a JSON array (`1,2,3`). */
  text(offset: number): string {
    const view = this.ids.subarray(0, this.length);
    return offset === 0 ? view.join(",") : Array.from(view, (id) => id + offset).join(",");
  }
}

interface Posting {
  key: string;
  value: string;
  add: IdList;
  /** Ids counted from the first created host's id less one (hosts created by the same write, ids not known yet). */
  created: IdList;
  remove: Set<number>;
}

/**
 * Changes to label_index (label → host ids) collected over a write and applied once, inside its
 * transaction: each touched posting list is read, changed and written back a single time.
 */
export class LabelIndexChanges {
  private readonly pending = new Map<string, Posting>();

  private entry(key: string, value: string): Posting {
    const id = `${key}\u0000${value}`;
    let entry = this.pending.get(id);
    if (!entry) this.pending.set(id, (entry = { key, value, add: new IdList(), created: new IdList(), remove: new Set() }));
    return entry;
  }

  add(hostId: number, labels: HostMap): void {
    for (const key in labels) this.entry(key, String(labels[key])).add.push(hostId);
  }

  /** A host to be created as the `rank`-th (from 1) of this write: its id is known when the write applies. */
  addCreated(rank: number, labels: HostMap): void {
    for (const key in labels) this.entry(key, String(labels[key])).created.push(rank);
  }

  remove(hostId: number, labels: HostMap): void {
    for (const key in labels) this.entry(key, String(labels[key])).remove.add(hostId);
  }

  /** Applies the changes; `createdBase` is the id of the first created host less one. */
  apply(sqlite: Database, createdBase = 0): void {
    const read = sqlite.query<{ host_ids: string }, [string, string]>("SELECT host_ids FROM label_index WHERE key = ? AND value = ?");
    const write = sqlite.query<never, [string, string, string]>("INSERT OR REPLACE INTO label_index (key, value, host_ids) VALUES (?, ?, ?)");
    const drop = sqlite.query<never, [string, string]>("DELETE FROM label_index WHERE key = ? AND value = ?");
    for (const { key, value, add, created, remove } of this.pending.values()) {
      const stored = read.get(key, value)?.host_ids ?? "[]";
      // A host is added at most once per write, and anything it had was filtered out first. Lists are
      // written by this code as JSON arrays of integers: appending needs no parsing, removing does.
      let members = remove.size > 0 ? (JSON.parse(stored) as number[]).filter((id) => !remove.has(id)).join(",") : stored.slice(1, -1);
      for (const more of [add.text(0), created.text(createdBase)]) if (more !== "") members = members === "" ? more : `${members},${more}`;
      if (members === "") drop.run(key, value);
      else write.run(key, value, `[${members}]`);
    }
    this.pending.clear();
  }
}
