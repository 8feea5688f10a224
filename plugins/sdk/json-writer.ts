// JsonWriter: builds UTF-8 JSON straight into one growable byte buffer, without strings in between.
// The hot path of plugins that answer with many records (10 MB pages): byte slices are escaped 8 bytes
// at a time and the result goes to the host without a copy.
//
// Commas are automatic; structure is not checked (keep begin/end balanced and give objects keys).
// Output is always valid UTF-8: lone surrogates and invalid UTF-8 bytes are written as U+FFFD, and the
// byte-slice methods return false when that happened, so a caller can reject its input instead.
import * as host from "./host";
import { ByteBuffer } from "./byte-buffer";
import { needsAttention, REPLACEMENT_CHARACTER, utf8SequenceLength, writeUtf8 } from "./utf8-bytes";

// @ts-ignore: decorator
@lazy const HEX_DIGITS = memory.data<u8>([0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66]);

/** Input handled per buffer reservation by the string writers. */
// @ts-ignore: decorator
@inline const CHUNK: i32 = 64 * 1024;

export class JsonWriter {
  private out: ByteBuffer;
  /** A value was written at the current level, so the next one needs a comma first. */
  private comma: bool = false;

  /** `capacity`: the expected size; the buffer doubles when it is exceeded. */
  constructor(capacity: i32 = 64 * 1024) {
    this.out = new ByteBuffer(capacity);
  }

  /** Bytes written so far. */
  get byteLength(): i32 {
    return this.out.length;
  }

  /** Where the bytes written lie, [dataStart, dataStart + byteLength): valid until the next write. */
  get dataStart(): usize {
    return this.out.dataStart;
  }

  // ------------------------------------------------------------ structure

  beginObject(): void {
    this.separate();
    this.out.writeByte(0x7b); // {
    this.comma = false;
  }

  endObject(): void {
    this.out.writeByte(0x7d); // }
    this.comma = true;
  }

  beginArray(): void {
    this.separate();
    this.out.writeByte(0x5b); // [
    this.comma = false;
  }

  endArray(): void {
    this.out.writeByte(0x5d); // ]
    this.comma = true;
  }

  /** An object member's name; its value is the next thing written. */
  key(name: string): void {
    this.separate();
    this.writeString(name);
    this.out.writeByte(0x3a); // :
    this.comma = false;
  }

  /** key() from UTF-8 bytes; false when they were not valid UTF-8 (written with U+FFFD). */
  keyBytes(ptr: usize, len: i32): bool {
    this.separate();
    const valid = this.writeStringBytes(ptr, len);
    this.out.writeByte(0x3a);
    this.comma = false;
    return valid;
  }

  // ------------------------------------------------------------ values

  string(value: string): void {
    this.separate();
    this.writeString(value);
    this.comma = true;
  }

  /** A string from UTF-8 bytes, escaped; false when they were not valid UTF-8 (written with U+FFFD). */
  stringBytes(ptr: usize, len: i32): bool {
    this.separate();
    const valid = this.writeStringBytes(ptr, len);
    this.comma = true;
    return valid;
  }

  integer(value: i64): void {
    this.separate();
    this.writeInteger(value);
    this.comma = true;
  }

  /** A number as JavaScript writes it for integers; NaN and the infinities, which JSON lacks, as null. */
  float(value: f64): void {
    this.separate();
    if (!isFinite(value)) this.out.writeAscii("null");
    else if (value == Math.trunc(value) && Math.abs(value) < 9007199254740992.0) this.writeInteger(<i64>value);
    else this.out.writeAscii(value.toString());
    this.comma = true;
  }

  boolean(value: bool): void {
    this.separate();
    this.out.writeAscii(value ? "true" : "false");
    this.comma = true;
  }

  nullValue(): void {
    this.separate();
    this.out.writeAscii("null");
    this.comma = true;
  }

  /** Trusted JSON text inserted verbatim as one value (not checked). */
  raw(json: string): void {
    this.separate();
    const bytes = String.UTF8.encode(json);
    this.out.writeBytes(changetype<usize>(bytes), <usize>bytes.byteLength);
    this.comma = true;
  }

  /** Trusted UTF-8 JSON inserted verbatim as one value, e.g. a value JsonReader.capture() found (not checked). */
  rawBytes(ptr: usize, len: i32): void {
    this.separate();
    this.out.writeBytes(ptr, <usize>len);
    this.comma = true;
  }

  // ------------------------------------------------------------ result

  /** Sets the call's response to what was written: the host copies it straight from this buffer. */
  output(): void {
    host.output_write(this.out.dataStart, <u32>this.out.length);
  }

  /** What `other` holds, inserted verbatim as one value (trusted, not checked), without a copy in between. */
  rawWriter(other: JsonWriter): void {
    this.rawBytes(other.out.dataStart, other.out.length);
  }

  /** Whether this writer holds exactly the bytes `other` holds: two texts compared without decoding either. */
  sameBytes(other: JsonWriter): bool {
    return this.out.length == other.out.length && memory.compare(this.out.dataStart, other.out.dataStart, <usize>this.out.length) == 0;
  }

  /** Whether this writer holds exactly the `len` bytes at `ptr` (a value JsonReader.capture() found, say). */
  holds(ptr: usize, len: i32): bool {
    return this.out.length == len && memory.compare(this.out.dataStart, ptr, <usize>len) == 0;
  }

  /** A copy of the bytes written. */
  toBytes(): ArrayBuffer {
    return this.out.toBytes();
  }

