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

  /** Writes the ids plus `offset` as the members of a JSON array (`1,2,3`), a comma before each when `after`. */
  writeTo(text: IdText, offset: number, after: boolean): void {
    for (let index = 0; index < this.length; index++) text.id(this.ids[index]! + offset, after || index > 0);
  }
}

/**
 * A posting list's text written as ASCII bytes into one buffer kept across postings: a million hosts'
 * ids never become JavaScript strings (joining them made tens of megabytes of strings per write, held
 * until the collector came round: the peak of a 1M-host first import).
 */
class IdText {
  private bytes = new Uint8Array(64 * 1024);
  length = 0;

  private room(more: number): void {
    if (this.length + more <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + more) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  id(id: number, comma: boolean): void {
    this.room(12);
    const bytes = this.bytes;
    if (comma) bytes[this.length++] = 0x2c;
    let digits = 1;
    for (let rest = id; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    for (let at = this.length + digits - 1, rest = id; at >= this.length; at--, rest = Math.floor(rest / 10)) bytes[at] = 0x30 + (rest % 10);
    this.length += digits;
  }

  /** The text so far (a view, valid until the next write). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
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

  /**
   * Applies the changes; `createdBase` is the id of the first created host less one. A posting that only
   * gains hosts has them appended to its stored text by SQLite, without reading it; one that loses some is
   * read, filtered and written again. The new members go to SQLite as UTF-8 bytes cast to text.
   */
  apply(sqlite: Database, createdBase = 0): void {
    const read = sqlite.query<{ host_ids: string }, [string, string]>("SELECT host_ids FROM label_index WHERE key = ? AND value = ?");
    // `host_ids` is written by this code only: a JSON array of integers, ASCII, so its last character is "]".
    const append = sqlite.query<never, [string, string, Uint8Array]>(
      `INSERT INTO label_index (key, value, host_ids) VALUES (?1, ?2, '[' || CAST(?3 AS TEXT) || ']')
       ON CONFLICT (key, value) DO UPDATE SET host_ids = iif(host_ids = '[]', '', substr(host_ids, 1, length(host_ids) - 1) || ',') || CAST(?3 AS TEXT) || ']'`,
    );
    const write = sqlite.query<never, [string, string, Uint8Array]>("INSERT OR REPLACE INTO label_index (key, value, host_ids) VALUES (?, ?, '[' || CAST(? AS TEXT) || ']')");
    const drop = sqlite.query<never, [string, string]>("DELETE FROM label_index WHERE key = ? AND value = ?");
    const text = new IdText();
    for (const { key, value, add, created, remove } of this.pending.values()) {
      text.length = 0;
      if (remove.size > 0) {
        const stored = JSON.parse(read.get(key, value)?.host_ids ?? "[]") as number[];
        for (const id of stored) if (!remove.has(id)) text.id(id, text.length > 0);
      }
      add.writeTo(text, 0, text.length > 0);
      created.writeTo(text, createdBase, text.length > 0);
      if (remove.size > 0) {
        // A host is added at most once per write, and anything it had was filtered out first.
        if (text.length === 0) drop.run(key, value);
        else write.run(key, value, text.view());
      } else if (text.length > 0) {
        append.run(key, value, text.view());
      }
    }
    this.pending.clear();
  }
}
