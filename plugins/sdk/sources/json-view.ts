// A JSON document read lazily from its UTF-8 bytes. `check()` validates the whole document once
// (grammar and UTF-8) and names the line and column of the first problem; after that a value is a
// view (a byte offset) navigated by skipping, and only what is selected gets decoded.
//
// Why not json-as: it aborts the plugin on malformed input, without a position, and it builds every
// value of the document; a host list can be large and is answered a page at a time, so only the
// page's items should be decoded.
//
// Used by the json and rest plugins (plugins/sdk/sources).

export enum JsonKind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

/** "an object", "a string"…: for messages. */
export function describeKind(kind: JsonKind): string {
  switch (kind) {
    case JsonKind.Null:
      return "null";
    case JsonKind.Bool:
      return "a boolean";
    case JsonKind.Number:
      return "a number";
    case JsonKind.String:
      return "a string";
    case JsonKind.Array:
      return "an array";
    default:
      return "an object";
  }
}

// Nesting beyond this is refused rather than risking the plugin's stack on hostile input.
const MAX_DEPTH = 512;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const NEWLINE = 0x0a;

@inline function isSpace(b: i32): bool {
  return b == 0x20 || b == 0x0a || b == 0x0d || b == 0x09;
}

@inline function isDigit(b: i32): bool {
  return b >= 0x30 && b <= 0x39;
}

function hexValue(b: i32): i32 {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -1;
}

export class JsonDocument {
  readonly bytes: Uint8Array;
  /** Where the document starts: after a UTF-8 byte order mark, which some tools write. */
  readonly start: i32;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.start = bytes.length >= 3 && bytes[0] == 0xef && bytes[1] == 0xbb && bytes[2] == 0xbf ? 3 : 0;
  }

  static fromString(text: string): JsonDocument {
    return new JsonDocument(Uint8Array.wrap(String.UTF8.encode(text)));
  }

  /** The byte at `offset`, or -1 past the end. */
  @inline byteAt(offset: i32): i32 {
    return offset < this.bytes.length ? <i32>load<u8>(this.bytes.dataStart + <usize>offset) : -1;
  }

  /** Null when the document is JSON; else what is wrong and where ("… at line 3, column 7"). */
  check(): string | null {
    return new Checker(this).run();
  }

  /** The top-level value. Only for a document that passed check(). */
  root(): JsonValue {
    return new JsonValue(this, this.skipSpace(this.start));
  }

  skipSpace(offset: i32): i32 {
    while (isSpace(this.byteAt(offset))) offset++;
    return offset;
  }

  /** The offset just past the value starting at `offset`, in a checked document. */
  skip(offset: i32): i32 {
    const first = this.byteAt(offset);
    if (first == QUOTE) return this.skipString(offset);
    if (first != OPEN_BRACE && first != OPEN_BRACKET) {
      // A number or a literal: it runs up to the next delimiter.
      let end = offset + 1;
      for (let b = this.byteAt(end); b >= 0 && !isSpace(b) && b != COMMA && b != CLOSE_BRACKET && b != CLOSE_BRACE; b = this.byteAt(end)) end++;
      return end;
    }
    // A container: count nesting, stepping over strings (which may hold brackets).
    let depth = 0;
    let at = offset;
    do {
      const b = this.byteAt(at);
      if (b == QUOTE) {
        at = this.skipString(at);
        continue;
      }
      if (b == OPEN_BRACE || b == OPEN_BRACKET) depth++;
      else if (b == CLOSE_BRACE || b == CLOSE_BRACKET) depth--;
      at++;
    } while (depth > 0);
    return at;
  }

  /** The offset just past the string whose opening quote is at `offset`. */
  skipString(offset: i32): i32 {
    let at = offset + 1;
    while (true) {
      const b = this.byteAt(at);
      if (b == QUOTE || b < 0) return at + 1;
      at += b == BACKSLASH ? 2 : 1;
    }
  }

  /** "line 3, column 7" of a byte offset; columns count characters, not bytes. */
  position(offset: i32): string {
    let line = 1;
    let column = 1;
    for (let at = this.start; at < offset && at < this.bytes.length; at++) {
      const b = this.byteAt(at);
      if (b == NEWLINE) {
        line++;
        column = 1;
      } else if ((b & 0xc0) != 0x80) {
        column++; // continuation bytes belong to the character before them
      }
    }
    return "line " + line.toString() + ", column " + column.toString();
  }

  /** The bytes [from, to) as a string. */
  text(from: i32, to: i32): string {
    return String.UTF8.decodeUnsafe(this.bytes.dataStart + <usize>from, <usize>(to - from));
  }
}

