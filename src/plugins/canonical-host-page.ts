import { CanonicalReader, NOT_CANONICAL } from "./canonical-json.ts";

/**
 * The sandbox's check of an import or inventorize page (answers.ts), done on the answer's bytes when it
 * is canonical JSON (canonical-json.ts) and every record surely passes the host-record schema: the
 * records go on as `[hostname, labels, inventory, row]` tuples copied from the answer's bytes, never
 * parsed into JavaScript values. Anything else (not canonical, a record the schema must judge) throws
 * NOT_CANONICAL, and the answer takes the slow road, which gives the same tuples or the problem.
 */

/** What a page's hostnames need before they are stored: whether trimming or lower-casing would change any. */
export interface HostnameFacts {
  /** No hostname has white space at either end. */
  trimmed: boolean;
  /** No hostname has an upper-case letter. */
  lowerCase: boolean;
}

export interface CheckedPage {
  /** The records as a canonical JSON array of [hostname, labels, inventory or null, row or null]. */
  payload: Uint8Array;
  cursor: string | null;
  hostnames: HostnameFacts;
}

const encoder = new TextEncoder();
const word = (text: string) => encoder.encode(text);
const HOSTS = word("hosts");
const NEXT = word("next");
const HOSTNAME = word("hostname");
const LABELS = word("labels");
const INVENTORY = word("inventory");
const ROW = word("row");
const PROTO = word("__proto__");
const EMPTY_OBJECT = word("{}");
const NULL = word("null");

/** Whether the string the reader last read is `name`. */
function is(reader: CanonicalReader, name: Uint8Array): boolean {
  if (reader.end - reader.start !== name.length) return false;
  const bytes = reader.bytes;
  for (let index = 0; index < name.length; index++) if (bytes[reader.start + index] !== name[index]) return false;
  return true;
}

/** A growing byte buffer the tuples are copied into. */
class Output {
  bytes: Uint8Array;
  length = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  private room(more: number): void {
    if (this.length + more <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + more));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
  byte(value: number): void {
    this.room(1);
    this.bytes[this.length++] = value;
  }
  copy(from: Uint8Array, start: number, end: number): void {
    this.room(end - start);
    this.bytes.set(from.subarray(start, end), this.length);
    this.length += end - start;
  }
  text(value: Uint8Array): void {
    this.copy(value, 0, value.length);
  }
}

/** ASCII white space as /\s/ and String.prototype.trim know it. */
const isSpace = (byte: number) => byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
const NOT_BLANK = /\S/;

/**
 * Checks a hostname the reader just read as the host-record schema does (not blank, at most 253
 * characters) and notes whether it needs trimming or lower-casing.
 */
function checkHostname(reader: CanonicalReader, facts: HostnameFacts): void {
  const { bytes, start, end } = reader;
  let ascii = !reader.escaped;
  for (let at = start; ascii && at < end; at++) if (bytes[at]! >= 0x80) ascii = false;
  if (!ascii) {
    const hostname = reader.text();
    if (hostname.length > 253 || !NOT_BLANK.test(hostname)) throw NOT_CANONICAL;
    if (hostname.trim() !== hostname) facts.trimmed = false;
    if (hostname.toLowerCase() !== hostname) facts.lowerCase = false;
    return;
  }
  if (end - start > 253) throw NOT_CANONICAL;
  let blank = true;
  for (let at = start; at < end; at++) {
    const byte = bytes[at]!;
    if (!isSpace(byte)) blank = false;
    if (byte >= 0x41 && byte <= 0x5a) facts.lowerCase = false;
  }
  if (blank) throw NOT_CANONICAL;
  if (isSpace(bytes[start]!) || isSpace(bytes[end - 1]!)) facts.trimmed = false;
}

/** A flat map of labels (string values) or inventory (scalar values); keys never empty nor __proto__. */
function flatMap(reader: CanonicalReader, strings: boolean): void {
  reader.expect(0x7b);
  if (reader.peek() === 0x7d) {
    reader.pos++;
    return;
  }
  const base = reader.beginKeys();
  for (;;) {
    reader.key(base);
    if (reader.start === reader.end || is(reader, PROTO)) throw NOT_CANONICAL;
    const byte = reader.peek();
    if (byte === 0x22) reader.string(false);
    else if (strings || byte === 0x7b || byte === 0x5b) throw NOT_CANONICAL;
    else reader.value();
    const next = reader.peek();
    reader.pos++;
    if (next === 0x2c) continue;
    if (next === 0x7d) break;
    throw NOT_CANONICAL;
  }
  reader.endKeys(base);
}

