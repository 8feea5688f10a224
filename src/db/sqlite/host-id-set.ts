/**
 * A set of host ids as bits: hosts' ids are SQLite rowids, given from 1 upwards, so a million of them
 * take 125 KB and a lookup is an index and a mask, not a hash. An id far beyond any the bits cover (one
 * set by hand) goes to a Set instead of growing the bits to it.
 */
const MAX_BITS = 2 ** 28;

export class HostIdSet {
  private words = new Uint32Array(1024);
  private readonly far = new Set<number>();

  has(id: number): boolean {
    if (id < 0 || id >= MAX_BITS) return this.far.has(id);
    const word = id >>> 5;
    return word < this.words.length && (this.words[word]! & (1 << (id & 31))) !== 0;
  }

  /** Adds `id`; false when it was in the set already. */
  add(id: number): boolean {
    if (id < 0 || id >= MAX_BITS) {
      if (this.far.has(id)) return false;
      this.far.add(id);
      return true;
    }
    const word = id >>> 5;
    if (word >= this.words.length) {
      const grown = new Uint32Array(Math.max(word + 1, this.words.length * 2));
      grown.set(this.words);
      this.words = grown;
    }
    const bit = 1 << (id & 31);
    if ((this.words[word]! & bit) !== 0) return false;
    this.words[word]! |= bit;
    return true;
  }

  delete(id: number): void {
    if (id < 0 || id >= MAX_BITS) this.far.delete(id);
    else if (id >>> 5 < this.words.length) this.words[id >>> 5]! &= ~(1 << (id & 31));
  }
}
