// An export page: each host's wanted folder and attributes (from the rules' outcomes and its labels),
// fingerprinted, against what the site holds (`current`, the fingerprints the begin phase read); the hosts
// whose fingerprints differ have their attributes read from the site in bulk and compared, then the writes
// in bulk: missing folders (parents first), bulk create, bulk update, and a move (with the host's ETag)
// where the folder changed. Hosts people made on the site are left alone; a host nothing changed for is
// not written.
import { ApiResponse, Exporter, ExportPage, HostEntry, HostResultStatus, JsonKind, JsonReader, JsonWriter, ErrorKind, Query, log } from "../../sdk/index";
import { differences, hostFingerprint, writeCanonical } from "./canonical";
import { foldersOf } from "./folders";
import { failedHosts, problemOf } from "./problem";
import { OWNER_LABEL, Settings, folderSlug, normalFolder, settingsOf } from "./settings";

/** What the site holds of a host, from the begin phase's state. */
class Current {
  folder: string = "/";
  owned: bool = false;
  /** Its folder and canonical attributes, fingerprinted (hostFingerprint): "" when the state has none. */
  fingerprint: string = "";
}

/**
 * A member of the attributes Syncer wants: where its name's UTF-8 lies and where its value lies (a label's,
 * in the request; ptr 0: the ownership label; length -1: the labels object). Kept from host to host
 * (Members), so a host makes no objects for its members.
 */
class Member {
  namePtr: usize = 0;
  nameLength: i32 = 0;
  ptr: usize = 0;
  length: i32 = 0;
}

/** The members of one object being written, in a pool reused for every host. */
class Members {
  list: Member[] = [];
  private pool: Member[] = [];
  /** Names that were escaped or prefixed, in buffers of their own until the next host. */
  private names: ArrayBuffer[] = [];

  clear(): void {
    this.list.length = 0;
    this.names.length = 0;
  }

  add(namePtr: usize, nameLength: i32, ptr: usize, length: i32): void {
    const at = this.list.length;
    if (at == this.pool.length) this.pool.push(new Member());
    const member = this.pool[at];
    member.namePtr = namePtr;
    member.nameLength = nameLength;
    member.ptr = ptr;
    member.length = length;
    this.list.push(member);
  }

  /** A member named by a string (a prefixed label name). */
  addNamed(name: string, ptr: usize, length: i32): void {
    const bytes = String.UTF8.encode(name);
    this.names.push(bytes);
    this.add(changetype<usize>(bytes), bytes.byteLength, ptr, length);
  }

  /** A member whose name the reader just read: in the object's own bytes unless it was escaped, then copied. */
  addKey(reader: JsonReader, from: usize, to: usize, ptr: usize, length: i32): void {
    if (reader.keyPtr >= from && reader.keyPtr < to) {
      this.add(reader.keyPtr, reader.keyLength, ptr, length);
      return;
    }
    const kept = new ArrayBuffer(reader.keyLength);
    memory.copy(changetype<usize>(kept), reader.keyPtr, <usize>reader.keyLength);
    this.names.push(kept);
    this.add(changetype<usize>(kept), reader.keyLength, ptr, length);
  }

  sort(): void {
    this.list.sort(byName);
  }
}

const OWNER_BYTES = String.UTF8.encode(OWNER_LABEL);
const LABELS_BYTES = String.UTF8.encode("labels");

/** UTF-8 byte order, which is code point order: as canonical.ts sorts the site's keys. */
function byName(a: Member, b: Member): i32 {
  const common = a.nameLength < b.nameLength ? a.nameLength : b.nameLength;
  const order = memory.compare(a.namePtr, b.namePtr, <usize>common);
  return order != 0 ? order : a.nameLength - b.nameLength;
}

/** One host's write and how it went. */
class Wanted {
  status: string = HostResultStatus.Unchanged;
  message: string = "";
  /** The folder the site holds the host in (a host whose fingerprint differs), for the move and the message. */
  siteFolder: string = "/";
  constructor(
    public hostname: string,
    public folder: string,
    /** The whole attributes object Syncer wants, canonical: sent as `attributes` (replacing all). */
    public attributes: string,
    /** The host as the site holds it once written (hostFingerprint), answered with its result unless it failed. */
    public fingerprint: string,
  ) {}
}


