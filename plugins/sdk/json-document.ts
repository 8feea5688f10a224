// JsonDocument: typed, random access to a whole JSON document (a file, an API's answer) over the SDK's
// one reader. `check()` validates it once (grammar and UTF-8) and names the line and column of the first
// problem; after that a value is a view (a byte offset) navigated by the reader, and only what is
// selected gets decoded: a host list is answered a page at a time, so only the page's items are.
import { describeKind, JsonKind, JsonReader } from "./json-reader";

export { describeKind, JsonKind };

export class JsonDocument {
  /** Reads the bytes; everything else is a reader `at` some offset of them. */
  private readonly reader: JsonReader;
  /** The bytes, kept alive while a value refers to them. */
  readonly bytes: ArrayBuffer;

  constructor(bytes: ArrayBuffer) {
    this.bytes = bytes;
    this.reader = JsonReader.fromBytes(bytes);
  }

  static fromString(text: string): JsonDocument {
    return new JsonDocument(String.UTF8.encode(text));
  }

  /** Null when the document is JSON; else what is wrong and where ("… at line 3, column 7"). */
  check(): string | null {
    const reader = this.reader.at(0);
    if (reader.atEnd) return "the document is empty";
    if (reader.nextByte() == 0x3c) {
      return "it starts with '<' (an HTML or XML page?) at " + reader.lineColumn(reader.position);
    }
    reader.skip();
    reader.finish();
    return reader.failed ? reader.error : null;
  }

  /** The top-level value. Only for a document that passed check(). */
  root(): JsonValue {
    const reader = this.reader.at(0);
    reader.atEnd; // passes over leading whitespace
    return new JsonValue(this, reader.position);
  }

  /** A reader at byte `offset` of the document. */
  readerAt(offset: i32): JsonReader {
    return this.reader.at(offset);
  }
}

/** One value of a checked document: where it starts; everything else is read on demand. */
export class JsonValue {
  constructor(
    readonly document: JsonDocument,
    readonly start: i32,
  ) {}

  get kind(): JsonKind {
    return this.reader().kind();
  }

  /** A reader standing at this value. */
  reader(): JsonReader {
    return this.document.readerAt(this.start);
  }

  /** The offset just past the value. */
  get end(): i32 {
    const reader = this.reader();
    reader.skip();
    return reader.position;
  }

  /** The elements of an array (empty for any other kind). */
  elements(): JsonValue[] {
    const found = new Array<JsonValue>();
    const reader = this.reader();
    if (reader.kind() != JsonKind.Array) return found;
    reader.beginArray();
    while (reader.nextItem()) {
      reader.kind(); // passes over whitespace, so the element starts at its first character
      found.push(new JsonValue(this.document, reader.position));
      reader.skip();
    }
    return found;
  }

  /** The members of an object in document order (empty for any other kind). */
  members(): JsonMember[] {
    const found = new Array<JsonMember>();
    const reader = this.reader();
    if (reader.kind() != JsonKind.Object) return found;
    reader.beginObject();
    while (reader.nextKey()) {
      const key = reader.key();
      reader.kind();
      found.push(new JsonMember(key, new JsonValue(this.document, reader.position)));
      reader.skip();
    }
    return found;
  }

  /** The member named `key` of an object (the last one when a key repeats, as JavaScript does), or null. */
  member(key: string): JsonValue | null {
    const reader = this.reader();
    if (reader.kind() != JsonKind.Object) return null;
    let found: JsonValue | null = null;
    reader.beginObject();
    while (reader.nextKey()) {
      if (reader.keyIs(key)) {
        reader.kind();
        found = new JsonValue(this.document, reader.position);
      }
      reader.skip();
    }
    return found;
  }

  /** The string member named `key` of an object, or null when it has none (or it is not a string). */
  stringAt(key: string): string | null {
    const value = this.member(key);
    return value !== null && value.kind == JsonKind.String ? value.asString() : null;
  }

  /** The string's decoded text (escapes resolved). Only for kind String. */
  asString(): string {
    return this.reader().string();
  }

  /** The value's JSON text as written: a number's digits, "true", "null"… */
  rawText(): string {
    const reader = this.reader();
    reader.capture();
    return String.UTF8.decodeUnsafe(reader.valuePtr, <usize>reader.valueLength);
  }

  /** The value's JSON text without the whitespace between tokens. */
  compactText(): string {
    const reader = this.reader();
    reader.capture();
    const from = reader.valuePtr;
    const end = from + <usize>reader.valueLength;
    const out = new ArrayBuffer(reader.valueLength);
    let length: usize = 0;
    let inString = false;
    for (let p = from; p < end; p++) {
      const b = load<u8>(p);
      if (inString) {
        if (b == 0x5c) {
          store<u8>(changetype<usize>(out) + length++, b);
          p++;
        } else if (b == 0x22) {
          inString = false;
        }
      } else if (b == 0x22) {
        inString = true;
      } else if (b == 0x20 || b == 0x0a || b == 0x0d || b == 0x09) {
        continue;
      }
      store<u8>(changetype<usize>(out) + length++, load<u8>(p));
    }
    return String.UTF8.decodeUnsafe(changetype<usize>(out), length);
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
  constructor(
    readonly key: string,
    readonly value: JsonValue,
  ) {}
}
