// The begin phase of an export: on its first call the related objects' tables (lookups.ts, kept in kv for
// the run's pages), then NetBox's objects carrying the ownership tag (`tag=<slug>`), a page of the API per
// call, each answered as an owned target host whose state is what the pages compare against: its id, the
// ids of its related objects, its status, tag ids and custom fields. Objects without the tag are never read
// here, so they are never updated or deleted; a page looks them up by name before it creates one.
//
// NetBox lists objects by name, then id: two tagged objects of one name (in two sites) are next to each other,
// perhaps across a page boundary, so the cursor carries the last name besides the offset. The first (the lowest
// id) is the host's; the others are reported and left alone (a target has one host per name).
import { ErrorKind, JsonKind, JsonReader, JsonWriter, Query, fail, log, request } from "../../sdk/index";
import { ObjectKind } from "./kinds";
import { ListAnswer } from "./list";
import { Lookups, lookupPrefix } from "./lookups";
import { problemOf } from "./problem";
import { settingsOf } from "./settings";

export function readTarget(kind: ObjectKind): i32 {
  const call = request();
  if (call.account === null) return fail(ErrorKind.Options, "an export needs an account");
  const settings = settingsOf(call.account!);
  if (settings.problem.length > 0) return fail(ErrorKind.Options, settings.problem);
  let offset: i64 = 0;
  const cursor = call.input.reader();
  let first = true;
  let previous = "";
  if (cursor.beginObject()) {
    while (cursor.nextKey()) {
      if (cursor.keyIs("cursor") && cursor.kind() == JsonKind.String) {
        // "<offset>:<the last name read>"
        const text = cursor.string();
        const cut = text.indexOf(":");
        offset = I64.parseInt(cut < 0 ? text : text.substring(0, cut));
        if (cut >= 0) previous = text.substring(cut + 1);
        first = false;
      } else {
        cursor.skip();
      }
    }
  }
  const writer = new JsonWriter(256 * 1024);
  writer.beginObject();
  writer.key("hosts");
  writer.beginArray();
  if (first) {
    const lookups = new Lookups(kind.devices);
    const problem = lookups.read(settings);
    if (problem.length > 0) return fail(lookups.fatalKind, problem);
    lookups.save(lookupPrefix(kind.devices), false);
    // Without its tag NetBox holds nothing of Syncer's (and refuses the filter).
    if (lookups.tag.find(settings.tag) == 0) {
      writer.endArray();
      writer.key("next");
      writer.nullValue();
      writer.endObject();
      writer.output();
      return 0;
    }
  }
  const answer = settings.api.get(kind.path, new Query().set("tag", settings.tag).setInt("limit", settings.pageSize).setInt("offset", offset));
  if (!answer.ok) return fail(answer.errorKind, "reading NetBox's " + kind.noun + "s tagged " + settings.tag + ": " + problemOf(answer));
  const reader = answer.document!.readerAt(0);
  const list = new ListAnswer(reader);
  while (list.next()) {
    const name = writeObject(reader, writer, kind, previous);
    if (name !== null) previous = name!;
    if (written.failed) return fail(ErrorKind.Parser, "the answer of GET " + answer.url + ": " + (reader.failed ? reader.error : kind.noun + " " + list.count.toString() + " has no id"));
  }
  if (reader.failed) return fail(ErrorKind.Parser, "the answer of GET " + answer.url + ": " + reader.error);
  writer.endArray();
  writer.key("next");
  if (list.more && list.count > 0) writer.string((offset + list.count).toString() + ":" + previous);
  else writer.nullValue();
  writer.endObject();
  writer.output();
  return 0;
}

/** Ids of the related objects by field, as read from one object. */
class Read {
  id: i64 = 0;
  name: string | null = null;
  status: string = "";
  refs: Map<string, i64> = new Map<string, i64>();
  tags: i64[] = [];
  customFields: string = "{}";
}

class Written {
  failed: bool = false;
}
const written = new Written();

/**
 * One object as a target host `{hostname, owned: true, state}`: its name, or null for one passed over (without a
 * name, or named as the one before); `written.failed` when it is malformed or has no id.
 */
function writeObject(reader: JsonReader, writer: JsonWriter, kind: ObjectKind, previous: string): string | null {
  const read = new Read();
  written.failed = true;
  if (!reader.beginObject()) return null;
  while (reader.nextKey()) {
    const key = reader.key();
    const k = reader.kind();
    if (key == "id" && k == JsonKind.Number) {
      read.id = reader.integer();
    } else if (key == "name" && k == JsonKind.String) {
      read.name = reader.string();
    } else if (key == "status" && k == JsonKind.Object) {
      reader.beginObject();
      while (reader.nextKey()) {
        if (reader.keyIs("value") && reader.kind() == JsonKind.String) read.status = reader.string();
        else reader.skip();
      }
    } else if (key == "tags" && k == JsonKind.Array) {
      reader.beginArray();
      while (reader.nextItem()) read.tags.push(idOf(reader));
    } else if (key == "custom_fields" && k == JsonKind.Object && reader.capture()) {
      read.customFields = String.UTF8.decodeUnsafe(reader.valuePtr, <usize>reader.valueLength);
    } else if (kind.refs.includes(key)) {
      read.refs.set(key, k == JsonKind.Object ? idOf(reader) : skipped(reader));
    } else {
      reader.skip();
    }
  }
  if (reader.failed || read.id == 0) return null;
  written.failed = false;
  if (read.name === null || read.name!.trim().length == 0) return null;
  const name = read.name!.trim();
  if (name == previous) {
    log.warn("NetBox has more than one " + kind.noun + " named " + name + " with the tag: " + kind.noun + " " + read.id.toString() + " is left alone (Syncer has one host per name)");
    return null;
  }
  writer.beginObject();
  writer.key("hostname");
  writer.string(name);
  writer.key("owned");
  writer.boolean(true);
  writer.key("state");
  writer.beginObject();
  writer.key("id");
  writer.integer(read.id);
  for (let i = 0; i < kind.refs.length; i++) {
    writer.key(kind.refs[i]);
    writer.integer(read.refs.has(kind.refs[i]) ? read.refs.get(kind.refs[i]) : 0);
  }
  writer.key("status");
  writer.string(read.status);
  writer.key("tags");
  writer.beginArray();
  read.tags.sort();
  for (let i = 0; i < read.tags.length; i++) writer.integer(read.tags[i]);
  writer.endArray();
  writer.key("custom_fields");
  writer.raw(read.customFields);
  writer.endObject();
  writer.endObject();
  return name;
}

/** A nested object's id (0 when it has none). */
function idOf(reader: JsonReader): i64 {
  let id: i64 = 0;
  if (!reader.beginObject()) {
    reader.skip();
    return 0;
  }
  while (reader.nextKey()) {
    if (reader.keyIs("id") && reader.kind() == JsonKind.Number) id = reader.integer();
    else reader.skip();
  }
  return id;
}

function skipped(reader: JsonReader): i64 {
  reader.skip();
  return 0;
}