export class SiteExporter extends Exporter {
  settings: Settings = new Settings();
  current: Map<string, Current> = new Map<string, Current>();
  creates: Wanted[] = [];
  updates: Wanted[] = [];
  moves: Wanted[] = [];
  /** Every host of the page that is written, in page order, for the results. */
  written: Wanted[] = [];
  /** Owned hosts whose fingerprint on the site is not the one wanted: compared with the site's attributes in finish(). */
  differing: Wanted[] = [];
  /** Rules' folder texts already normalised: a page's hosts share a few folders. */
  folders: Map<string, string | null> = new Map<string, string | null>();
  /** The wanted attributes of the host at hand, and a differing host's on the site made canonical. */
  wantedText: JsonWriter = new JsonWriter(1024);
  currentText: JsonWriter = new JsonWriter(1024);
  attributes: Members = new Members();
  labels: Members = new Members();

  start(page: ExportPage): bool {
    if (page.request.account === null) return this.fail(ErrorKind.Options, "an export needs an account");
    this.settings = settingsOf(page.request.account!);
    if (this.settings.problem.length > 0) return this.fail(ErrorKind.Options, this.settings.problem);
    return true;
  }

  /** `current`: {hostname: {folder, owned, fingerprint}} for the page's hosts the site has. */
  inputMember(key: string, reader: JsonReader): bool {
    if (key != "current") return reader.skip();
    if (reader.nullValue() || !reader.beginObject()) return !reader.failed;
    while (reader.nextKey()) {
      const hostname = reader.key();
      const kept = new Current();
      if (!reader.beginObject()) return this.fail(ErrorKind.Parser, "the state of " + hostname + " is not an object");
      while (reader.nextKey()) {
        if (reader.keyIs("folder")) kept.folder = reader.string();
        else if (reader.keyIs("owned")) kept.owned = reader.boolean();
        else if (reader.keyIs("fingerprint") && reader.kind() == JsonKind.String) kept.fingerprint = reader.string();
        else reader.skip();
      }
      this.current.set(hostname, kept);
    }
    return !reader.failed;
  }

  export(host: HostEntry, page: ExportPage): bool {
    const hostname = host.hostname;
    // The rules' outcomes in one pass: the folder, and where the attributes lie.
    let folderText: string | null = null;
    let attributesPtr: usize = 0;
    let attributesLength: i32 = 0;
    const outcomes = host.outcomesReader();
    if (outcomes.beginObject()) {
      while (outcomes.nextKey()) {
        if (outcomes.keyIs("folder") && outcomes.kind() != JsonKind.Null) {
          if (outcomes.kind() == JsonKind.String) folderText = outcomes.string();
          else if (outcomes.capture()) folderText = String.UTF8.decodeUnsafe(outcomes.valuePtr, <usize>outcomes.valueLength);
        } else if (outcomes.keyIs("attributes") && outcomes.kind() == JsonKind.Object && outcomes.capture()) {
          attributesPtr = outcomes.valuePtr;
          attributesLength = outcomes.valueLength;
        } else outcomes.skip();
      }
    }
    let folder = this.settings.defaultFolder;
    if (folderText !== null) {
      if (!this.folders.has(folderText!)) this.folders.set(folderText!, normalFolder(folderText!));
      const normal = this.folders.get(folderText!);
      if (normal === null) {
        page.result(hostname, HostResultStatus.Failed, "the rules' folder '" + folderText! + "' is not a folder path such as /servers/berlin");
        return true;
      }
      folder = normal!;
    }
    const wanted = this.wantedText;
    this.writeAttributes(host, attributesPtr, attributesLength, wanted);
    const fingerprint = hostFingerprint(folder, wanted.dataStart, wanted.byteLength).hex();
    if (!this.current.has(hostname)) {
      const created = new Wanted(hostname, folder, wanted.toString(), fingerprint);
      created.status = HostResultStatus.Created;
      this.creates.push(created);
      this.written.push(created);
      return true;
    }
    const current = this.current.get(hostname);
    if (!current.owned) {
      page.result(hostname, HostResultStatus.Skipped, "on the site without the label " + OWNER_LABEL + ": " + this.settings.account + " (made by people): left alone");
      return true;
    }
    // Equal fingerprints are the same folder and attributes: nothing to write. Otherwise the site's attributes are read
    // in finish(), a request for many hosts, to tell what differs.
    if (current.fingerprint == fingerprint) {
      page.result(hostname, HostResultStatus.Unchanged, "", fingerprint);
      return true;
    }
    const differing = new Wanted(hostname, folder, wanted.toString(), fingerprint);
    differing.siteFolder = current.folder;
    this.differing.push(differing);
    this.written.push(differing);
    return true;
  }