  toString(): string {
    return String.UTF8.decodeUnsafe(this.out.dataStart, <usize>this.out.length);
  }

  /** Starts over, keeping the buffer. */
  reset(): void {
    this.out.clear();
    this.comma = false;
  }

  // ------------------------------------------------------------ encoding

  // @ts-ignore: decorator
  @inline private separate(): void {
    if (this.comma) this.out.writeByte(0x2c); // ,
  }

  /** A UTF-16 string as a quoted UTF-8 JSON string; surrogate pairs become 4-byte sequences. */
  private writeString(value: string): void {
    const n = value.length;
    const src = changetype<usize>(value);
    this.out.writeByte(0x22);
    let i = 0;
    while (i < n) {
      // A chunk at a time, so a huge string does not reserve six times its size at once. Worst case
      // per UTF-16 unit: a control character as \u00XX (6 bytes); a pair crossing the chunk's end adds 4.
      const stop = min(i + CHUNK, n);
      let out = this.out.reserve(<u64>(stop - i) * 6 + 4);
      const start = out;
      for (; i < stop; i++) {
        const unit = <u32>load<u16>(src + (<usize>i << 1));
        if (unit < 0x80) {
          if (unit >= 0x20 && unit != 0x22 && unit != 0x5c) store<u8>(out++, <u8>unit);
          else out += writeEscape(out, unit);
        } else if (unit < 0xd800 || unit > 0xdfff) {
          out += writeUtf8(out, unit);
        } else {
          const next = i + 1 < n ? <u32>load<u16>(src + (<usize>(i + 1) << 1)) : 0;
          if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
            out += writeUtf8(out, 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00));
            i++;
          } else {
            out += writeUtf8(out, REPLACEMENT_CHARACTER); // a lone surrogate has no UTF-8
          }
        }
      }
      this.out.length += <i32>(out - start);
    }
    this.out.writeByte(0x22);
  }

  /** UTF-8 bytes as a quoted JSON string: clean 8-byte blocks are copied whole, the rest byte by byte. */
  private writeStringBytes(ptr: usize, len: i32): bool {
    const end = ptr + <usize>len;
    let valid = true;
    this.out.writeByte(0x22);
    let p = ptr;
    while (p < end) {
      // A chunk at a time, as in writeString(). Worst case per byte: \u00XX (6 bytes); a sequence
      // crossing the chunk's end adds at most 3 bytes (copied as they are).
      const chunkEnd = min(p + <usize>CHUNK, end);
      let out = this.out.reserve(<u64>(chunkEnd - p) * 6 + 3);
      const start = out;
      while (p < chunkEnd) {
        while (p + 8 <= chunkEnd) {
          const block = load<u64>(p);
          if (needsAttention(block)) break;
          store<u64>(out, block);
          out += 8;
          p += 8;
        }
        // Byte by byte up to the end of the block that needed attention.
        const stop = min(p + 8, chunkEnd);
        while (p < stop) {
          const byte = <u32>load<u8>(p);
          if (byte < 0x80) {
            if (byte >= 0x20 && byte != 0x22 && byte != 0x5c) store<u8>(out++, <u8>byte);
            else out += writeEscape(out, byte);
            p++;
          } else {
            const length = utf8SequenceLength(p, end - p);
            if (length == 0) {
              out += writeUtf8(out, REPLACEMENT_CHARACTER);
              valid = false;
              p++;
            } else {
              memory.copy(out, p, <usize>length);
              out += <usize>length;
              p += <usize>length;
            }
          }
        }
      }
      this.out.length += <i32>(out - start);
    }
    this.out.writeByte(0x22);
    return valid;
  }

  private writeInteger(value: i64): void {
    // Digits are produced backwards into a 20-byte scratch area at the end of the reservation.
    const out = this.out.reserve(21);
    let magnitude: u64 = value < 0 ? <u64>0 - <u64>value : <u64>value; // also right for i64.MIN_VALUE
    let digits: usize = 0;
    const tail = out + 21;
    do {
      digits++;
      store<u8>(tail - digits, <u8>(0x30 + magnitude % 10));
      magnitude /= 10;
    } while (magnitude != 0);
    let at = out;
    if (value < 0) store<u8>(at++, 0x2d);
    memory.copy(at, tail - digits, digits);
    this.out.length += <i32>(at + digits - out);
  }
}

/** Writes the JSON escape of ASCII character c at ptr; returns its length. */
function writeEscape(ptr: usize, c: u32): usize {
  store<u8>(ptr, 0x5c); // backslash
  let short: u32 = 0;
  if (c == 0x22) short = 0x22;
  else if (c == 0x5c) short = 0x5c;
  else if (c == 0x0a) short = 0x6e; // n
  else if (c == 0x0d) short = 0x72; // r
  else if (c == 0x09) short = 0x74; // t
  else if (c == 0x08) short = 0x62; // b
  else if (c == 0x0c) short = 0x66; // f
  if (short != 0) {
    store<u8>(ptr, <u8>short, 1);
    return 2;
  }
  store<u8>(ptr, 0x75, 1); // u
  store<u8>(ptr, 0x30, 2);
  store<u8>(ptr, 0x30, 3);
  store<u8>(ptr, load<u8>(HEX_DIGITS + (c >> 4)), 4);
  store<u8>(ptr, load<u8>(HEX_DIGITS + (c & 0xf)), 5);
  return 6;
}
