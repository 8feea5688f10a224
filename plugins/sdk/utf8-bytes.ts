// UTF-8 byte-level helpers shared by the JSON reader and writer: both scan 8 bytes at a time and only
// look at single bytes where something needs attention.

// @ts-ignore: decorator
@inline const ONES: u64 = 0x0101010101010101;
// @ts-ignore: decorator
@inline const HIGHS: u64 = 0x8080808080808080;

/** Whether any byte of x is zero (exact for "any"; which byte is not exact). */
// @ts-ignore: decorator
@inline function hasZeroByte(x: u64): bool {
  return ((x - ONES) & ~x & HIGHS) != 0;
}

/**
 * Whether any of the 8 bytes in x is one a JSON string cannot carry as is: a control character,
 * '"', '\' or a non-ASCII byte (which is checked as UTF-8). Clean blocks are copied whole.
 */
// @ts-ignore: decorator
@inline export function needsAttention(x: u64): bool {
  const control = (x - ONES * 0x20) & ~x & HIGHS;
  return control != 0 || (x & HIGHS) != 0 || hasZeroByte(x ^ (ONES * 0x22)) || hasZeroByte(x ^ (ONES * 0x5c));
}

/**
 * Length (2-4) of the well-formed UTF-8 sequence starting at ptr with a lead byte >= 0x80, or 0 when it
 * is not one (overlong, surrogate, above U+10FFFF, truncated by `available`). Per RFC 3629's table.
 */
export function utf8SequenceLength(ptr: usize, available: usize): i32 {
  const lead = <u32>load<u8>(ptr);
  if (lead >= 0xc2 && lead <= 0xdf) {
    return available >= 2 && isContinuation(load<u8>(ptr, 1)) ? 2 : 0;
  }
  if (lead >= 0xe0 && lead <= 0xef) {
    if (available < 3) return 0;
    const second = <u32>load<u8>(ptr, 1);
    const low: u32 = lead == 0xe0 ? 0xa0 : 0x80;
    const high: u32 = lead == 0xed ? 0x9f : 0xbf; // 0xED 0xA0.. would be a surrogate
    return second >= low && second <= high && isContinuation(load<u8>(ptr, 2)) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    if (available < 4) return 0;
    const second = <u32>load<u8>(ptr, 1);
    const low: u32 = lead == 0xf0 ? 0x90 : 0x80;
    const high: u32 = lead == 0xf4 ? 0x8f : 0xbf; // nothing above U+10FFFF
    return second >= low && second <= high && isContinuation(load<u8>(ptr, 2)) && isContinuation(load<u8>(ptr, 3)) ? 4 : 0;
  }
  return 0;
}

// @ts-ignore: decorator
@inline function isContinuation(byte: u8): bool {
  return (byte & 0xc0) == 0x80;
}

/** Writes code point cp (not a surrogate) as UTF-8 at ptr; returns the bytes written. */
export function writeUtf8(ptr: usize, cp: u32): i32 {
  if (cp < 0x80) {
    store<u8>(ptr, <u8>cp);
    return 1;
  }
  if (cp < 0x800) {
    store<u8>(ptr, <u8>(0xc0 | (cp >> 6)));
    store<u8>(ptr, <u8>(0x80 | (cp & 0x3f)), 1);
    return 2;
  }
  if (cp < 0x10000) {
    store<u8>(ptr, <u8>(0xe0 | (cp >> 12)));
    store<u8>(ptr, <u8>(0x80 | ((cp >> 6) & 0x3f)), 1);
    store<u8>(ptr, <u8>(0x80 | (cp & 0x3f)), 2);
    return 3;
  }
  store<u8>(ptr, <u8>(0xf0 | (cp >> 18)));
  store<u8>(ptr, <u8>(0x80 | ((cp >> 12) & 0x3f)), 1);
  store<u8>(ptr, <u8>(0x80 | ((cp >> 6) & 0x3f)), 2);
  store<u8>(ptr, <u8>(0x80 | (cp & 0x3f)), 3);
  return 4;
}

/** U+FFFD, what invalid input becomes so that output stays valid UTF-8. */
export const REPLACEMENT_CHARACTER: u32 = 0xfffd;

/** Whether the len bytes at ptr are well-formed UTF-8. */
export function isValidUtf8(ptr: usize, len: i32): bool {
  const end = ptr + <usize>len;
  let p = ptr;
  while (p < end) {
    while (p + 8 <= end && (load<u64>(p) & HIGHS) == 0) p += 8;
    if (p >= end) break;
    if (load<u8>(p) < 0x80) {
      p++;
      continue;
    }
    const length = utf8SequenceLength(p, end - p);
    if (length == 0) return false;
    p += <usize>length;
  }
  return true;
}
