// The begin phase: the site's hosts a folder per request (the whole host list of a large site is larger
// than an answer may be), as many folders per call as make a few MB, answered as the target's hosts: owned
// when labelled cmdb_syncer with this account's name, and as state the folder, the ownership and the
// fingerprint of folder and attributes (canonical, without meta_data) the export pages compare against.
// Each folder's answer is read in one pass over its bytes.
import { ErrorKind, JsonKind, JsonReader, JsonWriter, fail, request } from "../../sdk/index";
import { hostFingerprint, writeCanonical } from "./canonical";
import { foldersOf } from "./folders";
import { problemOf } from "./problem";
import { OWNER_LABEL, folderHostsPath, normalFolder, settingsOf } from "./settings";

/** One host of the collection as read: where its parts lie in the answer (one object, read again for each host). */
class SiteHost {
  /** The id's JSON string as it stands in the answer, quotes included (length 0: none). */
  namePtr: usize = 0;
  nameLength: i32 = 0;
  folder: string = "/";
  attributesPtr: usize = 0;
  attributesLength: i32 = 0;

  reset(): void {
    this.namePtr = 0;
    this.nameLength = 0;
    this.folder = "/";
    this.attributesPtr = 0;
    this.attributesLength = 0;
  }

  /** The id, decoded: for messages. */
  get name(): string {
    const reader = new JsonReader(this.namePtr, this.nameLength);
    return reader.string();
  }
}

const siteHost = new SiteHost();

// Checkmk's answers read per call: folders are read until their answers pass the option read_kib (8 MiB),
// so that a site of many small folders is read in a few calls (each call also lists the folders) and one of
// large folders still in answers of bounded size.

/**
 * The parts the rest of a large site is read in, each a run of its folders: when the first call has read
 * its fill and folders are left, it hands them out in `also`, and the plugin's two sandbox processes read
 * them two at a time, one reading Checkmk's answers while the daemon keeps the other's. A site the first
 * call reads whole starts no second process.
 */
const PARTS: i32 = 4;

export function readSite(): i32 {
  const call = request();
  if (call.account === null) return fail(ErrorKind.Options, "reading the site needs an account");
  const settings = settingsOf(call.account!);
  if (settings.problem.length > 0) return fail(ErrorKind.Options, settings.problem);
  const folders = foldersOf(settings);
  if (folders.problem.length > 0) return fail(folders.errorKind, folders.problem);
  // The cursor is the path of the next folder to read, and after a newline the first folder of the next
  // part (not read in this one): a folder made or removed meanwhile shifts no other.
  const cursor = call.input.reader();
  let from = "";
  let to: string | null = null;
  let first = true;
  if (cursor.beginObject()) {
    while (cursor.nextKey()) {
      if (cursor.keyIs("cursor") && cursor.kind() == JsonKind.String) {
        first = false;
        const text = cursor.string();
        const cut = text.indexOf("\n");
        from = cut < 0 ? text : text.substring(0, cut);
        to = cut < 0 ? null : text.substring(cut + 1);
      } else cursor.skip();
    }
  }
  let at: i32 = 0;
  while (at < folders.paths.length && folders.paths[at] < from) at++;
  let end: i32 = folders.paths.length;
  if (to !== null) {
    end = at;
    while (end < folders.paths.length && folders.paths[end] < to!) end++;
  }
  const writer = new JsonWriter(settings.readBytes / 2 + 1024);
  writer.beginObject();
  writer.key("hosts");
  writer.beginArray();
  let read: i32 = 0;
  // Each answer is read in one pass that fails on malformed JSON: not checked whole before.
  settings.api.checkAnswers = false;
  while (at < end && read < settings.readBytes) {
    const folder = folders.paths[at];
    const answer = settings.api.get(folderHostsPath(folder));
    if (!answer.ok) return fail(answer.errorKind, "reading the hosts of folder " + folder + ": " + problemOf(answer));
    read += answer.bytes.byteLength;
    // The next folder this call reads is asked for now: Checkmk answers it while this one is read.
    if (at + 1 < end && read < settings.readBytes) settings.api.prefetch(folderHostsPath(folders.paths[at + 1]));
    const problem = writeFolder(answer.document!.readerAt(0), writer, settings.account, folder);
    if (problem.length > 0) return fail(ErrorKind.Parser, problem);
    at++;
  }
  writer.endArray();
  writer.key("next");
  if (at >= end || first) writer.nullValue();
  else if (to === null) writer.string(folders.paths[at]);
  else writer.string(folders.paths[at] + "\n" + to!);
  // The first call's leftover folders, in parts (their paths sorted, a run each) the daemon reads at once.
  if (first && at < end) writeParts(writer, folders.paths, at);
  writer.endObject();
  writer.output();
  return 0;
}

/** `also`: the folders from `from` on, in up to PARTS runs, each a cursor "first folder\nfirst folder of the next run" (the last without an end). */
function writeParts(writer: JsonWriter, paths: string[], from: i32): void {
  const left = paths.length - from;
  const parts = min(PARTS, left);
  writer.key("also");
  writer.beginArray();
  for (let part = 0; part < parts; part++) {
    const start = from + (left * part) / parts;
    const stop = from + (left * (part + 1)) / parts;
    writer.string(part == parts - 1 ? paths[start] : paths[start] + "\n" + paths[stop]);
  }
  writer.endArray();
}

