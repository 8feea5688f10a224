// The begin phase of an export: on its first call the related objects' tables (lookups.ts, kept in kv for
// the run's pages), then NetBox's objects carrying the ownership tag (`tag=<slug>`), a page of the API per
// call, each answered as an owned target host whose state is what the pages compare against: its id, the
// ids of its related objects, its status, tag ids and custom fields. Objects without the tag are never read
// here, so they are never updated or deleted; a page looks them up by name before it creates one.
import { ErrorKind, JsonKind, JsonReader, JsonWriter, Query, fail, request } from "../../sdk/index";
import { ObjectKind } from "./kinds";
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
  if (cursor.beginObject()) {
    while (cursor.nextKey()) {
      if (cursor.keyIs("cursor") && cursor.kind() == JsonKind.String) {
        offset = I64.parseInt(cursor.string());
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
  let more = false;
  let count = 0;
  reader.beginObject();
  while (reader.nextKey()) {
    if (reader.keyIs("next")) {
      more = reader.kind() == JsonKind.String;
      reader.skip();
    } else if (reader.keyIs("results") && reader.kind() == JsonKind.Array) {
      reader.beginArray();
      while (reader.nextItem()) {
        count++;
        if (!writeObject(reader, writer, kind)) return fail(ErrorKind.Parser, "the answer of GET " + answer.url + ": " + (reader.failed ? reader.error : kind.noun + " " + count.toString() + " has no id"));
      }
    } else {
      reader.skip();
    }
  }
  if (reader.failed) return fail(ErrorKind.Parser, "the answer of GET " + answer.url + ": " + reader.error);
  writer.endArray();
  writer.key("next");
  if (more && count > 0) writer.string((offset + count).toString());
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

/** One object as a target host `{hostname, owned: true, state}`; objects without a name are passed over. False when it is malformed or has no id. */
function writeObject(reader: JsonReader, writer: JsonWriter, kind: ObjectKind): bool {
  const read = new Read();
  if (!reader.beginObject()) return false;
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
  if (reader.failed || read.id == 0) return false;
  if (read.name === null || read.name!.trim().length == 0) return true;
  writer.beginObject();
  writer.key("hostname");
  writer.string(read.name!.trim());
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
  return true;
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
