// JsonReader: the SDK's one JSON reader, a pull parser over UTF-8 JSON bytes (the request, a file, an
// HTTP body). The caller walks the document: beginObject() + nextKey() loops, beginArray() + nextItem()
// loops, and reads values as AS strings, as byte slices, as numbers, or skips or captures them. Nothing
// is built that the caller does not ask for, so it streams over bodies of any size. JsonDocument
// (json-document.ts) is the random-access view over the same reader; the generated ABI classes
// (abi.generated.ts) read themselves with it.
//
// Errors latch: the first problem (malformed JSON, or a value of another type than the one asked for)
// sets `error` ("expected ':' after a member name, found character '1' at line 3, column 7") and every
// later call does nothing and returns false, 0 or "". So a caller reads on and checks `failed` where it
// matters, typically `if (reader.failed) return fail(ErrorKind.Parser, reader.error)`.
//
// Strings are checked to be valid UTF-8; a lone \uD800-style surrogate escape becomes U+FFFD.
import { ByteBuffer } from "./byte-buffer";
import { needsAttention, REPLACEMENT_CHARACTER, utf8SequenceLength, writeUtf8 } from "./utf8-bytes";

/** What the next value is. None: there is none (end of input or a malformed value: see `error`). */
export enum JsonKind {
  None,
  Object,
  Array,
  String,
  Number,
  Bool,
  Null,
}

/** Deeper nesting is refused: the walk of a value (skip, capture) recurses once per level. */
export const JSON_MAX_DEPTH: i32 = 512;

export class JsonReader {
  /** Keeps the bytes alive when the reader was made from a buffer. */
  private source: ArrayBuffer | null = null;
  /** Where lines and columns are counted from: the first byte, or the one after a UTF-8 byte order mark. */
  private start: usize;
  private end: usize;
  private pos: usize;
  /** The container just opened has no member yet, so no comma comes before the next one. */
  private first: bool = false;
  private depth: i32 = 0;

  /** The first error with its place ("… at line 3, column 7"), "" while there is none. */
  error: string = "";
  /** The first error without its place. */
  problem: string = "";
  /** Byte offset of the first error, -1 while there is none. */
  errorAt: i32 = -1;

  /** The key nextKey() read, as UTF-8 bytes (unescaped; valid until the next key). */
  keyPtr: usize = 0;
  keyLength: i32 = 0;
  /** The value stringBytes(), numberBytes() or capture() read, as UTF-8 bytes (valid until the next of them). */
  valuePtr: usize = 0;
  valueLength: i32 = 0;

  /**
   * Where an escaped key or string is unescaped to, made at the first escape: a reader is made per value in
   * many loops (one per host's labels, say), and under the stub runtime, which never frees, two buffers per
   * reader were most of what a page of them allocated.
   */
  private keyBuffer: ByteBuffer | null = null;
  private valueBuffer: ByteBuffer | null = null;

  private scratch(forKey: bool): ByteBuffer {
    if (forKey) {
      if (this.keyBuffer === null) this.keyBuffer = new ByteBuffer(64);
      return this.keyBuffer!;
    }
    if (this.valueBuffer === null) this.valueBuffer = new ByteBuffer(256);
    return this.valueBuffer!;
  }

  /**
   * Reads the `len` bytes at `ptr`, which must stay unchanged while the reader is used; a UTF-8 byte order
   * mark (which some tools write) is passed over.
   */
  constructor(ptr: usize, len: i32) {
    const bom = len >= 3 && load<u8>(ptr) == 0xef && load<u8>(ptr, 1) == 0xbb && load<u8>(ptr, 2) == 0xbf;
    this.start = bom ? ptr + 3 : ptr;
    this.pos = this.start;
    this.end = ptr + <usize>len;
  }

  static fromBytes(bytes: ArrayBuffer): JsonReader {
    const reader = new JsonReader(changetype<usize>(bytes), bytes.byteLength);
    reader.source = bytes;
    return reader;
  }

  static fromString(text: string): JsonReader {
    return JsonReader.fromBytes(String.UTF8.encode(text));
  }

  /** A reader of the same bytes that starts at byte `offset` (from the start, after any byte order mark). */
  at(offset: i32): JsonReader {
    const reader = new JsonReader(this.start, <i32>(this.end - this.start));
    reader.source = this.source;
    reader.pos = this.start + <usize>offset;
    return reader;
  }