/** One folder's host collection as the begin phase's hosts, onto `writer`; "" when it was read, else the problem. */
function writeFolder(reader: JsonReader, writer: JsonWriter, account: string, folder: string): string {
  let count = 0;
  // Hosts are compared on bytes, without a string made per host: the owner label's value with the account's name.
  const accountBytes = String.UTF8.encode(account);
  if (!reader.beginObject()) return "the hosts of folder " + folder + " are not an object";
  while (reader.nextKey()) {
    if (!reader.keyIs("value")) {
      reader.skip();
      continue;
    }
    if (!reader.beginArray()) return "the hosts of folder " + folder + " come without a list (value)";
    while (reader.nextItem()) {
      count++;
      const host = readHost(reader);
      if (host.nameLength == 0) return "host " + count.toString() + " of folder " + folder + " has no id";
      const owned = host.attributesLength > 0 && ownedBy(host.attributesPtr, host.attributesLength, accountBytes);
      writer.beginObject();
      writer.key("hostname");
      // The id as Checkmk wrote it, its escapes resolved (as a string read and written again would be).
      writeCanonical(writer, host.namePtr, host.nameLength);
      writer.key("owned");
      writer.boolean(owned);
      // The host's attributes, canonical, fingerprinted with its folder as export.ts fingerprints what a page wants of
      // it: the state carries the fingerprint, not the attributes (a page reads those of a host that differs).
      const attributes = canonical;
      attributes.reset();
      if (host.attributesLength == 0) attributes.rawBytes(changetype<usize>(EMPTY_OBJECT), EMPTY_OBJECT.byteLength);
      else if (!writeCanonical(attributes, host.attributesPtr, host.attributesLength, "meta_data")) return "the attributes of host " + host.name + " are malformed";
      const fingerprint = hostFingerprint(host.folder, attributes.dataStart, attributes.byteLength);
      writer.key("state");
      writer.beginObject();
      writer.key("folder");
      writer.string(host.folder);
      writer.key("owned");
      writer.boolean(owned);
      writer.key("fingerprint");
      fingerprint.write(writer);
      writer.endObject();
      // The same for the daemon, which skips a host whose inputs are as before while the site still holds what they
      // made (docs/abi-v1.md, fingerprint).
      writer.key("fingerprint");
      fingerprint.write(writer);
      writer.endObject();
    }
  }
  if (reader.failed) return "the hosts of folder " + folder + ": " + reader.error;
  return "";
}

const EMPTY_OBJECT = String.UTF8.encode("{}");
/** One host's canonical attributes at a time, for its fingerprint. */
const canonical = new JsonWriter(4096);

/** The last folder's JSON string as Checkmk wrote it, and the folder it names: a folder's hosts share theirs, normalised once. */
let lastFolder = new ArrayBuffer(0);
let lastNormal = "/";

function readHost(reader: JsonReader): SiteHost {
  const host = siteHost;
  host.reset();
  if (!reader.beginObject()) return host;
  while (reader.nextKey()) {
    if (reader.keyIs("id")) {
      if (reader.kind() == JsonKind.String && reader.capture()) {
        host.namePtr = reader.valuePtr;
        host.nameLength = reader.valueLength;
      } else reader.skip();
    } else if (reader.keyIs("extensions") && reader.kind() == JsonKind.Object) {
      reader.beginObject();
      while (reader.nextKey()) {
        if (reader.keyIs("folder") && reader.kind() == JsonKind.String && reader.capture()) {
          const ptr = reader.valuePtr;
          const length = reader.valueLength;
          if (length != lastFolder.byteLength || memory.compare(ptr, changetype<usize>(lastFolder), <usize>length) != 0) {
            const folder = new JsonReader(ptr, length).string();
            const normal = normalFolder(folder);
            lastFolder = new ArrayBuffer(length);
            memory.copy(changetype<usize>(lastFolder), ptr, <usize>length);
            lastNormal = normal === null ? folder : normal!;
          }
          host.folder = lastNormal;
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

/** Whether an attributes object's ownership label holds `account` (UTF-8 bytes). */
function ownedBy(ptr: usize, length: i32, account: ArrayBuffer): bool {
  const reader = new JsonReader(ptr, length);
  reader.beginObject();
  while (reader.nextKey()) {
    if (!reader.keyIs("labels") || reader.kind() != JsonKind.Object) {
      reader.skip();
      continue;
    }
    reader.beginObject();
    while (reader.nextKey()) {
      if (reader.keyIs(OWNER_LABEL) && reader.kind() == JsonKind.String) {
        if (!reader.stringBytes()) return false;
        return reader.valueLength == account.byteLength && memory.compare(reader.valuePtr, changetype<usize>(account), <usize>account.byteLength) == 0;
      }
      reader.skip();
    }
  }
  return false;
}