/** One value of a checked document: where it starts; everything else is read on demand. */
export class JsonValue {
  readonly document: JsonDocument;
  readonly start: i32;

  constructor(document: JsonDocument, start: i32) {
    this.document = document;
    this.start = start;
  }

  get kind(): JsonKind {
    const b = this.document.byteAt(this.start);
    if (b == QUOTE) return JsonKind.String;
    if (b == OPEN_BRACE) return JsonKind.Object;
    if (b == OPEN_BRACKET) return JsonKind.Array;
    if (b == 0x6e) return JsonKind.Null; // n
    if (b == 0x74 || b == 0x66) return JsonKind.Bool; // t, f
    return JsonKind.Number;
  }

  get end(): i32 {
    return this.document.skip(this.start);
  }

  /** The elements of an array (empty for any other kind). */
  elements(): JsonValue[] {
    const found = new Array<JsonValue>();
    if (this.kind != JsonKind.Array) return found;
    const doc = this.document;
    let at = doc.skipSpace(this.start + 1);
    if (doc.byteAt(at) == CLOSE_BRACKET) return found;
    while (true) {
      found.push(new JsonValue(doc, at));
      at = doc.skipSpace(doc.skip(at));
      if (doc.byteAt(at) != COMMA) return found;
      at = doc.skipSpace(at + 1);
    }
  }

  /** The members of an object in document order (empty for any other kind). */
  members(): JsonMember[] {
    const found = new Array<JsonMember>();
    if (this.kind != JsonKind.Object) return found;
    const doc = this.document;
    let at = doc.skipSpace(this.start + 1);
    if (doc.byteAt(at) == CLOSE_BRACE) return found;
    while (true) {
      const key = new JsonValue(doc, at).asString();
      at = doc.skipSpace(doc.skipSpace(doc.skipString(at)) + 1); // past the colon
      found.push(new JsonMember(key, new JsonValue(doc, at)));
      at = doc.skipSpace(doc.skip(at));
      if (doc.byteAt(at) != COMMA) return found;
      at = doc.skipSpace(at + 1);
    }
  }

  /** The member named `key` of an object (the last one when a key repeats, as JavaScript does), or null. */
  member(key: string): JsonValue | null {
    const members = this.members();
    for (let i = members.length - 1; i >= 0; i--) if (members[i].key == key) return members[i].value;
    return null;
  }

  /** The string's decoded text (escapes resolved). Only for kind String. */
  asString(): string {
    const doc = this.document;
    const parts = new Array<string>();
    let at = this.start + 1;
    let run = at;
    while (true) {
      const b = doc.byteAt(at);
      if (b == QUOTE || b < 0) break;
      if (b != BACKSLASH) {
        at++;
        continue;
      }
      if (at > run) parts.push(doc.text(run, at));
      const escaped = doc.byteAt(at + 1);
      if (escaped == 0x75) {
        at = this.decodeUnicodeEscape(at, parts);
      } else {
        parts.push(escapedCharacter(escaped));
        at += 2;
      }
      run = at;
    }
    if (at > run) parts.push(doc.text(run, at));
    return parts.length == 1 ? parts[0] : parts.join("");
  }

  // \uXXXX at `at`; a surrogate pair is two escapes. A lone surrogate becomes U+FFFD, because it has
  // no UTF-8 form and the host refuses a response that is not UTF-8.
  private decodeUnicodeEscape(at: i32, parts: string[]): i32 {
    const unit = this.hex4(at + 2);
    if (unit >= 0xd800 && unit <= 0xdbff && this.document.byteAt(at + 6) == BACKSLASH && this.document.byteAt(at + 7) == 0x75) {
      const low = this.hex4(at + 8);
      if (low >= 0xdc00 && low <= 0xdfff) {
        parts.push(String.fromCharCode(unit, low));
        return at + 12;
      }
    }
    parts.push(String.fromCharCode(unit >= 0xd800 && unit <= 0xdfff ? 0xfffd : unit));
    return at + 6;
  }

  private hex4(at: i32): i32 {
    let value = 0;
    for (let i = 0; i < 4; i++) value = (value << 4) | hexValue(this.document.byteAt(at + i));
    return value;
  }

  /** The value's JSON text as written: a number's digits, "true", "null"… */
  rawText(): string {
    return this.document.text(this.start, this.end);
  }

