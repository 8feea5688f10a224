// The begin phase: the site's hosts a folder per page (the whole host list of a large site is larger than
// an answer may be), answered as the target's hosts: owned when labelled cmdb_syncer with this account's
// name, and as state the folder, the ownership and the attributes (canonical, without meta_data) the
// export pages compare against. Each folder's answer is read in one pass over its bytes.
import { ErrorKind, JsonKind, JsonReader, JsonWriter, fail, request } from "../../sdk/index";
import { copyCanonical } from "./canonical";
import { foldersOf } from "./folders";
import { problemOf } from "./problem";
import { OWNER_LABEL, folderSlug, normalFolder, settingsOf } from "./settings";

/** One host of the collection as read. */
class SiteHost {
  name: string | null = null;
  folder: string = "/";
  attributesPtr: usize = 0;
  attributesLength: i32 = 0;
}

export function readSite(): i32 {
  const call = request();
  if (call.account === null) return fail(ErrorKind.Options, "reading the site needs an account");
  const settings = settingsOf(call.account!);
  if (settings.problem.length > 0) return fail(ErrorKind.Options, settings.problem);
  const folders = foldersOf(settings);
  if (folders.problem.length > 0) return fail(folders.errorKind, folders.problem);
  const cursor = call.input.reader();
  let at: i32 = 0;
  if (cursor.beginObject()) {
    while (cursor.nextKey()) {
      if (cursor.keyIs("cursor") && cursor.kind() == JsonKind.String) at = I32.parseInt(cursor.string());
      else cursor.skip();
    }
  }
  if (at < 0 || at >= folders.paths.length) return fail(ErrorKind.Runtime, "no folder " + at.toString() + " to read: the site has " + folders.paths.length.toString());
  const folder = folders.paths[at];
  const answer = settings.api.get("/objects/folder_config/" + folderSlug(folder) + "/collections/hosts");
  if (!answer.ok) return fail(answer.errorKind, "reading the hosts of folder " + folder + ": " + problemOf(answer));
  const reader = answer.document!.readerAt(0);
  const writer = new JsonWriter(answer.bytes.byteLength + 1024);
  writer.beginObject();
  writer.key("hosts");
  writer.beginArray();
  let count = 0;
  if (!reader.beginObject()) return fail(ErrorKind.Parser, "the site's host collection is not an object");
  while (reader.nextKey()) {
    if (!reader.keyIs("value")) {
      reader.skip();
      continue;
    }
    if (!reader.beginArray()) return fail(ErrorKind.Parser, "the site's host collection's value is not a list");
    while (reader.nextItem()) {
      count++;
      const host = readHost(reader);
      if (host.name === null) return fail(ErrorKind.Parser, "host " + count.toString() + " of the site's host collection has no id");
      const owned = host.attributesLength > 0 && ownerOf(host.attributesPtr, host.attributesLength) == settings.account;
      writer.beginObject();
      writer.key("hostname");
      writer.string(host.name!);
      writer.key("owned");
      writer.boolean(owned);
      writer.key("state");
      writer.beginObject();
      writer.key("folder");
      writer.string(host.folder);
      writer.key("owned");
      writer.boolean(owned);
      writer.key("attributes");
      if (host.attributesLength == 0) writer.raw("{}");
      else if (!copyCanonical(new JsonReader(host.attributesPtr, host.attributesLength), writer, "meta_data")) return fail(ErrorKind.Parser, "the attributes of host " + host.name! + " are malformed");
      writer.endObject();
      writer.endObject();
    }
  }
  if (reader.failed) return fail(ErrorKind.Parser, "the site's host collection: " + reader.error);
  writer.endArray();
  writer.key("next");
  if (at + 1 < folders.paths.length) writer.string((at + 1).toString());
  else writer.nullValue();
  writer.endObject();
  writer.output();
  return 0;
}

function readHost(reader: JsonReader): SiteHost {
  const host = new SiteHost();
  if (!reader.beginObject()) return host;
  while (reader.nextKey()) {
    if (reader.keyIs("id")) {
      host.name = reader.kind() == JsonKind.String ? reader.string() : null;
    } else if (reader.keyIs("extensions") && reader.kind() == JsonKind.Object) {
      reader.beginObject();
      while (reader.nextKey()) {
        if (reader.keyIs("folder") && reader.kind() == JsonKind.String) {
          const folder = reader.string();
          const normal = normalFolder(folder);
          host.folder = normal === null ? folder : normal!;
        } else if (reader.keyIs("attributes") && reader.kind() == JsonKind.Object && reader.capture()) {
          host.attributesPtr = reader.valuePtr;
          host.attributesLength = reader.valueLength;
        } else {
          reader.skip();
        }
      }
    } else {
      reader.skip();
    }
  }
  return host;
}

/** The value of the ownership label in an attributes object, "" without one. */
function ownerOf(ptr: usize, length: i32): string {
  const reader = new JsonReader(ptr, length);
  reader.beginObject();
  while (reader.nextKey()) {
    if (!reader.keyIs("labels") || reader.kind() != JsonKind.Object) {
      reader.skip();
      continue;
    }
    reader.beginObject();
    while (reader.nextKey()) {
      if (reader.keyIs(OWNER_LABEL) && reader.kind() == JsonKind.String) return reader.string();
      reader.skip();
    }
  }
  return "";
}