  /** The next byte (after whitespace is passed over), -1 at the end. */
  nextByte(): i32 {
    this.skipWhitespace();
    return this.pos < this.end ? <i32>load<u8>(this.pos) : -1;
  }

  /** Whether the reader has read everything but whitespace. */
  get atEnd(): bool {
    this.skipWhitespace();
    return this.pos >= this.end;
  }

  get failed(): bool {
    return this.errorAt >= 0;
  }

  /** Byte offset of the next thing to read. */
  get position(): i32 {
    return <i32>(this.pos - this.start);
  }

  /** Records an error at the current position (unless one is recorded already); returns false. */
  fail(message: string): bool {
    if (this.errorAt < 0) {
      this.errorAt = this.position;
      this.problem = message;
      this.error = message + " at " + this.lineColumn(this.errorAt);
    }
    return false;
  }

  /** "line 3, column 7" of a byte offset; columns count characters, not bytes. */
  lineColumn(offset: i32): string {
    let line = 1;
    let column = 1;
    const to = min(this.start + <usize>offset, this.end);
    for (let p = this.start; p < to; p++) {
      const b = load<u8>(p);
      if (b == 0x0a) {
        line++;
        column = 1;
      } else if ((b & 0xc0) != 0x80) {
        column++; // continuation bytes belong to the character before them
      }
    }
    return "line " + line.toString() + ", column " + column.toString();
  }

  /** What is at the current position, for messages: "character '}'", "end of the document"… */
  found(): string {
    if (this.pos >= this.end) return "end of the document";
    const b = <u32>load<u8>(this.pos);
    if (b >= 0x80) return "non-ASCII character";
    if (b < 0x20) return "control character 0x" + b.toString(16);
    return "character '" + String.fromCharCode(b) + "'";
  }

  // ------------------------------------------------------------ structure

  /** The kind of the next value, without reading it; None (and an error) when no value starts here. */
  kind(): JsonKind {
    if (this.failed) return JsonKind.None;
    this.skipWhitespace();
    if (this.pos >= this.end) {
      this.fail("expected a value, found end of the document");
      return JsonKind.None;
    }
    const c = <u32>load<u8>(this.pos);
    if (c == 0x7b) return JsonKind.Object;
    if (c == 0x5b) return JsonKind.Array;
    if (c == 0x22) return JsonKind.String;
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return JsonKind.Number;
    if (c == 0x74 || c == 0x66) return JsonKind.Bool;
    if (c == 0x6e) return JsonKind.Null;
    this.fail("expected a value, found " + this.found());
    return JsonKind.None;
  }

  /** Opens an object; then loop `while (reader.nextKey()) { …read the value… }`. */
  beginObject(): bool {
    return this.open(0x7b, "an object");
  }

  /**
   * Moves to the next member of the open object: true with its key in keyPtr/keyLength (see key(),
   * keyIs()), the value to be read next; false at the closing '}' (consumed) or on an error.
   */
  nextKey(): bool {
    if (!this.nextMember(0x7d, "',' or '}' in an object")) return false;
    if (this.pos >= this.end || load<u8>(this.pos) != 0x22) return this.fail("expected a member name in double quotes, found " + this.found());
    if (!this.scanString(true)) return false;
    this.keyPtr = this.valuePtr;
    this.keyLength = this.valueLength;
    this.skipWhitespace();
    if (this.pos >= this.end || load<u8>(this.pos) != 0x3a) return this.fail("expected ':' after a member name, found " + this.found());
    this.pos++;
    return true;
  }

  /** Opens an array; then loop `while (reader.nextItem()) { …read the item… }`. */
  beginArray(): bool {
    return this.open(0x5b, "an array");
  }

  /** Moves to the next item of the open array: true when there is one to read; false at the closing ']' (consumed) or on an error. */
  nextItem(): bool {
    return this.nextMember(0x5d, "',' or ']' in an array");
  }

  /** The current key as a string. */
  key(): string {
    return String.UTF8.decodeUnsafe(this.keyPtr, <usize>this.keyLength);
  }