  /** The value's JSON text without the whitespace between tokens. */
  compactText(): string {
    const doc = this.document;
    const end = this.end;
    const out = new Uint8Array(end - this.start);
    let length = 0;
    let at = this.start;
    while (at < end) {
      const b = doc.byteAt(at);
      if (b == QUOTE) {
        const stringEnd = doc.skipString(at);
        memory.copy(out.dataStart + <usize>length, doc.bytes.dataStart + <usize>at, <usize>(stringEnd - at));
        length += stringEnd - at;
        at = stringEnd;
        continue;
      }
      if (!isSpace(b)) out[length++] = <u8>b;
      at++;
    }
    return String.UTF8.decodeUnsafe(out.dataStart, <usize>length);
  }

  /** A scalar as label text: a string's text, a number as written, "true"/"false"; null for null, arrays and objects. */
  scalarText(): string | null {
    const kind = this.kind;
    if (kind == JsonKind.String) return this.asString();
    if (kind == JsonKind.Number || kind == JsonKind.Bool) return this.rawText();
    return null;
  }
}

export class JsonMember {
  readonly key: string;
  readonly value: JsonValue;
  constructor(key: string, value: JsonValue) {
    this.key = key;
    this.value = value;
  }
}

function escapedCharacter(b: i32): string {
  switch (b) {
    case 0x62:
      return "\b";
    case 0x66:
      return "\f";
    case 0x6e:
      return "\n";
    case 0x72:
      return "\r";
    case 0x74:
      return "\t";
    default:
      return String.fromCharCode(b); // " \ /
  }
}

/** Validates a document against the JSON grammar (RFC 8259) and UTF-8; stops at the first problem. */
class Checker {
  private readonly doc: JsonDocument;
  private at: i32;
  private problem: string | null = null;

  constructor(doc: JsonDocument) {
    this.doc = doc;
    this.at = doc.start;
  }

  run(): string | null {
    this.at = this.doc.skipSpace(this.at);
    const first = this.doc.byteAt(this.at);
    if (first < 0) return "the document is empty";
    if (first == 0x3c) return "it starts with '<' (an HTML or XML page?) at " + this.doc.position(this.at);
    if (!this.value(0)) return this.problem;
    this.at = this.doc.skipSpace(this.at);
    if (this.doc.byteAt(this.at) >= 0) return this.fail("unexpected " + this.found() + " after the end of the value");
    return null;
  }

  private fail(what: string): string | null {
    this.problem = what + " at " + this.doc.position(this.at);
    return this.problem;
  }

  /** Reports a problem; returns false, so callers can `return this.wrong(...)`. */
  private wrong(what: string): bool {
    this.fail(what);
    return false;
  }

  /** What is at the current offset, for messages. */
  private found(): string {
    const b = this.doc.byteAt(this.at);
    if (b < 0) return "end of the document";
    if (b >= 0x80) return "non-ASCII character";
    if (b < 0x20) return "control character 0x" + b.toString(16);
    return "character '" + String.fromCharCode(b) + "'";
  }

  private value(depth: i32): bool {
    const b = this.doc.byteAt(this.at);
    if (b == OPEN_BRACE || b == OPEN_BRACKET) {
      if (depth >= MAX_DEPTH) return this.wrong("nested deeper than " + MAX_DEPTH.toString() + " levels");
      return b == OPEN_BRACE ? this.object(depth + 1) : this.array(depth + 1);
    }
    if (b == QUOTE) return this.string();
    if (b == MINUS || isDigit(b)) return this.number();
    if (b == 0x74) return this.literal("true");
    if (b == 0x66) return this.literal("false");
    if (b == 0x6e) return this.literal("null");
    return this.wrong("expected a value, found " + this.found());
  }

  private object(depth: i32): bool {
    this.at = this.doc.skipSpace(this.at + 1);
    if (this.doc.byteAt(this.at) == CLOSE_BRACE) {
      this.at++;
      return true;
    }
    while (true) {
      if (this.doc.byteAt(this.at) != QUOTE) return this.wrong("expected a member name in double quotes, found " + this.found());
      if (!this.string()) return false;
      this.at = this.doc.skipSpace(this.at);
      if (this.doc.byteAt(this.at) != COLON) return this.wrong("expected ':' after a member name, found " + this.found());
      this.at = this.doc.skipSpace(this.at + 1);
      if (!this.value(depth)) return false;
      this.at = this.doc.skipSpace(this.at);
      const b = this.doc.byteAt(this.at);
      if (b == CLOSE_BRACE) {
        this.at++;
        return true;
      }
      if (b != COMMA) return this.wrong("expected ',' or '}' in an object, found " + this.found());
      this.at = this.doc.skipSpace(this.at + 1);
    }
  }

