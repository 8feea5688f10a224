import type { StagedOrigin } from "../hosts.ts";

/** A stored host a page staged as unchanged: its id, its place in the staging's order, and where it came from. */
export interface SeenHost {
  id: number;
  seq: number;
  page: number;
  index: number;
  row: number | null;
}

/**
 * The stored hosts pages staged as unchanged (HostStaging.addPage), kept here rather than as rows of the
 * staging: an unchanged host needs no decision written, only its id for when it was last seen, and
 * writing its row cost a third of staging a re-import. Kept as runs: a host that follows the one
 * before it in id, in the staging's order, in its page and in its row extends that run, so a re-import
 * in the order of the first import is a run a page, whatever its size. Each run is six numbers.
 */
export class SeenHosts {
  private firstId = new Float64Array(64);
  private firstSeq = new Float64Array(64);
  private firstRow = new Float64Array(64);
  private page = new Int32Array(64);
  private firstIndex = new Int32Array(64);
  private length = new Int32Array(64);
  private runs = 0;
  /** How many hosts. */
  size = 0;

  /** How many runs hold them: what they cost in memory (six numbers each). */
  get runCount(): number {
    return this.runs;
  }

  /** Adds host `id`, staged at `seq`, from place `index` of `page` (and `row` of its source). */
  add(id: number, seq: number, page: number, index: number, row: number | null): void {
    // NaN for no row: NaN + n is no row's either.
    const rowOrNaN = row ?? Number.NaN;
    const last = this.runs - 1;
    if (last >= 0) {
      const n = this.length[last]!;
      const lastRow = this.firstRow[last]!;
      if (
        this.firstId[last]! + n === id &&
        this.firstSeq[last]! + n === seq &&
        this.page[last] === page &&
        this.firstIndex[last]! + n === index &&
        (Number.isNaN(lastRow) ? row === null : lastRow + n === row)
      ) {
        this.length[last] = n + 1;
        this.size++;
        return;
      }
    }
    if (this.runs === this.length.length) this.grow();
    const at = this.runs++;
    this.firstId[at] = id;
    this.firstSeq[at] = seq;
    this.firstRow[at] = rowOrNaN;
    this.page[at] = page;
    this.firstIndex[at] = index;
    this.length[at] = 1;
    this.size++;
  }

  /** Where the hosts end now: rollback(mark) takes out every host added after it. */
  mark(): { runs: number; size: number; lastLength: number } {
    return { runs: this.runs, size: this.size, lastLength: this.runs > 0 ? this.length[this.runs - 1]! : 0 };
  }

  rollback(mark: { runs: number; size: number; lastLength: number }): void {
    this.runs = mark.runs;
    this.size = mark.size;
    if (mark.runs > 0) this.length[mark.runs - 1] = mark.lastLength;
  }

  /** Where host `id` came from, if it is here (a duplicate's first place: looked for rarely, run by run). */
  origin(id: number): StagedOrigin | undefined {
    for (let at = 0; at < this.runs; at++) {
      const offset = id - this.firstId[at]!;
      if (offset < 0 || offset >= this.length[at]!) continue;
      const row = this.firstRow[at]!;
      return { page: this.page[at]!, index: this.firstIndex[at]! + offset, ...(Number.isNaN(row) ? {} : { row: row + offset }) };
    }
    return undefined;
  }

  /** The hosts in the order they were added, `size` at a time. */
  *chunks(size: number): Generator<SeenHost[]> {
    let chunk: SeenHost[] = [];
    for (let at = 0; at < this.runs; at++) {
      const row = this.firstRow[at]!;
      for (let offset = 0; offset < this.length[at]!; offset++) {
        chunk.push({ id: this.firstId[at]! + offset, seq: this.firstSeq[at]! + offset, page: this.page[at]!, index: this.firstIndex[at]! + offset, row: Number.isNaN(row) ? null : row + offset });
        if (chunk.length === size) {
          yield chunk;
          chunk = [];
        }
      }
    }
    if (chunk.length > 0) yield chunk;
  }

  /** The ids as ranges [first, last] in ascending order, neighbours merged: a re-import of a whole account is one range. */
  ranges(): [number, number][] {
    // No two runs share an id: sorted apart, the k-th first and the k-th last are one run's (typed arrays sort natively).
    const firsts = this.firstId.slice(0, this.runs).sort();
    const lasts = this.firstId.slice(0, this.runs).map((first, at) => first + this.length[at]! - 1).sort();
    const ranges: [number, number][] = [];
    for (let at = 0; at < this.runs; at++) {
      const first = firsts[at]!;
      const last = lasts[at]!;
      const previous = ranges[ranges.length - 1];
      if (previous && previous[1] + 1 === first) previous[1] = last;
      else ranges.push([first, last]);
    }
    return ranges;
  }

  clear(): void {
    this.runs = 0;
    this.size = 0;
  }

  private grow(): void {
    const grown = <T extends Float64Array | Int32Array>(array: T): T => {
      const larger = new (array.constructor as new (length: number) => T)(array.length * 2);
      larger.set(array);
      return larger;
    };
    this.firstId = grown(this.firstId);
    this.firstSeq = grown(this.firstSeq);
    this.firstRow = grown(this.firstRow);
    this.page = grown(this.page);
    this.firstIndex = grown(this.firstIndex);
    this.length = grown(this.length);
  }
}