  /**
   * The differing hosts' attributes as the site holds them, read in bulk (a request per so many hostnames), each
   * compared canonically with what Syncer wants: an update where they differ, a move where the folder does, and
   * unchanged where neither does after all (the host was put right meanwhile). A host the site no longer has, or
   * whose read failed, fails.
   */
  private compare(): void {
    const site = this.currentText;
    for (let from = 0; from < this.differing.length; ) {
      const query = new Query();
      let budget = URL_BUDGET;
      let to = from;
      while (to < this.differing.length && (to == from || budget > 0)) {
        const name = this.differing[to].hostname;
        query.set("hostnames", name);
        budget -= encodeURIComponent(name).length + 11;
        to++;
      }
      const answer = this.settings.api.get("/domain-types/host_config/collections/all", query);
      const held = answer.ok ? siteAttributes(answer, site) : new Map<string, string>();
      for (let i = from; i < to; i++) {
        const host = this.differing[i];
        if (!answer.ok) refuse(host, "reading its attributes from the site: " + problemOf(answer));
        else if (!held.has(host.hostname)) refuse(host, "the site no longer has it");
        else this.decide(host, held.get(host.hostname));
      }
      from = to;
    }
  }

  /** An update, a move, both, or nothing, with the message "folder: old → new; key: old → new…". */
  private decide(host: Wanted, siteAttributes: string): void {
    const same = siteAttributes == host.attributes;
    if (host.siteFolder == host.folder && same) return;
    const changes = new Array<string>();
    if (host.siteFolder != host.folder) {
      changes.push("folder: " + host.siteFolder + " → " + host.folder);
      this.moves.push(host);
    }
    if (!same) {
      changes.push(differences(siteAttributes, host.attributes));
      this.updates.push(host);
    }
    host.status = HostResultStatus.Updated;
    host.message = changes.join("; ");
  }

  /**
   * The rules' attributes (outcome `attributes`), and the host's labels with the prefix and the ownership
   * label, canonical onto `writer` (reset first): keys sorted, as site.ts writes what the site holds.
   */
  writeAttributes(host: HostEntry, ptr: usize, length: i32, writer: JsonWriter): void {
    writer.reset();
    const members = this.attributes;
    members.clear();
    if (length > 0) {
      const reader = new JsonReader(ptr, length);
      reader.beginObject();
      while (reader.nextKey()) {
        // Labels are Syncer's to set (below); meta_data is Checkmk's.
        if (reader.keyIs("labels") || reader.keyIs("meta_data") || !reader.capture()) {
          reader.skip();
          continue;
        }
        members.addKey(reader, ptr, ptr + <usize>length, reader.valuePtr, reader.valueLength);
      }
    }
    members.add(changetype<usize>(LABELS_BYTES), LABELS_BYTES.byteLength, 0, -1);
    members.sort();
    const labels = this.labels;
    labels.clear();
    const reader = host.labelsReader();
    const prefix = this.settings.labelPrefix;
    if (reader.beginObject()) {
      while (reader.nextKey()) {
        if (prefix.length > 0) {
          const name = prefix + reader.key();
          // The ownership label is Syncer's own: a host's label of that name does not replace it.
          if (name != OWNER_LABEL && reader.kind() == JsonKind.String && reader.capture()) labels.addNamed(name, reader.valuePtr, reader.valueLength);
          else reader.skip();
          continue;
        }
        const keyPtr = reader.keyPtr;
        const keyLength = reader.keyLength;
        const owner = keyLength == OWNER_BYTES.byteLength && memory.compare(keyPtr, changetype<usize>(OWNER_BYTES), <usize>keyLength) == 0;
        if (owner || reader.kind() != JsonKind.String) {
          reader.skip();
          continue;
        }
        // The key is checked before the value is read: an escaped key lies in the reader's buffer until the next escape.
        const escaped = keyPtr < host.labelsFrom || keyPtr >= host.labelsTo;
        const kept = escaped ? String.UTF8.decodeUnsafe(keyPtr, <usize>keyLength) : "";
        if (!reader.capture()) continue;
        if (escaped) labels.addNamed(kept, reader.valuePtr, reader.valueLength);
        else labels.add(keyPtr, keyLength, reader.valuePtr, reader.valueLength);
      }
    }
    labels.add(changetype<usize>(OWNER_BYTES), OWNER_BYTES.byteLength, 0, 0);
    labels.sort();
    writer.beginObject();
    const list = members.list;
    for (let i = 0; i < list.length; i++) {
      const member = list[i];
      writer.keyBytes(member.namePtr, member.nameLength);
      if (member.length >= 0) {
        writeCanonical(writer, member.ptr, member.length);
        continue;
      }
      writer.beginObject();
      const names = labels.list;
      for (let l = 0; l < names.length; l++) {
        writer.keyBytes(names[l].namePtr, names[l].nameLength);
        if (names[l].ptr == 0) writer.string(this.settings.account);
        else writeCanonical(writer, names[l].ptr, names[l].length);
      }
      writer.endObject();
    }
    writer.endObject();
  }

