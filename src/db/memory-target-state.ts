import type { TargetEntry, TargetStateStore } from "./target-state.ts";
import { SyncerError } from "../core/errors.ts";

/**
 * The kept text a target may take in memory, in UTF-16 code units of its hostnames and states: past it
 * the store moves to disk. 32 Mi units are 64 MiB of strings: a target of 100k Checkmk hosts (~25 MB of
 * state) stays in memory, one of a million goes to disk.
 */
export const TARGET_MEMORY_UNITS = 32 * 1024 * 1024;

interface Kept {
  owned: boolean;
  state: string;
  fingerprint: string | undefined;
  taken: boolean;
}

/**
 * A target's hosts held in memory while they are few, moved to a store on disk (`spill()`, called once)
 * as soon as they pass `units`: a target of any size still costs a run a bounded amount of memory, and
 * one of ordinary size costs no SQLite writes and reads per host (they were a sixth of an unchanged
 * Checkmk export of 100k hosts).
 */
export class MemoryFirstTargetStateStore implements TargetStateStore {
  private kept: Map<string, Kept> | undefined = new Map();
  private units = 0;
  private disk: TargetStateStore | undefined;
  /** The owned hosts no page took, by hostname: made once the pages are done (finish asks in order). */
  private untaken: string[] | undefined;

  constructor(
    private readonly spill: () => TargetStateStore,
    private readonly limit: number = TARGET_MEMORY_UNITS,
  ) {}

  add(hosts: readonly TargetEntry[]): void {
    if (this.disk) return this.disk.add(hosts);
    const kept = this.kept!;
    let units = 0;
    for (const host of hosts) units += host.hostname.length + host.state.length + (host.fingerprint?.length ?? 0);
    if (this.units + units > this.limit) {
      this.toDisk();
      return this.disk!.add(hosts);
    }
    // Kept as they are checked, without a set of the page's names beside: a page naming a host twice, or one
    // kept already, is taken back whole (the hosts before it in the page were new, else it would have stopped there).
    for (let index = 0; index < hosts.length; index++) {
      const host = hosts[index]!;
      if (kept.has(host.hostname)) {
        for (let back = 0; back < index; back++) kept.delete(hosts[back]!.hostname);
        throw new SyncerError("validation", `the target listed host ${JSON.stringify(host.hostname)} twice`);
      }
      kept.set(host.hostname, { owned: host.owned, state: host.state, fingerprint: host.fingerprint, taken: false });
    }
    this.units += units;
  }

  take(hostnames: readonly string[]): Map<string, string> {
    if (this.disk) return this.disk.take(hostnames);
    const kept = this.kept!;
    const states = new Map<string, string>();
    for (const hostname of hostnames) {
      const entry = kept.get(hostname);
      if (!entry) continue;
      entry.taken = true;
      states.set(hostname, entry.state);
    }
    this.untaken = undefined;
    return states;
  }

  ownedFingerprints(hostnames: readonly string[]): Map<string, string> {
    if (this.disk) return this.disk.ownedFingerprints(hostnames);
    const kept = this.kept!;
    const found = new Map<string, string>();
    for (const hostname of hostnames) {
      const entry = kept.get(hostname);
      if (entry?.owned && entry.fingerprint !== undefined) found.set(hostname, entry.fingerprint);
    }
    return found;
  }

  untakenOwned(after: string, limit: number): { hostname: string; state: string }[] {
    if (this.disk) return this.disk.untakenOwned(after, limit);
    const kept = this.kept!;
    this.untaken ??= [...kept].filter(([, entry]) => entry.owned && !entry.taken).map(([hostname]) => hostname).sort(byCodeUnit);
    const names = this.untaken;
    // The first name above `after`, by halving: finish asks chunk after chunk.
    let low = 0;
    let high = names.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (names[middle]! <= after) low = middle + 1;
      else high = middle;
    }
    return names.slice(low, low + limit).map((hostname) => ({ hostname, state: kept.get(hostname)!.state }));
  }

  ownedCounts(): { owned: number; untaken: number } {
    if (this.disk) return this.disk.ownedCounts();
    let owned = 0;
    let untaken = 0;
    for (const entry of this.kept!.values()) {
      if (!entry.owned) continue;
      owned++;
      if (!entry.taken) untaken++;
    }
    return { owned, untaken };
  }

  /** Moves what is kept to the store on disk, taken marks included, and keeps nothing here any more. */
  private toDisk(): void {
    const disk = this.spill();
    const kept = [...this.kept!];
    this.kept = undefined;
    this.disk = disk;
    disk.add(kept.map(([hostname, entry]) => ({ hostname, owned: entry.owned, state: entry.state, fingerprint: entry.fingerprint })));
    disk.take(kept.filter(([, entry]) => entry.taken).map(([hostname]) => hostname));
  }

  close(): void {
    this.kept = undefined;
    this.disk?.close();
  }
}

/** UTF-16 code unit order (SQLite's on disk is UTF-8 bytes'; they differ only past U+FFFF): finish pages by it, so it needs only be the same throughout. */
function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
