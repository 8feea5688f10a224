/**
 * A reader of canonical JSON: the text JSON.stringify writes. No whitespace outside strings; strings
 * escaped as it escapes them (\" \\ \b \f \n \r \t, other control characters as lower-case \u00xx,
 * everything else as it is, in valid UTF-8); numbers as it prints them; no key twice in an object and no
 * key that parsing would move to the front (an array index such as "7"). For such a text the bytes of
 * every value are exactly JSON.stringify(JSON.parse(those bytes)), so a plugin's answer can be checked
 * and passed on as the bytes it is, instead of being parsed into JavaScript values and written again.
 *
 * Whatever is not canonical (or not JSON, or not UTF-8) stops the reader with NOT_CANONICAL: the
 * caller then takes the slow road, JSON.parse and JSON.stringify, which gives the same result or the
 * error. Plugins built with syncer's SDK write canonical JSON, so the slow road is for the others.
 */

/** Thrown by the reader at the first thing that is not canonical JSON. */
export const NOT_CANONICAL = new Error("not canonical JSON");

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** FNV-1a over bytes [from, to): how the readers' hash tables find a key or a hostname. */
export function hashBytes(bytes: Uint8Array, from: number, to: number): number {
  let hash = 0x811c9dc5;
  for (let at = from; at < to; at++) hash = Math.imul(hash ^ bytes[at]!, 0x01000193);
  return hash;
}