  finish(page: ExportPage): bool {
    this.compare();
    const folders = new FolderMaker(this.settings);
    for (let i = 0; i < this.creates.length; i++) folders.need(this.creates[i]);
    for (let i = 0; i < this.moves.length; i++) folders.need(this.moves[i]);
    if (!folders.make()) return this.fail(folders.failKind, folders.failMessage);
    this.create();
    this.update();
    this.move();
    for (let i = 0; i < this.written.length; i++) {
      const host = this.written[i];
      page.result(host.hostname, host.status, host.message, host.status == HostResultStatus.Failed ? "" : host.fingerprint);
    }
    return true;
  }

  private create(): void {
    const size = this.settings.createChunk;
    for (let from = 0; from < this.creates.length; from += size) {
      const chunk = this.creates.slice(from, min(from + size, this.creates.length));
      let sending = 0;
      for (let i = 0; i < chunk.length; i++) if (chunk[i].status != HostResultStatus.Failed) sending++;
      if (sending == 0) continue;
      const body = new JsonWriter(chunk.length * 256);
      body.beginObject();
      body.key("entries");
      body.beginArray();
      for (let i = 0; i < chunk.length; i++) {
        const host = chunk[i];
        if (host.status == HostResultStatus.Failed) continue;
        body.beginObject();
        body.key("host_name");
        body.string(host.hostname);
        body.key("folder");
        body.string(host.folder);
        body.key("attributes");
        body.raw(host.attributes);
        body.endObject();
      }
      body.endArray();
      body.endObject();
      settle(chunk, this.settings.api.send("POST", "/domain-types/host_config/actions/bulk-create/invoke", body), "bulk create");
    }
  }

  private update(): void {
    const size = this.settings.updateChunk;
    for (let from = 0; from < this.updates.length; from += size) {
      const chunk = this.updates.slice(from, min(from + size, this.updates.length));
      const body = new JsonWriter(chunk.length * 256);
      body.beginObject();
      body.key("entries");
      body.beginArray();
      for (let i = 0; i < chunk.length; i++) {
        body.beginObject();
        body.key("host_name");
        body.string(chunk[i].hostname);
        body.key("attributes");
        body.raw(chunk[i].attributes);
        body.endObject();
      }
      body.endArray();
      body.endObject();
      settle(chunk, this.settings.api.send("PUT", "/domain-types/host_config/actions/bulk-update/invoke", body), "bulk update");
    }
  }

  /** One request each, with the host's ETag: Checkmk has no bulk move, and a move without If-Match is refused. */
  private move(): void {
    for (let i = 0; i < this.moves.length; i++) {
      const host = this.moves[i];
      if (host.status == HostResultStatus.Failed) continue;
      const path = "/objects/host_config/" + encodeURIComponent(host.hostname);
      const read = this.settings.api.get(path);
      if (!read.ok) {
        refuse(host, "reading its ETag for the move: " + problemOf(read));
        continue;
      }
      const body = new JsonWriter(128);
      body.beginObject();
      body.key("target_folder");
      body.string(host.folder);
      body.endObject();
      const moved = this.settings.api.send("POST", path + "/actions/move/invoke", body, read.etag.length > 0 ? read.etag : "*");
      if (!moved.ok) refuse(host, "move: " + problemOf(moved));
    }
  }
}

