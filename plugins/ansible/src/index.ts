// The ansible plugin: renders hosts as Ansible's dynamic-inventory JSON (`syncer ansible inventory
// --list | --host NAME`). The host sends the eligible hosts in pages, {"hosts": [...], "host": null |
// "name"}, and merges the pages' answers; each page answers for its own hosts:
//
//   {"_meta": {"hostvars": {"web01": {...labels, ...inventory}}},
//    "all": {"children": ["ungrouped", "site_berlin"]},
//    "ungrouped": {"hosts": [...]}, "site_berlin": {"hosts": ["web01"]}}
//
// With `host` set, the answer is that host's variables ({} when the host is unknown).
//
// The SDK's visitHosts() reads the request in one pass and hands over each host with its labels and
// inventory as the request's bytes: they are copied through as they are, and only grouped label values
// are looked at. Buffers live across calls: the stub runtime never frees, so reusing them keeps an
// instance's memory at the size of its largest page.
import { outputBytes, outputString, ByteBuffer, ErrorKind, HostEntry, HostVisitor, JsonKind, JsonReader, JsonWriter, Request, visitHosts } from "../../sdk/index";
import { Groups } from "./groups";
import { HostVars, Settings, settingsOf } from "./settings";

const writer = new JsonWriter(1 << 20);
/** The page's hostnames, unescaped UTF-8, one after another. */
const names = new ByteBuffer(64 * 1024);
const nameOffset: Array<i32> = [];
const nameLength: Array<i32> = [];
/** Where each host's variables object lies in the writer's output (for --host). */
const varsFrom: Array<i32> = [];
const varsTo: Array<i32> = [];
const ungrouped: Array<i32> = [];
/** The groups of the host being read. */
const hostGroups: Array<i32> = [];

class Inventory extends HostVisitor {
  settings: Settings = new Settings();
  groups: Groups = new Groups("", []);
  /** The --host name (UTF-8), null for --list. */
  target: ArrayBuffer | null = null;

  begin(call: Request): bool {
    this.settings = settingsOf(call);
    if (this.settings.problem.length > 0) return this.fail(ErrorKind.Options, this.settings.problem);
    this.groups = new Groups(this.settings.groupPrefix, this.settings.groupBy);
    // The start of a --list answer, up to the hosts' variables.
    writer.beginObject();
    writer.key("_meta");
    writer.beginObject();
    writer.key("hostvars");
    writer.beginObject();
    return true;
  }

  inputMember(key: string, reader: JsonReader): bool {
    if (key != "host") return reader.skip();
    if (reader.nullValue()) return true;
    if (!reader.stringBytes()) return false;
    const name = new ArrayBuffer(reader.valueLength);
    memory.copy(changetype<usize>(name), reader.valuePtr, <usize>reader.valueLength);
    this.target = name;
    return true;
  }

  host(entry: HostEntry): bool {
    const settings = this.settings;
    hostGroups.length = 0;
    if (settings.grouping) {
      const labels = entry.labelsReader();
      labels.beginObject();
      while (labels.nextKey()) {
        const label = settings.groupIndexOf(labels.keyPtr, labels.keyLength);
        if (label >= 0 && labels.kind() == JsonKind.String) {
          labels.stringBytes();
          joinGroup(this.groups.lookup(label, labels.valuePtr, labels.valueLength));
        } else {
          labels.skip();
        }
      }
    }
    if (!this.readOutcomes(entry.outcomesReader())) {
      return this.fail(ErrorKind.Parser, "the inventory request: host " + entry.index.toString() + " of the page has outcomes.groups that is not a group name or a list of them");
    }

    const index = nameOffset.length;
    nameOffset.push(names.length);
    nameLength.push(entry.hostnameLength);
    names.writeBytes(entry.hostnamePtr, <usize>entry.hostnameLength);
    if (settings.hostvars != HostVars.None) {
      writer.keyBytes(entry.hostnamePtr, entry.hostnameLength);
      varsFrom.push(writer.byteLength);
      writer.beginObject();
      writeMembers(entry.labelsFrom, entry.labelsTo);
      if (settings.hostvars == HostVars.LabelsAndInventory) writeMembers(entry.inventoryFrom, entry.inventoryTo);
      writer.endObject();
      varsTo.push(writer.byteLength);
    }
    const n = hostGroups.length;
    if (n == 0) ungrouped.push(index);
    for (let i = 0; i < n; i++) unchecked(this.groups.members[unchecked(hostGroups[i])]).push(index);
    return true;
  }

