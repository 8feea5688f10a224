import { CanonicalReader, NOT_CANONICAL } from "./canonical-json.ts";

/**
 * The sandbox's check of an import or inventorize page (answers.ts), done on the answer's bytes when it
 * is canonical JSON (canonical-json.ts) and every record surely passes the host-record schema: the
 * records go on as the array the answer holds, a view of its bytes, never parsed into JavaScript values
 * nor copied. Anything else (not canonical, a record the schema must judge) throws NOT_CANONICAL, and
 * the answer takes the slow road, which gives the same records or the problem.
 */

/** What a page's records need before they are stored: whether trimming or lower-casing would change a hostname, whether any has inventory. */
export interface RecordFacts {
  /** No hostname has white space at either end. */
  trimmed: boolean;
  /** No hostname has an upper-case letter. */
  lowerCase: boolean;
  /** Some record has an inventory. */
  inventory: boolean;
}

export interface CheckedPage {
  /** The records: the answer's `hosts`, a canonical JSON array of host records (a view of the answer). */
  payload: Uint8Array;
  cursor: string | null;
  records: RecordFacts;
  /** The answer said `"partial": true`. */
  partial: boolean;
}

const encoder = new TextEncoder();
const word = (text: string) => encoder.encode(text);
const HOSTS = word("hosts");
const NEXT = word("next");
const PARTIAL = word("partial");
const HOSTNAME = word("hostname");
const LABELS = word("labels");
const INVENTORY = word("inventory");
const ROW = word("row");
const PROTO = word("__proto__");

/** Whether the string the reader last read is `name`. */
function is(reader: CanonicalReader, name: Uint8Array): boolean {
  if (reader.end - reader.start !== name.length) return false;
  const bytes = reader.bytes;
  for (let index = 0; index < name.length; index++) if (bytes[reader.start + index] !== name[index]) return false;
  return true;
}

/** ASCII white space as /\s/ and String.prototype.trim know it. */
const isSpace = (byte: number) => byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
const NOT_BLANK = /\S/;

/**
 * Checks a hostname the reader just read as the host-record schema does (not blank, at most 253
 * characters) and notes whether it needs trimming or lower-casing.
 */
function checkHostname(reader: CanonicalReader, facts: RecordFacts): void {
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

/** One record, checked. */
function record(reader: CanonicalReader, facts: RecordFacts): void {
  reader.expect(0x7b);
  let hostname = false;
  if (reader.peek() === 0x7d) throw NOT_CANONICAL;
  const base = reader.beginKeys();
  for (;;) {
    reader.key(base);
    if (is(reader, HOSTNAME)) {
      hostname = true;
      reader.string(false);
      checkHostname(reader, facts);
    } else if (is(reader, LABELS)) {
      flatMap(reader, true);
    } else if (is(reader, INVENTORY)) {
      flatMap(reader, false);
      facts.inventory = true;
    } else if (is(reader, ROW)) {
      const start = reader.pos;
      const byte = reader.peek();
      if (byte !== 0x2d && !(byte >= 0x30 && byte <= 0x39)) throw NOT_CANONICAL;
      if (!reader.number() && !Number.isInteger(Number(new TextDecoder().decode(reader.bytes.subarray(start, reader.pos))))) throw NOT_CANONICAL;
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
  if (!hostname) throw NOT_CANONICAL;
}

/** The checked page of a canonical answer `{"hosts": [...], "next": ...}`; throws NOT_CANONICAL when the slow road must judge it. */
export function canonicalHostPage(bytes: Uint8Array): CheckedPage {
  const reader = new CanonicalReader(bytes);
  const facts: RecordFacts = { trimmed: true, lowerCase: true, inventory: false };
  let hosts: Uint8Array | undefined;
  let cursor: string | null | undefined;
  let partial = false;
  reader.expect(0x7b);
  if (reader.peek() === 0x7d) throw NOT_CANONICAL;
  const base = reader.beginKeys();
  for (;;) {
    reader.key(base);
    if (is(reader, HOSTS)) {
      const start = reader.pos;
      reader.expect(0x5b);
      if (reader.peek() === 0x5d) reader.pos++;
      else {
        for (;;) {
          record(reader, facts);
          const next = reader.peek();
          reader.pos++;
          if (next === 0x2c) continue;
          if (next === 0x5d) break;
          throw NOT_CANONICAL;
        }
      }
      hosts = bytes.subarray(start, reader.pos);
    } else if (is(reader, NEXT)) {
      if (reader.peek() === 0x22) {
        reader.string(false);
        cursor = reader.text();
      } else if (reader.peek() === 0x6e) {
        reader.literal();
        cursor = null;
      } else throw NOT_CANONICAL;
    } else if (is(reader, PARTIAL)) {
      const first = reader.peek();
      if (first !== 0x74 && first !== 0x66) throw NOT_CANONICAL;
      reader.literal();
      partial = first === 0x74;
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
  return { payload: hosts, cursor, records: facts, partial };
}