/** Hostnames per bulk read, in URL bytes: the request line stays well below the 8 KiB servers take. */
const URL_BUDGET: i32 = 6000;

/** A host collection's hosts by id, each with its attributes canonical (without meta_data), written with `scratch`. */
function siteAttributes(answer: ApiResponse, scratch: JsonWriter): Map<string, string> {
  const found = new Map<string, string>();
  const reader = answer.document!.readerAt(0);
  if (!reader.beginObject()) return found;
  while (reader.nextKey()) {
    if (!reader.keyIs("value") || !reader.beginArray()) {
      reader.skip();
      continue;
    }
    while (reader.nextItem()) {
      let name = "";
      scratch.reset();
      scratch.raw("{}");
      if (!reader.beginObject()) continue;
      while (reader.nextKey()) {
        if (reader.keyIs("id") && reader.kind() == JsonKind.String) name = reader.string();
        else if (reader.keyIs("extensions") && reader.kind() == JsonKind.Object) {
          reader.beginObject();
          while (reader.nextKey()) {
            if (reader.keyIs("attributes") && reader.kind() == JsonKind.Object && reader.capture()) {
              scratch.reset();
              writeCanonical(scratch, reader.valuePtr, reader.valueLength, "meta_data");
            } else reader.skip();
          }
        } else reader.skip();
      }
      if (name.length > 0) found.set(name, scratch.toString());
    }
  }
  return found;
}

function refuse(host: Wanted, message: string): void {
  host.status = HostResultStatus.Failed;
  host.message = message;
}

/** A bulk answer into its hosts: all done, all refused (a field error refuses the whole request), or the hosts Checkmk names failed. */
function settle(chunk: Wanted[], answer: ApiResponse, what: string): void {
  if (answer.ok) return;
  const failed = failedHosts(answer);
  if (failed.size == 0) {
    const message = what + " of " + chunk.length.toString() + " hosts refused: " + problemOf(answer);
    log.error(message);
    for (let i = 0; i < chunk.length; i++) if (chunk[i].status != HostResultStatus.Failed) refuse(chunk[i], message);
    return;
  }
  for (let i = 0; i < chunk.length; i++) {
    if (failed.has(chunk[i].hostname)) refuse(chunk[i], what + " refused by the site: " + failed.get(chunk[i].hostname));
  }
}

/** The folders the page's hosts go to that the site lacks, made parents first; a host whose folder cannot be made fails. */
class FolderMaker {
  wanted: Map<string, Wanted[]> = new Map<string, Wanted[]>();
  failKind: string = "";
  failMessage: string = "";
  constructor(private settings: Settings) {}

  need(host: Wanted): void {
    if (host.folder == "/") return;
    if (!this.wanted.has(host.folder)) this.wanted.set(host.folder, []);
    this.wanted.get(host.folder).push(host);
  }

  make(): bool {
    if (this.wanted.size == 0) return true;
    const listed = foldersOf(this.settings);
    if (listed.problem.length > 0) {
      this.failKind = listed.errorKind;
      this.failMessage = listed.problem;
      return false;
    }
    const known = new Set<string>();
    for (let i = 0; i < listed.paths.length; i++) known.add(listed.paths[i]);
    const folders = this.wanted.keys();
    folders.sort();
    for (let i = 0; i < folders.length; i++) {
      const problem = this.makeFolder(folders[i], known);
      if (problem.length == 0) continue;
      const hosts = this.wanted.get(folders[i]);
      for (let h = 0; h < hosts.length; h++) refuse(hosts[h], problem);
    }
    return true;
  }

  /** Makes `folder` and its missing parents: "" when they exist, else why not. */
  private makeFolder(folder: string, known: Set<string>): string {
    if (known.has(folder)) return "";
    const cut = folder.lastIndexOf("/");
    const parent = cut <= 0 ? "/" : folder.substring(0, cut);
    const problem = this.makeFolder(parent, known);
    if (problem.length > 0) return problem;
    const name = folder.substring(cut + 1);
    const body = new JsonWriter(128);
    body.beginObject();
    body.key("name");
    body.string(name);
    body.key("title");
    body.string(name);
    body.key("parent");
    body.string(folderSlug(parent));
    body.endObject();
    const made = this.settings.api.send("POST", "/domain-types/folder_config/collections/all", body);
    if (!made.ok) return "creating the folder " + folder + ": " + problemOf(made);
    known.add(folder);
    return "";
  }
}