  private array(depth: i32): bool {
    this.at = this.doc.skipSpace(this.at + 1);
    if (this.doc.byteAt(this.at) == CLOSE_BRACKET) {
      this.at++;
      return true;
    }
    while (true) {
      if (!this.value(depth)) return false;
      this.at = this.doc.skipSpace(this.at);
      const b = this.doc.byteAt(this.at);
      if (b == CLOSE_BRACKET) {
        this.at++;
        return true;
      }
      if (b != COMMA) return this.wrong("expected ',' or ']' in an array, found " + this.found());
      this.at = this.doc.skipSpace(this.at + 1);
    }
  }

  private string(): bool {
    this.at++; // the opening quote
    while (true) {
      const b = this.doc.byteAt(this.at);
      if (b < 0) return this.wrong("unterminated string");
      if (b == QUOTE) {
        this.at++;
        return true;
      }
      if (b == BACKSLASH) {
        if (!this.escape()) return false;
      } else if (b < 0x20) {
        return this.wrong("control character 0x" + b.toString(16) + " inside a string (it must be escaped)");
      } else if (b >= 0x80) {
        const length = this.utf8Sequence();
        if (length == 0) return this.wrong("invalid UTF-8 (is the document in another encoding?)");
        this.at += length;
      } else {
        this.at++;
      }
    }
  }

  private escape(): bool {
    const b = this.doc.byteAt(this.at + 1);
    if (b == 0x75) {
      for (let i = 2; i < 6; i++) {
        if (hexValue(this.doc.byteAt(this.at + i)) < 0) return this.wrong("invalid \\u escape (four hex digits expected)");
      }
      this.at += 6;
      return true;
    }
    if (b == QUOTE || b == BACKSLASH || b == 0x2f || b == 0x62 || b == 0x66 || b == 0x6e || b == 0x72 || b == 0x74) {
      this.at += 2;
      return true;
    }
    return this.wrong("invalid escape in a string");
  }

  // The length of the well-formed UTF-8 sequence at the current offset (Unicode table 3-7), or 0.
  private utf8Sequence(): i32 {
    const doc = this.doc;
    const at = this.at;
    const lead = doc.byteAt(at);
    const second = doc.byteAt(at + 1);
    let length = 0;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead == 0xe0) low = 0xa0; // overlong
      if (lead == 0xed) high = 0x9f; // surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead == 0xf0) low = 0x90; // overlong
      if (lead == 0xf4) high = 0x8f; // beyond U+10FFFF
    } else {
      return 0;
    }
    if (second < low || second > high) return 0;
    for (let i = 2; i < length; i++) {
      const b = doc.byteAt(at + i);
      if (b < 0x80 || b > 0xbf) return 0;
    }
    return length;
  }

  private number(): bool {
    const doc = this.doc;
    if (doc.byteAt(this.at) == MINUS) this.at++;
    const first = doc.byteAt(this.at);
    if (!isDigit(first)) return this.wrong("invalid number: expected a digit, found " + this.found());
    this.at++;
    if (first != 0x30) while (isDigit(doc.byteAt(this.at))) this.at++;
    if (doc.byteAt(this.at) == DOT) {
      this.at++;
      if (!isDigit(doc.byteAt(this.at))) return this.wrong("invalid number: expected a digit after '.', found " + this.found());
      while (isDigit(doc.byteAt(this.at))) this.at++;
    }
    const e = doc.byteAt(this.at);
    if (e == 0x65 || e == 0x45) {
      this.at++;
      const sign = doc.byteAt(this.at);
      if (sign == PLUS || sign == MINUS) this.at++;
      if (!isDigit(doc.byteAt(this.at))) return this.wrong("invalid number: expected a digit in the exponent, found " + this.found());
      while (isDigit(doc.byteAt(this.at))) this.at++;
    }
    return true;
  }

  private literal(word: string): bool {
    for (let i = 0; i < word.length; i++) {
      if (this.doc.byteAt(this.at) != word.charCodeAt(i)) return this.wrong("expected '" + word + "', found " + this.found());
      this.at++;
    }
    return true;
  }
}
