// A fingerprint of what a target holds of a host, for ABI v1's `fingerprint` (docs/abi-v1.md, export
// phases): 128 bits written as 32 hex digits, over parts added one after another. Each part's bytes are
// mixed 8 at a time into two lanes with constants of their own, then its length, so parts never run into
// each other ("ab" + "c" is not "a" + "bc"). Not a cryptographic hash: it tells states apart, as a
// comparison of the bytes would, without keeping them.

import { JsonWriter } from "./json-writer";

// @ts-ignore: decorator
@inline const P1: u64 = 0x9e3779b185ebca87;
// @ts-ignore: decorator
@inline const P2: u64 = 0xc2b2ae3d27d4eb4f;
// @ts-ignore: decorator
@inline const P3: u64 = 0x165667b19e3779f9;
// @ts-ignore: decorator
@inline const P4: u64 = 0x85ebca77c2b2ae63;

// @ts-ignore: decorator
@inline function round(lane: u64, word: u64, prime: u64, turn: u64, other: u64): u64 {
  return rotl<u64>(lane + word * prime, turn) * other;
}

/** xxHash64's avalanche: every bit of the lane moves every bit of the result. */
// @ts-ignore: decorator
@inline function avalanche(value: u64): u64 {
  value ^= value >> 33;
  value *= P2;
  value ^= value >> 29;
  value *= P3;
  value ^= value >> 32;
  return value;
}

// The digits of the last fingerprint written, kept from call to call (the stub runtime never frees).
const digits = new ArrayBuffer(32);

function hexDigit(value: u64): u8 {
  const digit = <u8>(value & 0xf);
  return digit < 10 ? 0x30 + digit : 0x57 + digit;
}

export class Fingerprint {
  private a: u64 = P1 ^ 0x27d4eb2f165667c5;
  private b: u64 = P4 ^ 0x61c8864e7a143579;

  /** Starts again, as a new fingerprint. */
  reset(): Fingerprint {
    this.a = P1 ^ 0x27d4eb2f165667c5;
    this.b = P4 ^ 0x61c8864e7a143579;
    return this;
  }

  /** Adds the `length` bytes at `ptr` as one part. */
  bytes(ptr: usize, length: i32): Fingerprint {
    let a = this.a;
    let b = this.b;
    const end = ptr + <usize>length;
    let p = ptr;
    while (p + 8 <= end) {
      const word = load<u64>(p);
      a = round(a, word, P2, 31, P1);
      b = round(b, word, P4, 27, P3);
      p += 8;
    }
    if (p < end) {
      let word: u64 = 0;
      let shift: u64 = 0;
      while (p < end) {
        word |= (<u64>load<u8>(p)) << shift;
        shift += 8;
        p++;
      }
      a = round(a, word, P2, 31, P1);
      b = round(b, word, P4, 27, P3);
    }
    this.a = round(a, <u64>length, P3, 23, P2);
    this.b = round(b, <u64>length, P1, 29, P4);
    return this;
  }

  /** Adds a string as one part (its UTF-16 code units, as AssemblyScript holds it). */
  string(value: string): Fingerprint {
    return this.bytes(changetype<usize>(value), value.length << 1);
  }

  /** The fingerprint's 32 lower-case hex digits into a buffer of the SDK's, valid until the next: where they lie. */
  private digits(): usize {
    const a = avalanche(this.a ^ (this.b >> 7));
    const b = avalanche(this.b ^ (this.a << 11));
    const out = changetype<usize>(digits);
    for (let i: i32 = 0; i < 16; i++) {
      store<u8>(out + <usize>i, hexDigit(a >> <u64>(60 - 4 * i)));
      store<u8>(out + <usize>(16 + i), hexDigit(b >> <u64>(60 - 4 * i)));
    }
    return out;
  }

  /** The fingerprint so far, 32 lower-case hex digits. */
  hex(): string {
    return String.UTF8.decodeUnsafe(this.digits(), 32);
  }

  /** The fingerprint so far written as a JSON string value (hex(), without making a string). */
  write(writer: JsonWriter): void {
    writer.stringBytes(this.digits(), 32);
  }
}