/** One record, copied into `out` as its tuple. */
function record(reader: CanonicalReader, out: Output, facts: HostnameFacts): void {
  const bytes = reader.bytes;
  reader.expect(0x7b);
  let hostname = -1;
  let hostnameEnd = 0;
  let labels = -1;
  let labelsEnd = 0;
  let inventory = -1;
  let inventoryEnd = 0;
  let row = -1;
  let rowEnd = 0;
  if (reader.peek() === 0x7d) throw NOT_CANONICAL;
  const base = reader.beginKeys();
  for (;;) {
    reader.key(base);
    if (is(reader, HOSTNAME)) {
      hostname = reader.pos;
      reader.string(false);
      hostnameEnd = reader.pos;
      checkHostname(reader, facts);
    } else if (is(reader, LABELS)) {
      labels = reader.pos;
      flatMap(reader, true);
      labelsEnd = reader.pos;
    } else if (is(reader, INVENTORY)) {
      inventory = reader.pos;
      flatMap(reader, false);
      inventoryEnd = reader.pos;
    } else if (is(reader, ROW)) {
      row = reader.pos;
      const byte = reader.peek();
      if (byte !== 0x2d && !(byte >= 0x30 && byte <= 0x39)) throw NOT_CANONICAL;
      if (!reader.number() && !Number.isInteger(Number(new TextDecoder().decode(bytes.subarray(row, reader.pos))))) throw NOT_CANONICAL;
      rowEnd = reader.pos;
    } else {
      reader.value();
    }
    const next = reader.peek();
    reader.pos++;
    if (next === 0x2c) continue;
    if (next === 0x7d) break;
    throw NOT_CANONICAL;
  }
  reader.endKeys(base);
  if (hostname < 0) throw NOT_CANONICAL;
  out.byte(0x5b);
  out.copy(bytes, hostname, hostnameEnd);
  out.byte(0x2c);
  if (labels < 0) out.text(EMPTY_OBJECT);
  else out.copy(bytes, labels, labelsEnd);
  out.byte(0x2c);
  if (inventory < 0) out.text(NULL);
  else out.copy(bytes, inventory, inventoryEnd);
  out.byte(0x2c);
  if (row < 0) out.text(NULL);
  else out.copy(bytes, row, rowEnd);
  out.byte(0x5d);
}

/** The checked page of a canonical answer `{"hosts": [...], "next": ...}`; throws NOT_CANONICAL when the slow road must judge it. */
export function canonicalHostPage(bytes: Uint8Array): CheckedPage {
  const reader = new CanonicalReader(bytes);
  const facts: HostnameFacts = { trimmed: true, lowerCase: true };
  // The tuples are the records' bytes and a few more each.
  const out = new Output(bytes.length + 1024);
  let hosts = false;
  let cursor: string | null | undefined;
  reader.expect(0x7b);
  if (reader.peek() === 0x7d) throw NOT_CANONICAL;
  const base = reader.beginKeys();
  for (;;) {
    reader.key(base);
    if (is(reader, HOSTS)) {
      hosts = true;
      reader.expect(0x5b);
      out.byte(0x5b);
      if (reader.peek() === 0x5d) reader.pos++;
      else {
        for (let index = 0; ; index++) {
          if (index > 0) out.byte(0x2c);
          record(reader, out, facts);
          const next = reader.peek();
          reader.pos++;
          if (next === 0x2c) continue;
          if (next === 0x5d) break;
          throw NOT_CANONICAL;
        }
      }
      out.byte(0x5d);
    } else if (is(reader, NEXT)) {
      if (reader.peek() === 0x22) {
        reader.string(false);
        cursor = reader.text();
      } else if (reader.peek() === 0x6e) {
        reader.literal();
        cursor = null;
      } else throw NOT_CANONICAL;
    } else {
      reader.value();
    }
    const next = reader.peek();
    reader.pos++;
    if (next === 0x2c) continue;
    if (next === 0x7d) break;
    throw NOT_CANONICAL;
  }
  reader.endKeys(base);
  if (!reader.atEnd || !hosts || cursor === undefined) throw NOT_CANONICAL;
  return { payload: out.bytes.subarray(0, out.length), cursor, hostnames: facts };
}