  /**
   * What the rules give target ansible beyond host variables: `groups`, a group name or a list of them,
   * which the host joins (names sanitised as group_by's, without group_prefix). False when it is
   * something else.
   */
  private readOutcomes(reader: JsonReader): bool {
    reader.beginObject();
    while (reader.nextKey()) {
      if (!reader.keyIs("groups")) {
        reader.skip();
        continue;
      }
      const kind = reader.kind();
      if (kind == JsonKind.String) {
        joinGroup(this.groups.named(reader.string()));
      } else if (kind == JsonKind.Array) {
        reader.beginArray();
        while (reader.nextItem()) {
          if (reader.kind() != JsonKind.String) return false;
          joinGroup(this.groups.named(reader.string()));
        }
      } else {
        return false;
      }
    }
    return true;
  }
}

export function inventory(): i32 {
  writer.reset();
  names.clear();
  nameOffset.length = 0;
  nameLength.length = 0;
  varsFrom.length = 0;
  varsTo.length = 0;
  ungrouped.length = 0;
  const visitor = new Inventory();
  if (visitHosts(visitor, "the inventory request") === null) return 1;
  const wanted = visitor.target;
  if (wanted !== null) return answerHost(wanted, visitor.settings);
  answerList(visitor.groups);
  return 0;
}

function joinGroup(group: i32): void {
  if (!hostGroups.includes(group)) hostGroups.push(group);
}

/** The members of the JSON object at [from, to) copied as they are (nothing when there are none). */
function writeMembers(from: usize, to: usize): void {
  if (to <= from + 2) return;
  let start = from + 1; // after '{'
  let end = to - 1; // at '}'
  while (start < end && isSpace(load<u8>(start))) start++;
  while (end > start && isSpace(load<u8>(end - 1))) end--;
  // A run of members is inserted like one value: the writer puts the comma between runs.
  if (end > start) writer.rawBytes(start, <i32>(end - start));
}

// @ts-ignore: decorator
@inline function isSpace(c: u8): bool {
  return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09;
}

/** --list: _meta (already written), then all, ungrouped and every group. */
function answerList(groups: Groups): void {
  writer.endObject(); // hostvars
  writer.endObject(); // _meta
  writer.key("all");
  writer.beginObject();
  writer.key("children");
  writer.beginArray();
  writer.string("ungrouped");
  const count = groups.count;
  for (let g = 0; g < count; g++) writer.string(unchecked(groups.names[g]));
  writer.endArray();
  writer.endObject();
  writeGroup("ungrouped", ungrouped);
  for (let g = 0; g < count; g++) writeGroup(unchecked(groups.names[g]), unchecked(groups.members[g]));
  writer.endObject();
  writer.output();
}

function writeGroup(name: string, hosts: Array<i32>): void {
  writer.key(name);
  writer.beginObject();
  writer.key("hosts");
  writer.beginArray();
  const start = names.dataStart;
  for (let i = 0, n = hosts.length; i < n; i++) {
    const index = unchecked(hosts[i]);
    writer.stringBytes(start + <usize>unchecked(nameOffset[index]), unchecked(nameLength[index]));
  }
  writer.endArray();
  writer.endObject();
}

/** --host NAME: that host's variables, {} when it is not among the hosts sent (unknown, not active). */
function answerHost(wanted: ArrayBuffer, settings: Settings): i32 {
  const length = wanted.byteLength;
  for (let index = 0, n = nameOffset.length; index < n; index++) {
    if (unchecked(nameLength[index]) != length) continue;
    if (memory.compare(names.dataStart + <usize>unchecked(nameOffset[index]), changetype<usize>(wanted), <usize>length) != 0) continue;
    if (settings.hostvars == HostVars.None) break;
    const all = writer.toBytes();
    outputBytes(all.slice(unchecked(varsFrom[index]), unchecked(varsTo[index])));
    return 0;
  }
  outputString("{}");
  return 0;
}
