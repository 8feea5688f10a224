// Attributes as comparable text: what Syncer wants and what the site holds are equal exactly when their
// canonical texts are (object keys sorted at every depth, no whitespace, strings escaped only where JSON must,
// Checkmk's meta_data left out).
// Written in one pass over the bytes: the begin phase does this for every host of the site.
import { Fingerprint, JsonDocument, JsonReader, JsonWriter } from "../../sdk/index";

// The members of the objects being sorted, a stack shared by every depth (an object's members lie from its
// base up; a nested object's above them, gone when it is written): where each key and value lies, no object
// made per member. Keys are compared as UTF-8 bytes, which is code point order (compareNames() for strings).
const keyPtrs = new Array<usize>();
const keyLengths = new Array<i32>();
const valuePtrs = new Array<usize>();
const valueLengths = new Array<i32>();
/** Keys that were escaped, unescaped into buffers of their own (the reader's is reused for the next key). */
const unescapedKeys = new Array<ArrayBuffer>();

function compareBytes(a: usize, aLength: i32, b: usize, bLength: i32): i32 {
  const common = aLength < bLength ? aLength : bLength;
  const order = memory.compare(a, b, <usize>common);
  return order != 0 ? order : aLength - bLength;
}

/** Code point order of two strings, as compareBytes orders their UTF-8: a surrogate pair sorts above U+E000–U+FFFF. */
export function compareNames(a: string, b: string): i32 {
  const common = min(a.length, b.length);
  for (let i = 0; i < common; i++) {
    let x = <i32>a.charCodeAt(i);
    let y = <i32>b.charCodeAt(i);
    if (x == y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Writes the value at `[ptr, ptr + length)` canonically. A string is written as the SDK's writer escapes it
 * (only `"`, `\\` and control characters): Checkmk, like Python's json, may send `\\u00e9` where Syncer
 * writes `é`, and the two must compare equal. At the top, `skip` names a member to leave out. False when
 * it is malformed.
 */
export function writeCanonical(writer: JsonWriter, ptr: usize, length: i32, skip: string = ""): bool {
  const first = load<u8>(ptr);
  if (first == 0x22) return copyString(writer, ptr, length);
  if (first == 0x7b) return copyObject(writer, ptr, length, skip);
  if (first == 0x5b) {
    const reader = new JsonReader(ptr, length);
    reader.beginArray();
    writer.beginArray();
    while (reader.nextItem()) {
      if (!reader.capture() || !writeCanonical(writer, reader.valuePtr, reader.valueLength)) return false;
    }
    writer.endArray();
    return !reader.failed;
  }
  // Numbers, booleans and null have no whitespace to drop: their bytes are their canonical text.
  writer.rawBytes(ptr, length);
  return true;
}

function copyObject(writer: JsonWriter, ptr: usize, length: i32, skip: string): bool {
  const reader = new JsonReader(ptr, length);
  const end = ptr + <usize>length;
  const base = keyPtrs.length;
  reader.beginObject();
  while (reader.nextKey()) {
    if (skip.length > 0 && reader.keyIs(skip)) {
      if (!reader.skip()) break;
      continue;
    }
    let keyPtr = reader.keyPtr;
    const keyLength = reader.keyLength;
    if (keyPtr < ptr || keyPtr >= end) {
      // An escaped key, unescaped into the reader's buffer: kept in one of its own until the object is written.
      const kept = new ArrayBuffer(keyLength);
      memory.copy(changetype<usize>(kept), keyPtr, <usize>keyLength);
      unescapedKeys.push(kept);
      keyPtr = changetype<usize>(kept);
    }
    if (!reader.capture()) break;
    // Insertion in order: objects have a few members.
    let at = keyPtrs.length;
    keyPtrs.push(keyPtr);
    keyLengths.push(keyLength);
    valuePtrs.push(reader.valuePtr);
    valueLengths.push(reader.valueLength);
    while (at > base && compareBytes(keyPtrs[at - 1], keyLengths[at - 1], keyPtr, keyLength) > 0) {
      keyPtrs[at] = keyPtrs[at - 1];
      keyLengths[at] = keyLengths[at - 1];
      valuePtrs[at] = valuePtrs[at - 1];
      valueLengths[at] = valueLengths[at - 1];
      at--;
    }
    keyPtrs[at] = keyPtr;
    keyLengths[at] = keyLength;
    valuePtrs[at] = reader.valuePtr;
    valueLengths[at] = reader.valueLength;
  }
  let ok = !reader.failed;
  const top = keyPtrs.length;
  if (ok) {
    writer.beginObject();
    for (let i = base; i < top && ok; i++) {
      writer.keyBytes(keyPtrs[i], keyLengths[i]);
      ok = writeCanonical(writer, valuePtrs[i], valueLengths[i]);
    }
    writer.endObject();
  }
  keyPtrs.length = base;
  keyLengths.length = base;
  valuePtrs.length = base;
  valueLengths.length = base;
  if (base == 0) unescapedKeys.length = 0;
  return ok;
}

/** A JSON string's bytes (quotes included) with its escapes resolved and written again; as they are when it has none. */
function copyString(writer: JsonWriter, ptr: usize, length: i32): bool {
  let escaped = false;
  for (let at: i32 = 1; at < length - 1; at++) {
    if (load<u8>(ptr + <usize>at) == 0x5c) {
      escaped = true;
      break;
    }
  }
  if (!escaped) {
    writer.rawBytes(ptr, length);
    return true;
  }
  const reader = new JsonReader(ptr, length);
  if (!reader.stringBytes()) return false;
  writer.stringBytes(reader.valuePtr, reader.valueLength);
  return true;
}

/** The members of a canonical object text, by key, each as its text. */
function membersOf(json: string): Map<string, string> {
  const found = new Map<string, string>();
  const members = JsonDocument.fromString(json).root().members();
  for (let i = 0; i < members.length; i++) found.set(members[i].key, members[i].value.compactText());
  return found;
}

/** "key: old → new" for each member that differs between two canonical object texts, joined with "; ". */
export function differences(before: string, after: string): string {
  const old = membersOf(before);
  const now = membersOf(after);
  const parts = new Array<string>();
  const keys = now.keys();
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (!old.has(key)) parts.push(key + ": (none) → " + now.get(key));
    else if (old.get(key) != now.get(key)) parts.push(key + ": " + old.get(key) + " → " + now.get(key));
  }
  const gone = old.keys();
  for (let i = 0; i < gone.length; i++) if (!now.has(gone[i])) parts.push(gone[i] + ": " + old.get(gone[i]) + " → (none)");
  return parts.join("; ");
}

const fingerprint = new Fingerprint();

/**
 * A host's fingerprint: its folder and its canonical attributes (the `length` bytes at `ptr`). The begin phase
 * fingerprints what the site holds, a page what it wants: equal exactly when the page would find the host
 * unchanged (same folder, same canonical attributes; the ownership label is among them).
 */
export function hostFingerprint(folder: string, ptr: usize, length: i32): Fingerprint {
  return fingerprint.reset().string(folder).bytes(ptr, length);
}
