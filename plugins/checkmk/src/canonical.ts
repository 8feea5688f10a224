// Attributes as comparable text: what Syncer wants and what the site holds are equal exactly when their
// canonical texts are (object keys sorted at every depth, no whitespace, strings escaped only where JSON must,
// Checkmk's meta_data left out).
// Written in one pass over the bytes: the begin phase does this for every host of the site.
import { JsonDocument, JsonKind, JsonReader, JsonWriter } from "../../sdk/index";

/** A member of an object being sorted: its key and where its value's bytes lie. */
class Member {
  constructor(
    public key: string,
    public ptr: usize,
    public length: i32,
  ) {}
}

/**
 * Writes the value at `[ptr, ptr + length)` canonically. A string is written as the SDK's writer escapes it
 * (only `"`, `\\` and control characters): Checkmk, like Python's json, may send `\\u00e9` where Syncer
 * writes `é`, and the two must compare equal.
 */
function copyBytes(writer: JsonWriter, ptr: usize, length: i32): bool {
  const first = load<u8>(ptr);
  if (first == 0x22) return copyString(writer, ptr, length);
  // Numbers, booleans and null have no whitespace to drop: their bytes are their canonical text.
  if (first != 0x7b && first != 0x5b) {
    writer.rawBytes(ptr, length);
    return true;
  }
  return copyCanonical(new JsonReader(ptr, length), writer);
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

/** Writes the value the reader stands at with every object's keys sorted; at the top, `skip` names a member to leave out. False when it is malformed. */
export function copyCanonical(reader: JsonReader, writer: JsonWriter, skip: string = ""): bool {
  const kind = reader.kind();
  if (kind == JsonKind.Object) {
    const members = new Array<Member>();
    reader.beginObject();
    while (reader.nextKey()) {
      const key = reader.key();
      if (key == skip) {
        if (!reader.skip()) return false;
        continue;
      }
      if (!reader.capture()) return false;
      members.push(new Member(key, reader.valuePtr, reader.valueLength));
    }
    if (reader.failed) return false;
    members.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    writer.beginObject();
    for (let i = 0; i < members.length; i++) {
      writer.key(members[i].key);
      if (!copyBytes(writer, members[i].ptr, members[i].length)) return false;
    }
    writer.endObject();
    return true;
  }
  if (kind == JsonKind.Array) {
    reader.beginArray();
    writer.beginArray();
    while (reader.nextItem()) {
      if (!reader.capture() || !copyBytes(writer, reader.valuePtr, reader.valueLength)) return false;
    }
    writer.endArray();
    return !reader.failed;
  }
  if (!reader.capture()) return false;
  return copyBytes(writer, reader.valuePtr, reader.valueLength);
}

/** The canonical text of the value at `[ptr, ptr + length)` onto `writer` (keys sorted, strings escaped as Syncer writes them). */
export function writeCanonical(writer: JsonWriter, ptr: usize, length: i32): bool {
  return copyBytes(writer, ptr, length);
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