  /** Whether the current key is `name`, without decoding it. */
  keyIs(name: string): bool {
    const n = name.length;
    if (n > this.keyLength) return false; // UTF-8 is at least as long as the UTF-16 units
    const src = changetype<usize>(name);
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (load<u16>(src + (<usize>i << 1)) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return n == this.keyLength && asciiEquals(src, this.keyPtr, n);
    const bytes = String.UTF8.encode(name);
    return bytes.byteLength == this.keyLength && memory.compare(changetype<usize>(bytes), this.keyPtr, <usize>this.keyLength) == 0;
  }

  // ------------------------------------------------------------ values

  /** A string value, decoded ("" on an error). */
  string(): string {
    if (!this.stringBytes()) return "";
    return String.UTF8.decodeUnsafe(this.valuePtr, <usize>this.valueLength);
  }

  /** A string value as UTF-8 bytes in valuePtr/valueLength, unescaped without decoding. */
  stringBytes(): bool {
    if (this.kind() != JsonKind.String) return this.expected("a string");
    return this.scanString(false);
  }

  /** A number's text as bytes in valuePtr/valueLength: copy it through exactly, big or not. */
  numberBytes(): bool {
    if (this.kind() != JsonKind.Number) return this.expected("a number");
    return this.scanNumber();
  }

  /** A number that must be an integer within i64 (0 on an error). */
  integer(): i64 {
    if (!this.numberBytes()) return 0;
    const text = this.valuePtr;
    const n = <usize>this.valueLength;
    const negative = load<u8>(text) == 0x2d;
    let magnitude: u64 = 0;
    for (let i: usize = negative ? 1 : 0; i < n; i++) {
      const digit = <u32>load<u8>(text + i) - 0x30;
      if (digit > 9) return this.failAtValue("expected an integer, found " + this.valueText());
      if (magnitude > (u64.MAX_VALUE - digit) / 10) return this.failAtValue("integer out of range: " + this.valueText());
      magnitude = magnitude * 10 + digit;
    }
    const limit: u64 = negative ? <u64>1 << 63 : (<u64>1 << 63) - 1;
    if (magnitude > limit) return this.failAtValue("integer out of range: " + this.valueText());
    return negative ? <i64>(<u64>0 - magnitude) : <i64>magnitude;
  }

  /** Any number, as the nearest f64 (0 on an error). */
  float(): f64 {
    if (!this.numberBytes()) return 0;
    return parseFloat(this.valueText());
  }

  /** true or false (false on an error). */
  boolean(): bool {
    if (this.kind() != JsonKind.Bool) return this.expected("true or false");
    if (load<u8>(this.pos) == 0x74) return this.literal("true");
    this.literal("false");
    return false;
  }

  /** Reads a null and returns true; anything else is left unread and gives false (not an error). */
  nullValue(): bool {
    if (this.failed) return false;
    this.skipWhitespace();
    if (this.pos >= this.end || load<u8>(this.pos) != 0x6e) return false;
    return this.literal("null");
  }

  /** Passes over the next value, checking it. */
  skip(): bool {
    switch (this.kind()) {
      case JsonKind.Object:
        this.beginObject();
        while (this.nextKey()) if (!this.skip()) return false;
        return !this.failed;
      case JsonKind.Array:
        this.beginArray();
        while (this.nextItem()) if (!this.skip()) return false;
        return !this.failed;
      case JsonKind.String:
        return this.scanString(false);
      case JsonKind.Number:
        return this.scanNumber();
      case JsonKind.Bool:
        this.boolean();
        return !this.failed;
      case JsonKind.Null:
        return this.literal("null");
      default:
        return false;
    }
  }

  /** Passes over the next value, checking it, and leaves its exact bytes in valuePtr/valueLength (for JsonWriter.rawBytes). */
  capture(): bool {
    if (this.kind() == JsonKind.None) return false;
    const from = this.pos;
    if (!this.skip()) return false;
    this.valuePtr = from;
    this.valueLength = <i32>(this.pos - from);
    return true;
  }

  /** Checks that nothing but whitespace follows the value read. */
  finish(): bool {
    if (this.failed) return false;
    this.skipWhitespace();
    return this.pos == this.end || this.fail("unexpected " + this.found() + " after the end of the value");
  }

  // ------------------------------------------------------------ scanning

  private open(bracket: u8, what: string): bool {
    if (this.kind() == JsonKind.None) return false;
    if (load<u8>(this.pos) != bracket) return this.expected(what);
    if (this.depth >= JSON_MAX_DEPTH) return this.fail("nested deeper than " + JSON_MAX_DEPTH.toString() + " levels");
    this.pos++;
    this.depth++;
    this.first = true;
    return true;
  }

  /** The comma or closing bracket before a member; true when a member follows. */
  private nextMember(closing: u8, expected: string): bool {
    if (this.failed) return false;
    this.skipWhitespace();
    if (this.pos >= this.end) {
      if (!this.first) return this.fail("expected " + expected + ", found end of the document");
      // Right after the bracket: the member the caller reads next names what is missing.
      this.first = false;
      return true;
    }
    const c = load<u8>(this.pos);
    if (c == closing) {
      this.pos++;
      this.depth--;
      this.first = false; // back in the parent, right after one of its members
      return false;
    }
    if (this.first) {
      this.first = false;
      return true;
    }
    if (c != 0x2c) return this.fail("expected " + expected + ", found " + this.found());
    this.pos++;
    this.skipWhitespace();
    return true;
  }

  // @ts-ignore: decorator
  @inline private skipWhitespace(): void {
    let p = this.pos;
    const end = this.end;
    while (p < end) {
      const c = load<u8>(p);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      p++;
    }
    this.pos = p;
  }

  /**
   * Reads the string at pos (its opening quote) into valuePtr/valueLength: in place when it has no
   * escapes, else unescaped into `scratch`.
   */
  private scanString(forKey: bool): bool {
    const from = ++this.pos;
    const end = this.end;
    let p = from;
    // Plain stretch: no escapes, so the bytes can be used where they are.
    while (true) {
      while (p + 8 <= end && !needsAttention(load<u64>(p))) p += 8;
      if (p >= end) break;
      const c = <u32>load<u8>(p);
      if (c == 0x22) {
        this.valuePtr = from;
        this.valueLength = <i32>(p - from);
        this.pos = p + 1;
        return true;
      }
      if (c == 0x5c) break;
      if (c < 0x20) return this.failAt(p, CONTROL_IN_STRING(c));
      if (c >= 0x80) {
        const length = utf8SequenceLength(p, end - p);
        if (length == 0) return this.failAt(p, INVALID_UTF8);
        p += <usize>length;
      } else {
        p++;
      }
    }
    if (p >= end) return this.failAt(end, "unterminated string");
    // An escape: copy what came before, then unescape the rest.
    const scratch = this.scratch(forKey);
    scratch.clear();
    scratch.writeBytes(from, p - from);
    while (p < end) {
      const c = <u32>load<u8>(p);
      if (c == 0x22) {
        this.valuePtr = scratch.dataStart;
        this.valueLength = scratch.length;
        this.pos = p + 1;
        return true;
      }
      if (c == 0x5c) {
        const next = this.unescape(p, scratch);
        if (next == 0) return false;
        p = next;
      } else if (c < 0x20) {
        return this.failAt(p, CONTROL_IN_STRING(c));
      } else if (c >= 0x80) {
        const length = utf8SequenceLength(p, end - p);
        if (length == 0) return this.failAt(p, INVALID_UTF8);
        scratch.writeBytes(p, <usize>length);
        p += <usize>length;
      } else {
        scratch.writeByte(<u8>c);
        p++;
      }
    }
    return this.failAt(end, "unterminated string");
  }

  /** Decodes the escape at p (its backslash) into scratch; returns where the string goes on, 0 on an error. */
  private unescape(p: usize, scratch: ByteBuffer): usize {
    if (p + 1 >= this.end) {
      this.failAt(p, "invalid escape in a string");
      return 0;
    }
    const c = <u32>load<u8>(p, 1);
    let byte: u32 = 0;
    if (c == 0x22 || c == 0x5c || c == 0x2f) byte = c;
    else if (c == 0x6e) byte = 0x0a;
    else if (c == 0x72) byte = 0x0d;
    else if (c == 0x74) byte = 0x09;
    else if (c == 0x62) byte = 0x08;
    else if (c == 0x66) byte = 0x0c;
    else if (c != 0x75) {
      this.failAt(p, "invalid escape in a string");
      return 0;
    }
    if (byte != 0) {
      scratch.writeByte(<u8>byte);
      return p + 2;
    }
    let cp = this.hex4(p + 2);
    if (cp < 0) {
      this.failAt(p, "invalid \\u escape (four hex digits expected)");
      return 0;
    }
    let next = p + 6;
    if (cp >= 0xd800 && cp <= 0xdbff) {
      // A high surrogate pairs with an immediately following \uDC00-\uDFFF escape.
      const low = next + 6 <= this.end && load<u8>(next) == 0x5c && load<u8>(next, 1) == 0x75 ? this.hex4(next + 2) : -1;
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        next += 6;
      } else {
        cp = <i32>REPLACEMENT_CHARACTER;
      }
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
      cp = <i32>REPLACEMENT_CHARACTER;
    }
    const at = scratch.reserve(4);
    scratch.length += writeUtf8(at, <u32>cp);
    return next;
  }

