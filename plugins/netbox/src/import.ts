// NetBox's devices or virtual machines as hosts, a page of the API per call (limit/offset; the cursor is
// the next offset, taken while NetBox answers a `next`). The name is the hostname (objects without one are
// skipped and counted in the run log); labels come from label_fields, the tags (their names, joined with
// ",") and the custom fields (prefixed); the inventory is the rest of the object, nested values flattened
// to dotted keys ("device_type.manufacturer.name"), links left out.
import { ErrorKind, ImportPage, Importer, JsonKind, JsonReader, JsonValue, JsonWriter, Query, log, select } from "../../sdk/index";
import { Settings, settingsOf } from "./settings";

/** Members that are neither labels nor inventory: links and NetBox's display texts. */
function isNoise(key: string): bool {
  return key == "url" || key == "display" || key == "display_url" || key == "_depth";
}

export class NetboxImporter extends Importer {
  constructor(
    /** The list endpoint under /api: "/dcim/devices/". */
    public path: string,
    /** What its objects are called in messages. */
    public noun: string,
  ) {
    super();
  }

  fetch(page: ImportPage): bool {
    const settings = settingsOf(page.account);
    if (settings.problem.length > 0) return page.fail(ErrorKind.Options, settings.problem);
    const offset = page.offset("an offset");
    if (offset < 0) return false;
    const query = new Query().setInt("limit", settings.pageSize).setInt("offset", offset);
    for (let i = 0; i < settings.filterNames.length; i++) query.set(settings.filterNames[i], settings.filterValues[i]);
    const answer = settings.api.get(this.path, query);
    if (!answer.ok) return page.fail(answer.errorKind, answer.errorMessage);
    const root = answer.document!.root();
    const results = root.member("results");
    if (results === null || results.kind != JsonKind.Array) return page.fail(ErrorKind.Parser, "the answer of GET " + answer.url + " has no list of results");
    const items = results.elements();
    let nameless = 0;
    for (let i = 0; i < items.length; i++) {
      const name = items[i].stringAt("name");
      if (name === null || name!.trim().length == 0) {
        nameless++;
        continue;
      }
      writeHost(page.beginHost(), name!, items[i], settings);
      page.endHost();
    }
    if (nameless > 0) log.warn(nameless.toString() + " " + this.noun + " without a name skipped (offset " + offset.toString() + ")");
    const next = root.member("next");
    page.next = next !== null && next.kind == JsonKind.String && items.length > 0 ? (offset + items.length).toString() : null;
    return true;
  }
}

function writeHost(writer: JsonWriter, name: string, item: JsonValue, settings: Settings): void {
  writer.key("hostname");
  writer.string(name);
  writer.key("labels");
  writer.beginObject();
  const fields = settings.mapping!.labels;
  for (let i = 0; i < fields.length; i++) {
    const value = select(item, fields[i].selector).value;
    if (value === null || value.kind == JsonKind.Null) continue;
    const text = value.scalarText();
    writer.key(fields[i].name);
    writer.string(text !== null ? text! : value.compactText());
  }
  writeTags(writer, item);
  if (settings.customFieldPrefix.length > 0) writeCustomFields(writer, item, settings.customFieldPrefix);
  writer.endObject();
  writer.key("inventory");
  writer.beginObject();
  const reader = item.reader();
  reader.beginObject();
  while (reader.nextKey()) {
    const key = reader.key();
    if (key == "name" || key == "tags" || key == "custom_fields" || isNoise(key)) reader.skip();
    else flatten(writer, key, reader, 0);
  }
  writer.endObject();
}

/** tags: their names, joined with ","; none when the object has no tags. */
function writeTags(writer: JsonWriter, item: JsonValue): void {
  const tags = item.member("tags");
  if (tags === null || tags.kind != JsonKind.Array) return;
  const names = new Array<string>();
  const elements = tags.elements();
  for (let i = 0; i < elements.length; i++) {
    const name = elements[i].kind == JsonKind.Object ? elements[i].stringAt("name") : null;
    if (name !== null) names.push(name!);
  }
  if (names.length == 0) return;
  writer.key("tags");
  writer.string(names.join(","));
}

/** Each custom field with a value, as `<prefix><name>`: scalars as text, lists and objects as JSON (an object field: its name). */
function writeCustomFields(writer: JsonWriter, item: JsonValue, prefix: string): void {
  const fields = item.member("custom_fields");
  if (fields === null || fields.kind != JsonKind.Object) return;
  const members = fields.members();
  for (let i = 0; i < members.length; i++) {
    const value = members[i].value;
    const kind = value.kind;
    if (kind == JsonKind.Null) continue;
    let text = value.scalarText();
    if (text === null && kind == JsonKind.Object) text = value.stringAt("name");
    writer.key(prefix + members[i].key);
    writer.string(text !== null ? text! : value.compactText());
  }
}

/** The value the reader stands at under `key`: scalars as they are, objects as dotted keys, lists as their JSON text. */
function flatten(writer: JsonWriter, key: string, reader: JsonReader, depth: i32): void {
  const kind = reader.kind();
  if (kind == JsonKind.Object && depth < 4) {
    reader.beginObject();
    while (reader.nextKey()) {
      const inner = reader.key();
      if (isNoise(inner)) reader.skip();
      else flatten(writer, key + "." + inner, reader, depth + 1);
    }
    return;
  }
  if (!reader.capture()) return;
  writer.key(key);
  if (kind == JsonKind.Array || kind == JsonKind.Object) {
    // Inventory values are scalars: a list (or an object nested too deep) as its JSON text.
    writer.string(String.UTF8.decodeUnsafe(reader.valuePtr, <usize>reader.valueLength));
  } else {
    writer.rawBytes(reader.valuePtr, reader.valueLength);
  }
}