/** Whether bytes [aFrom, aTo) of `a` equal bytes [bFrom, bFrom + aTo - aFrom) of `b`. */
export function sameBytes(a: Uint8Array, aFrom: number, aTo: number, b: Uint8Array, bFrom: number): boolean {
  for (let at = aFrom, other = bFrom; at < aTo; at++, other++) if (a[at] !== b[other]) return false;
  return true;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Objects with more keys than this find a key among theirs through a hash table rather than one by one. */
const FEW_KEYS = 16;

/**
 * Keys of the objects being read, kept to refuse a key that comes twice (JSON.parse would keep one).
 * A stack: an object's keys sit above those of the objects it is inside. An object with many keys
 * has a hash table over its part of the stack while it is read.
 */
class KeyStack {
  private start = new Int32Array(64);
  private end = new Int32Array(64);
  private hash = new Int32Array(64);
  top = 0;
  /** The hash tables of objects with many keys, innermost last: where its keys begin, and slots of stack index + 1. */
  private readonly tables: { base: number; slots: Int32Array }[] = [];

  /** Adds the key [start, end) to the object whose keys begin at `base`; NOT_CANONICAL if it has it already. */
  add(bytes: Uint8Array, base: number, start: number, end: number, hash: number): void {
    const count = this.top - base;
    if (count < FEW_KEYS) {
      const length = end - start;
      for (let index = base; index < this.top; index++) {
        if (this.hash[index] === hash && this.end[index]! - this.start[index]! === length && sameBytes(bytes, start, end, bytes, this.start[index]!)) throw NOT_CANONICAL;
      }
    } else {
      let table = this.tables[this.tables.length - 1];
      if (table?.base !== base) this.tables.push((table = { base, slots: new Int32Array(0) }));
      if (table.slots.length < count * 2) this.rehash(table, count * 4);
      this.find(table, bytes, start, end, hash);
    }
    if (this.top === this.start.length) {
      this.start = grown(this.start);
      this.end = grown(this.end);
      this.hash = grown(this.hash);
    }
    this.start[this.top] = start;
    this.end[this.top] = end;
    this.hash[this.top] = hash;
    this.top++;
  }

  /** Looks the key up in the table (NOT_CANONICAL when there) and enters it as the key about to be pushed. */
  private find(table: { slots: Int32Array }, bytes: Uint8Array, start: number, end: number, hash: number): void {
    const { slots } = table;
    const mask = slots.length - 1;
    let slot = hash & mask;
    for (; slots[slot] !== 0; slot = (slot + 1) & mask) {
      const index = slots[slot]! - 1;
      if (this.hash[index] === hash && this.end[index]! - this.start[index]! === end - start && sameBytes(bytes, start, end, bytes, this.start[index]!)) throw NOT_CANONICAL;
    }
    slots[slot] = this.top + 1;
  }

  private rehash(table: { base: number; slots: Int32Array }, size: number): void {
    let length = 64;
    while (length < size) length *= 2;
    const slots = new Int32Array(length);
    const mask = length - 1;
    for (let index = table.base; index < this.top; index++) {
      let slot = this.hash[index]! & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = index + 1;
    }
    table.slots = slots;
  }

  /** Forgets every key: a new text is read. */
  clear(): void {
    this.top = 0;
    this.tables.length = 0;
  }

  /** Drops the keys of the object whose keys began at `base`. */
  drop(base: number): void {
    this.top = base;
    if (this.tables.length > 0 && this.tables[this.tables.length - 1]!.base === base) this.tables.pop();
  }
}

function grown(from: Int32Array): Int32Array<ArrayBuffer> {
  const to = new Int32Array(from.length * 2);
  to.set(from);
  return to;
}

/** One for all readers: a reader runs to its end before another begins, and the stack keeps the size it grew to. */
const sharedKeys = new KeyStack();

export class CanonicalReader {
  /** Where the reader stands. */
  pos = 0;
  /** The last string read: its bytes between the quotes, whether it held an escape, and (when asked) its hash. */
  start = 0;
  end = 0;
  escaped = false;
  hash = 0;
  private readonly keys = sharedKeys;

  constructor(readonly bytes: Uint8Array) {
    this.keys.clear();
  }

  /** The byte at the reader's position (-1 at the end). */
  peek(): number {
    return this.pos < this.bytes.length ? this.bytes[this.pos]! : -1;
  }

  /** Steps over `byte`, which must come next. */
  expect(byte: number): void {
    if (this.bytes[this.pos] !== byte) throw NOT_CANONICAL;
    this.pos++;
  }

  /** Whether the text ends here. */
  get atEnd(): boolean {
    return this.pos === this.bytes.length;
  }

  /** Reads a string (the reader at its opening quote): checked, its bytes noted in start/end, hashed when `hashed`. */
  string(hashed: boolean): void {
    const bytes = this.bytes;
    const length = bytes.length;
    let at = this.pos;
    if (bytes[at] !== QUOTE) throw NOT_CANONICAL;
    const start = ++at;
    let escaped = false;
    for (;;) {
      // Printable ASCII other than the quote and the backslash, the bulk of any text, in a tight loop.
      let byte = 0;
      while (at < length) {
        byte = bytes[at]!;
        if (byte < 0x20 || byte === QUOTE || byte === BACKSLASH || byte >= 0x80) break;
        at++;
      }
      if (at >= length) throw NOT_CANONICAL;
      if (byte === QUOTE) break;
      if (byte === BACKSLASH) {
        escaped = true;
        at = this.escape(at);
      } else if (byte >= 0x80) at = this.multiByte(at);
      else throw NOT_CANONICAL;
    }
    this.start = start;
    this.end = at;
    this.escaped = escaped;
    this.hash = hashed ? hashBytes(bytes, start, at) : 0;
    this.pos = at + 1;
  }

  /** An escape at `at` as JSON.stringify writes it; where the string goes on. */
  private escape(at: number): number {
    const bytes = this.bytes;
    const next = bytes[at + 1];
    // " \ b f n r t
    if (next === 0x22 || next === 0x5c || next === 0x62 || next === 0x66 || next === 0x6e || next === 0x72 || next === 0x74) return at + 2;
    // \u00xx for a control character without a short form, in lower-case hex.
    if (next !== 0x75 || bytes[at + 2] !== 0x30 || bytes[at + 3] !== 0x30) throw NOT_CANONICAL;
    const high = bytes[at + 4]!;
    const low = bytes[at + 5]!;
    if (high !== 0x30 && high !== 0x31) throw NOT_CANONICAL;
    const lowValue = low >= 0x30 && low <= 0x39 ? low - 0x30 : low >= 0x61 && low <= 0x66 ? low - 0x61 + 10 : -1;
    if (lowValue < 0) throw NOT_CANONICAL;
    const code = (high - 0x30) * 16 + lowValue;
    if (code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d) throw NOT_CANONICAL;
    return at + 6;
  }

  /** A UTF-8 sequence of two to four bytes at `at`, as a strict decoder accepts it; where the string goes on. */
  private multiByte(at: number): number {
    const bytes = this.bytes;
    const first = bytes[at]!;
    const cont = (offset: number, low = 0x80, high = 0xbf) => {
      const byte = bytes[at + offset];
      if (byte === undefined || byte < low || byte > high) throw NOT_CANONICAL;
    };
    if (first >= 0xc2 && first <= 0xdf) {
      cont(1);
      return at + 2;
    }
    if (first >= 0xe0 && first <= 0xef) {
      // No overlong forms (E0 80..9F) and no surrogates (ED A0..BF).
      cont(1, first === 0xe0 ? 0xa0 : 0x80, first === 0xed ? 0x9f : 0xbf);
      cont(2);
      return at + 3;
    }
    if (first >= 0xf0 && first <= 0xf4) {
      // No overlong forms (F0 80..8F) and nothing past U+10FFFF (F4 90..).
      cont(1, first === 0xf0 ? 0x90 : 0x80, first === 0xf4 ? 0x8f : 0xbf);
      cont(2);
      cont(3);
      return at + 4;
    }
    throw NOT_CANONICAL;
  }

  /** The last string read, as a JavaScript string. */
  text(): string {
    if (this.escaped) return JSON.parse(decoder.decode(this.bytes.subarray(this.start - 1, this.end + 1))) as string;
    return decoder.decode(this.bytes.subarray(this.start, this.end));
  }

  /**
   * Reads a number as JSON.stringify prints it. Integers of up to 15 digits are printed as they are
   * written; anything else is compared with how it prints. Returns whether it was such an integer.
   */
  number(): boolean {
    const bytes = this.bytes;
    const begin = this.pos;
    let at = begin;
    if (bytes[at] === 0x2d) at++;
    const digits = at;
    if (bytes[at] === 0x30) at++;
    else if (bytes[at]! >= 0x31 && bytes[at]! <= 0x39) while (bytes[at]! >= 0x30 && bytes[at]! <= 0x39) at++;
    else throw NOT_CANONICAL;
    let plain = at - digits <= 15;
    if (bytes[at] === 0x2e) {
      plain = false;
      at++;
      if (!(bytes[at]! >= 0x30 && bytes[at]! <= 0x39)) throw NOT_CANONICAL;
      while (bytes[at]! >= 0x30 && bytes[at]! <= 0x39) at++;
    }
    if (bytes[at] === 0x65 || bytes[at] === 0x45) {
      plain = false;
      at++;
      if (bytes[at] === 0x2b || bytes[at] === 0x2d) at++;
      if (!(bytes[at]! >= 0x30 && bytes[at]! <= 0x39)) throw NOT_CANONICAL;
      while (bytes[at]! >= 0x30 && bytes[at]! <= 0x39) at++;
    }
    this.pos = at;
    // -0 prints as 0.
    if (plain && !(bytes[begin] === 0x2d && bytes[digits] === 0x30)) return true;
    const written = decoder.decode(bytes.subarray(begin, at));
    if (String(Number(written)) !== written) throw NOT_CANONICAL;
    return false;
  }

  /** Reads true, false or null. */
  literal(): void {
    const bytes = this.bytes;
    const at = this.pos;
    const byte = bytes[at];
    // "true", "fals" + "e", "null" as little-endian words.
    const word = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
    if (byte === 0x74 && word === 0x65757274) this.pos = at + 4;
    else if (byte === 0x6e && word === 0x6c6c756e) this.pos = at + 4;
    else if (byte === 0x66 && word === 0x736c6166 && bytes[at + 4] === 0x65) this.pos = at + 5;
    else throw NOT_CANONICAL;
  }

  /** Begins an object's keys: what `key` and `endKeys` are given. */
  beginKeys(): number {
    return this.keys.top;
  }

  /**
   * Reads an object's key (the reader at its quote) and the colon after it, refusing a key met before in
   * the object whose keys began at `base`, or one that parsing would move to the front.
   */
  key(base: number): void {
    this.string(true);
    const bytes = this.bytes;
    // An array index ("0", "17") comes first among an object's keys once parsed: its order would change.
    const first = bytes[this.start];
    if (first !== undefined && first >= 0x30 && first <= 0x39 && this.start < this.end) {
      let digits = true;
      for (let at = this.start; at < this.end; at++) if (bytes[at]! < 0x30 || bytes[at]! > 0x39) digits = false;
      if (digits) throw NOT_CANONICAL;
    }
    this.keys.add(bytes, base, this.start, this.end, this.hash);
    this.expect(0x3a);
  }

  /** Ends the object whose keys began at `base`. */
  endKeys(base: number): void {
    this.keys.drop(base);
  }

  /** Reads any value, checked, and steps over it. */
  value(): void {
    const byte = this.peek();
    if (byte === 0x7b) this.object();
    else if (byte === 0x5b) this.array();
    else if (byte === QUOTE) this.string(false);
    else if (byte === 0x2d || (byte >= 0x30 && byte <= 0x39)) this.number();
    else this.literal();
  }

  private object(): void {
    this.pos++;
    if (this.peek() === 0x7d) {
      this.pos++;
      return;
    }
    const base = this.beginKeys();
    for (;;) {
      this.key(base);
      this.value();
      const byte = this.peek();
      this.pos++;
      if (byte === 0x2c) continue;
      if (byte === 0x7d) break;
      throw NOT_CANONICAL;
    }
    this.endKeys(base);
  }

  private array(): void {
    this.pos++;
    if (this.peek() === 0x5d) {
      this.pos++;
      return;
    }
    for (;;) {
      this.value();
      const byte = this.peek();
      this.pos++;
      if (byte === 0x2c) continue;
      if (byte === 0x5d) return;
      throw NOT_CANONICAL;
    }
  }
}