  /** The value of four hex digits at p, or -1. */
  private hex4(p: usize): i32 {
    if (p + 4 > this.end) return -1;
    let value = 0;
    for (let i: usize = 0; i < 4; i++) {
      const c = <i32>load<u8>(p + i);
      let digit = -1;
      if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) digit = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) digit = c - 0x37;
      if (digit < 0) return -1;
      value = (value << 4) | digit;
    }
    return value;
  }

  /** Checks a number at pos against JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  private scanNumber(): bool {
    const from = this.pos;
    let p = from;
    if (load<u8>(p) == 0x2d) p++;
    if (p < this.end && load<u8>(p) == 0x30) p++;
    else if (p < this.end && isDigit(load<u8>(p))) p = this.digits(p);
    else return this.failNumber(p, "invalid number: expected a digit");
    if (p < this.end && load<u8>(p) == 0x2e) {
      if (p + 1 >= this.end || !isDigit(load<u8>(p + 1))) return this.failNumber(p + 1, "invalid number: expected a digit after '.'");
      p = this.digits(p + 1);
    }
    if (p < this.end && (load<u8>(p) | 0x20) == 0x65) {
      p++;
      if (p < this.end && (load<u8>(p) == 0x2b || load<u8>(p) == 0x2d)) p++;
      if (p >= this.end || !isDigit(load<u8>(p))) return this.failNumber(p, "invalid number: expected a digit in the exponent");
      p = this.digits(p);
    }
    this.valuePtr = from;
    this.valueLength = <i32>(p - from);
    this.pos = p;
    return true;
  }

  private failNumber(p: usize, message: string): bool {
    this.pos = p;
    return this.fail(message + ", found " + this.found());
  }

  private digits(p: usize): usize {
    while (p < this.end && isDigit(load<u8>(p))) p++;
    return p;
  }

  private literal(word: string): bool {
    const n = word.length;
    if (this.pos + <usize>n <= this.end && asciiEquals(changetype<usize>(word), this.pos, n)) {
      this.pos += <usize>n;
      return true;
    }
    // Named at the first character that differs.
    for (let i = 0; i < n && this.pos < this.end && <u32>load<u8>(this.pos) == <u32>word.charCodeAt(i); i++) this.pos++;
    return this.fail("expected '" + word + "', found " + this.found());
  }

  private expected(what: string): bool {
    if (this.failed) return false;
    return this.fail("expected " + what + ", found " + describeKind(this.kind()));
  }

  private failAt(p: usize, message: string): bool {
    this.pos = p;
    return this.fail(message);
  }

  private failAtValue(message: string): i64 {
    this.failAt(this.valuePtr, message);
    return 0;
  }

  private valueText(): string {
    return String.UTF8.decodeUnsafe(this.valuePtr, <usize>this.valueLength);
  }
}

// @ts-ignore: decorator
@inline function isDigit(c: u8): bool {
  return <u32>c - 0x30 <= 9;
}

/** Whether the n UTF-16 units at `chars` (all ASCII) equal the n bytes at `bytes`. */
function asciiEquals(chars: usize, bytes: usize, n: i32): bool {
  for (let i = 0; i < n; i++) {
    if (<u32>load<u16>(chars + (<usize>i << 1)) != <u32>load<u8>(bytes + <usize>i)) return false;
  }
  return true;
}

/** "an object", "a string"…: a kind for messages. */
export function describeKind(kind: JsonKind): string {
  switch (kind) {
    case JsonKind.Object:
      return "an object";
    case JsonKind.Array:
      return "an array";
    case JsonKind.String:
      return "a string";
    case JsonKind.Number:
      return "a number";
    case JsonKind.Bool:
      return "a boolean";
    case JsonKind.Null:
      return "null";
    default:
      return "nothing";
  }
}

const INVALID_UTF8 = "invalid UTF-8 (is the document in another encoding?)";

function CONTROL_IN_STRING(c: u32): string {
  return "control character 0x" + c.toString(16) + " inside a string (it must be escaped)";
}
