// NetBox's devices or virtual machines as hosts, a page of the API per call (limit/offset; the cursor is
// the next offset, taken while NetBox answers a `next`). The name is the hostname (objects without one are
// skipped and counted in the run log); labels come from label_fields, the tags (their names, joined with
// ",") and the custom fields (prefixed); the inventory is the rest of the object, nested values flattened
// to dotted keys ("device_type.manufacturer.name"), links left out. Each object is read in one pass over
// its bytes: a page is a thousand objects of a kilobyte or two, of a hundred keys and more each. Keys and
// values go from the answer's bytes to the inventory's without becoming strings (the dotted key is built
// in one byte buffer); only a label's value, the name and the tags are decoded.
import { ByteBuffer, ErrorKind, ImportPage, Importer, JsonKind, JsonReader, JsonWriter, Query, log } from "../../sdk/index";
import { ListAnswer } from "./list";
import { Settings, deltaSince, settingsOf } from "./settings";

/** Members that are neither labels nor inventory: links and NetBox's display texts. Read on the key's bytes. */
function isNoise(reader: JsonReader): bool {
  const n = reader.keyLength;
  if (n == 3) return reader.keyIs("url");
  if (n == 7) return reader.keyIs("display");
  if (n == 11) return reader.keyIs("display_url");
  if (n == 6) return reader.keyIs("_depth");
  return false;
}

/** The dotted key of the value being read ("device_type.manufacturer.name"), as UTF-8 bytes. */
const path = new ByteBuffer(256);

/** label_fields as bytes, for the page being read: the dotted paths and the labels they make. */
let labelPaths = new Array<ArrayBuffer>();
let labelNames = new Array<string>();

function usePaths(settings: Settings): void {
  labelPaths = new Array<ArrayBuffer>();
  labelNames = new Array<string>();
  const paths = settings.labelPaths.keys();
  for (let i = 0; i < paths.length; i++) {
    labelPaths.push(String.UTF8.encode(paths[i]));
    labelNames.push(settings.labelPaths.get(paths[i]));
  }
}

/** The label label_fields makes of the value at `path`, or null. */
function labelAtPath(): string | null {
  const n = path.length;
  for (let i = 0; i < labelPaths.length; i++) {
    const candidate = labelPaths[i];
    if (candidate.byteLength == n && memory.compare(changetype<usize>(candidate), path.dataStart, <usize>n) == 0) return labelNames[i];
  }
  return null;
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
    // Delta: only what changed since the last successful run, which cannot show what was deleted.
    const since = settings.delta ? deltaSince(page.lastSuccess, settings.deltaMarginSeconds) : null;
    if (since !== null) page.partial = true;
    // The answer is read in one pass that checks what it reads (and fails on reader.failed): no pass before it.
    settings.api.checkAnswers = false;
    const answer = settings.api.get(this.path, pageQuery(settings, offset, since));
    if (!answer.ok) return page.fail(answer.errorKind, answer.errorMessage);
    usePaths(settings);
    const reader = answer.document!.readerAt(0);
    const list = new ListAnswer(reader);
    let nameless = 0;
    while (list.next()) {
      // NetBox's next link comes before the results: the next page is asked for now (the next call's request,
      // at the offset the link names), so that NetBox answers it while this page is read and handed over.
      if (list.count == 1 && list.nextLink !== null) {
        const next = offsetIn(list.nextLink!);
        if (next > offset) settings.api.prefetch(this.path, pageQuery(settings, next, since));
      }
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

/** The query of the page at `offset`: page size, offset, the account's filters, and the delta's bound. */
function pageQuery(settings: Settings, offset: i64, since: string | null): Query {
  const query = new Query().setInt("limit", settings.pageSize).setInt("offset", offset);
  for (let i = 0; i < settings.filterNames.length; i++) query.set(settings.filterNames[i], settings.filterValues[i]);
  if (since !== null) query.set("last_updated__gte", since);
  return query;
}

/** The offset= parameter of a link (digits only), or -1 when it has none. */
function offsetIn(link: string): i64 {
  const start = link.indexOf("?");
  if (start < 0) return -1;
  const parameters = link.substring(start + 1).split("&");
  for (let i = 0; i < parameters.length; i++) {
    const parameter = parameters[i];
    if (!parameter.startsWith("offset=") || parameter.length == 7 || parameter.length > 7 + 15) continue;
    let value: i64 = 0;
    for (let j = 7; j < parameter.length; j++) {
      const c = parameter.charCodeAt(j);
      if (c < 0x30 || c > 0x39) return -1;
      value = value * 10 + <i64>(c - 0x30);
    }
    return value;
  }
  return -1;
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
    if (reader.keyIs("name")) {
      const name = reader.kind() == JsonKind.String ? reader.string().trim() : "";
      if (!reader.nullValue() && name.length > 0) item.name = name;
      else if (name.length == 0 && item.name === null) item.name = null;
    } else if (reader.keyIs("tags")) {
      readTags(reader);
    } else if (reader.keyIs("custom_fields")) {
      readCustomFields(reader, settings.customFieldPrefix);
    } else if (isNoise(reader)) {
      reader.skip();
    } else {
      path.clear();
      path.writeBytes(reader.keyPtr, <usize>reader.keyLength);
      flatten(reader, 0);
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

/** The value the reader stands at under `path`: scalars as they are (and as a label when label_fields names the path), objects as dotted keys, lists as their JSON text. */
function flatten(reader: JsonReader, depth: i32): void {
  const kind = reader.kind();
  if (kind == JsonKind.Object && depth < 4) {
    reader.beginObject();
    const base = path.length;
    while (reader.nextKey()) {
      if (isNoise(reader)) {
        reader.skip();
        continue;
      }
      path.length = base;
      path.writeByte(0x2e); // .
      path.writeBytes(reader.keyPtr, <usize>reader.keyLength);
      flatten(reader, depth + 1);
    }
    path.length = base;
    return;
  }
  const writer = item.inventory;
  // Values go from the answer's bytes to the inventory's, decoded only when a label takes them.
  if (kind == JsonKind.String) {
    if (!reader.stringBytes()) return;
    writer.keyBytes(path.dataStart, path.length);
    writer.stringBytes(reader.valuePtr, reader.valueLength);
    const label = labelAtPath();
    if (label !== null) item.labels.set(label, String.UTF8.decodeUnsafe(reader.valuePtr, <usize>reader.valueLength));
    return;
  }
  if (!reader.capture()) return;
  writer.keyBytes(path.dataStart, path.length);
  // Inventory values are scalars: a list (or an object nested too deep) as its JSON text.
  if (kind == JsonKind.Array || kind == JsonKind.Object) writer.stringBytes(reader.valuePtr, reader.valueLength);
  else writer.rawBytes(reader.valuePtr, reader.valueLength);
  if (kind == JsonKind.Null) return;
  const label = labelAtPath();
  if (label !== null) item.labels.set(label, String.UTF8.decodeUnsafe(reader.valuePtr, <usize>reader.valueLength));
}
