// Attributes as comparable text: what Syncer wants and what the site holds are equal exactly when their
// canonical texts are (object keys sorted at every depth, no whitespace, Checkmk's meta_data left out).
import { JsonDocument, JsonKind, JsonValue, JsonWriter } from "../../sdk/index";

/** Writes `value` with every object's keys sorted; at the top, `skip` names a member to leave out. */
export function writeCanonical(writer: JsonWriter, value: JsonValue, skip: string = ""): void {
  const kind = value.kind;
  if (kind == JsonKind.Object) {
    const members = value.members();
    members.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    writer.beginObject();
    for (let i = 0; i < members.length; i++) {
      if (members[i].key == skip) continue;
      writer.key(members[i].key);
      writeCanonical(writer, members[i].value);
    }
    writer.endObject();
  } else if (kind == JsonKind.Array) {
    const elements = value.elements();
    writer.beginArray();
    for (let i = 0; i < elements.length; i++) writeCanonical(writer, elements[i]);
    writer.endArray();
  } else {
    writer.raw(value.compactText());
  }
}

/** The canonical text of a JSON text. */
export function canonicalText(json: string, skip: string = ""): string {
  const writer = new JsonWriter(json.length + 16);
  writeCanonical(writer, JsonDocument.fromString(json).root(), skip);
  return writer.toString();
}

/** The members of a canonical object text, by key, each as its canonical text. */
export function membersOf(json: string): Map<string, string> {
  const found = new Map<string, string>();
  const members = JsonDocument.fromString(json).root().members();
  for (let i = 0; i < members.length; i++) {
    const writer = new JsonWriter(64);
    writeCanonical(writer, members[i].value);
    found.set(members[i].key, writer.toString());
  }
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
