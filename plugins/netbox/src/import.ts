// NetBox's devices or virtual machines as hosts, a page of the API per call (limit/offset; the cursor is
// the next offset, taken while NetBox answers a `next`). The name is the hostname (objects without one are
// skipped and counted in the run log); labels come from label_fields, the tags (their names, joined with
// ",") and the custom fields (prefixed); the inventory is the rest of the object, nested values flattened
// to dotted keys ("device_type.manufacturer.name"), links left out. Each object is read in one pass over
// its bytes: a page is a thousand objects of a kilobyte or two.
import { ErrorKind, ImportPage, Importer, JsonKind, JsonReader, JsonWriter, Query, log } from "../../sdk/index";
import { ListAnswer } from "./list";
import { Settings, deltaSince, settingsOf } from "./settings";

/** Members that are neither labels nor inventory: links and NetBox's display texts. */
function isNoise(key: string): bool {
  return key == "url" || key == "display" || key == "display_url" || key == "_depth";
}

/** One object as it is read: its name, labels, and its inventory written as it goes. */
class Item {
  name: string | null = null;
  labels: Map<string, string> = new Map<string, string>();
  inventory: JsonWriter = new JsonWriter(4096);

  reset(): void {
    this.name = null;
    this.labels.clear();
    this.inventory.reset();
    this.inventory.beginObject();
  }
}

const item = new Item();

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
    // Delta: only what changed since the last successful run, which cannot show what was deleted.
    const since = settings.delta ? deltaSince(page.lastSuccess, settings.deltaMarginSeconds) : null;
    if (since !== null) {
      query.set("last_updated__gte", since);
      page.partial = true;
    }
    const answer = settings.api.get(this.path, query);
    if (!answer.ok) return page.fail(answer.errorKind, answer.errorMessage);
    const reader = answer.document!.readerAt(0);
    const list = new ListAnswer(reader);
    let nameless = 0;
    while (list.next()) {
      readItem(reader, settings);
      if (item.name === null) {
        nameless++;
        continue;
      }
      writeHost(page, settings);
    }
    if (reader.failed) return page.fail(ErrorKind.Parser, "the answer of GET " + answer.url + ": " + reader.error);
    if (!list.listed) return page.fail(ErrorKind.Parser, "the answer of GET " + answer.url + " has no list of results");
    if (nameless > 0) log.warn(nameless.toString() + " " + this.noun + " without a name skipped (offset " + offset.toString() + ")");
    page.next = list.more && list.count > 0 ? (offset + list.count).toString() : null;
    return true;
  }
}

function writeHost(page: ImportPage, settings: Settings): void {
  const writer = page.beginHost();
  writer.key("hostname");
  writer.string(item.name!);
  writer.key("labels");
  writer.beginObject();
  const names = item.labels.keys();
  for (let i = 0; i < names.length; i++) {
    writer.key(names[i]);
    writer.string(item.labels.get(names[i]));
  }
  writer.endObject();
  writer.key("inventory");
  item.inventory.endObject();
  writer.rawWriter(item.inventory);
  page.endHost();
}

/** One object into `item`, in one pass. */
function readItem(reader: JsonReader, settings: Settings): void {
  item.reset();
  if (!reader.beginObject()) return;
  while (reader.nextKey()) {
    const key = reader.key();
    if (key == "name") {
      const name = reader.kind() == JsonKind.String ? reader.string().trim() : "";
      if (!reader.nullValue() && name.length > 0) item.name = name;
      else if (name.length == 0 && item.name === null) item.name = null;
    } else if (key == "tags") {
      readTags(reader);
    } else if (key == "custom_fields") {
      readCustomFields(reader, settings.customFieldPrefix);
    } else if (isNoise(key)) {
      reader.skip();
    } else {
      flatten(key, reader, settings, 0);
    }
  }
}

/** tags: their names, joined with ","; none when the object has no tags. */
function readTags(reader: JsonReader): void {
  if (reader.kind() != JsonKind.Array) {
    reader.skip();
    return;
  }
  const names = new Array<string>();
  reader.beginArray();
  while (reader.nextItem()) {
    if (reader.kind() != JsonKind.Object) {
      reader.skip();
      continue;
    }
    reader.beginObject();
    while (reader.nextKey()) {
      if (reader.keyIs("name") && reader.kind() == JsonKind.String) names.push(reader.string());
      else reader.skip();
    }
  }
  if (names.length > 0) item.labels.set("tags", names.join(","));
}

/** Each custom field with a value, as `<prefix><name>`: scalars as text, an object (a related object) by its name, lists as JSON. */
function readCustomFields(reader: JsonReader, prefix: string): void {
  if (prefix.length == 0 || reader.kind() != JsonKind.Object) {
    reader.skip();
    return;
  }
  reader.beginObject();
  while (reader.nextKey()) {
    const name = prefix + reader.key();
    const kind = reader.kind();
    if (kind == JsonKind.Null) {
      reader.skip();
    } else if (kind == JsonKind.String) {
      item.labels.set(name, reader.string());
    } else if (kind == JsonKind.Object) {
      let found: string | null = null;
      reader.beginObject();
      while (reader.nextKey()) {
        if (reader.keyIs("name") && reader.kind() == JsonKind.String) found = reader.string();
        else reader.skip();
      }
      if (found !== null) item.labels.set(name, found!);
    } else if (reader.capture()) {
      item.labels.set(name, String.UTF8.decodeUnsafe(reader.valuePtr, <usize>reader.valueLength));
    }
  }
}

/** The value the reader stands at under `key`: scalars as they are (and as a label when label_fields names the key), objects as dotted keys, lists as their JSON text. */
function flatten(key: string, reader: JsonReader, settings: Settings, depth: i32): void {
  const kind = reader.kind();
  if (kind == JsonKind.Object && depth < 4) {
    reader.beginObject();
    while (reader.nextKey()) {
      const inner = reader.key();
      if (isNoise(inner)) reader.skip();
      else flatten(key + "." + inner, reader, settings, depth + 1);
    }
    return;
  }
  const writer = item.inventory;
  // Values go from the answer's bytes to the inventory's, decoded only when a label takes them.
  if (kind == JsonKind.String) {
    if (!reader.stringBytes()) return;
    writer.key(key);
    writer.stringBytes(reader.valuePtr, reader.valueLength);
    if (settings.labelPaths.has(key)) item.labels.set(settings.labelPaths.get(key), String.UTF8.decodeUnsafe(reader.valuePtr, <usize>reader.valueLength));
    return;
  }
  if (!reader.capture()) return;
  writer.key(key);
  // Inventory values are scalars: a list (or an object nested too deep) as its JSON text.
  if (kind == JsonKind.Array || kind == JsonKind.Object) writer.stringBytes(reader.valuePtr, reader.valueLength);
  else writer.rawBytes(reader.valuePtr, reader.valueLength);
  if (kind != JsonKind.Null && settings.labelPaths.has(key)) item.labels.set(settings.labelPaths.get(key), String.UTF8.decodeUnsafe(reader.valuePtr, <usize>reader.valueLength));
}
