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
// One pass over the request bytes with the SDK's JsonReader, no json-as: the options are picked out of
// the request, label and inventory members are copied through as raw bytes, and only grouped label
// values are looked at. Buffers live across calls: the stub runtime never frees, so reusing them keeps
// an instance's memory at the size of its largest page.
import * as host from "../../sdk/host";
import { fail, outputBytes, outputString, ByteBuffer, ErrorKind, JsonKind, JsonReader, JsonWriter } from "../../sdk/index";
import { Groups } from "./groups";
import { HostVars, readSettings, Settings } from "./settings";

const request = new ByteBuffer(1 << 20);
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

/** What the input asked for; `target` is the --host name (UTF-8), null for --list. */
let target: ArrayBuffer | null = null;
/** A record that is JSON but not a host record; "" while there is none. */
let problem = "";

function resetPage(): void {
  writer.reset();
  names.clear();
  nameOffset.length = 0;
  nameLength.length = 0;
  varsFrom.length = 0;
  varsTo.length = 0;
  ungrouped.length = 0;
  target = null;
  problem = "";
}

export function inventory(): i32 {
  resetPage();
  const length = host.input_length();
  request.clear();
  const base = request.reserve(<u64>length);
  host.input_read(base, length);
  request.length = <i32>length;

  const settings = new Settings();
  const reader = new JsonReader(base, <i32>length);
  // `input` comes last in the host's requests; should it come before `options`, it is read afterwards.
  let inputFrom: usize = 0;
  let inputLength: i32 = -1;
  let settingsRead = false;
  let groups: Groups | null = null;
  let inputDone = false;
  reader.beginObject();
  while (reader.nextKey()) {
    if (reader.keyIs("options")) {
      readSettings(reader, settings);
      settingsRead = true;
    } else if (reader.keyIs("input")) {
      if (settingsRead) {
        if (settings.problem.length > 0) return fail(ErrorKind.Options, settings.problem);
        groups = new Groups(settings.groupPrefix, settings.groupBy);
        if (!readInput(reader, base, settings, groups)) return failed(reader);
        inputDone = true;
      } else if (reader.capture()) {
        inputFrom = reader.valuePtr;
        inputLength = reader.valueLength;
      }
    } else {
      reader.skip();
    }
  }
  if (!reader.finish()) return failed(reader);
  if (settings.problem.length > 0) return fail(ErrorKind.Options, settings.problem);
  if (!inputDone) {
    groups = new Groups(settings.groupPrefix, settings.groupBy);
    if (inputLength < 0) {
      beginAnswer();
    } else {
      const inner = new JsonReader(inputFrom, inputLength);
      if (!readInput(inner, inputFrom, settings, groups)) return failed(inner);
    }
  }

  const wanted = target;
  if (wanted !== null) return answerHost(wanted, settings);
  answerList(groups!);
  return 0;
}

function failed(reader: JsonReader): i32 {
  return fail(ErrorKind.Parser, "the inventory request: " + (problem.length > 0 ? problem : reader.error));
}

/** Records what is wrong with host record number `index` (from 1) and returns false. */
function badHost(index: i32, message: string): bool {
  problem = "host " + index.toString() + " of the page " + message;
  return false;
}

/** The start of a --list answer, up to the hosts' variables. */
function beginAnswer(): void {
  writer.beginObject();
  writer.key("_meta");
  writer.beginObject();
  writer.key("hostvars");
  writer.beginObject();
}

/** {"hosts": [...], "host": null | "name"}; hostvars go straight into the writer, groups are collected. */
function readInput(reader: JsonReader, base: usize, settings: Settings, groups: Groups): bool {
  beginAnswer();
  if (reader.nullValue()) return true;
  if (!reader.beginObject()) return false;
  while (reader.nextKey()) {
    if (reader.keyIs("hosts")) {
      if (reader.nullValue()) continue;
      if (!reader.beginArray()) return false;
      while (reader.nextItem()) if (!readHost(reader, base, settings, groups)) return false;
    } else if (reader.keyIs("host")) {
      if (reader.nullValue()) continue;
      if (!reader.stringBytes()) return false;
      const name = new ArrayBuffer(reader.valueLength);
      memory.copy(changetype<usize>(name), reader.valuePtr, <usize>reader.valueLength);
      target = name;
    } else {
      reader.skip();
    }
  }
  return !reader.failed;
}

// @ts-ignore: decorator
@inline function keyIs8(reader: JsonReader, word: u64): bool {
  return reader.keyLength == 8 && load<u64>(reader.keyPtr) == word;
}
// "hostname", "labels", "inventory" as little-endian words, to tell keys apart without decoding them.
// @ts-ignore: decorator
@inline const HOSTNAME: u64 = 0x656d616e74736f68;
// @ts-ignore: decorator
@inline const INVENTOR: u64 = 0x726f746e65766e69;
// @ts-ignore: decorator
@inline const OUTCOMES: u64 = 0x73656d6f6374756f;

function isLabels(reader: JsonReader): bool {
  const p = reader.keyPtr;
  return reader.keyLength == 6 && load<u32>(p) == 0x6562616c && load<u16>(p, 4) == 0x736c; // "labe" "ls"
}

function isInventory(reader: JsonReader): bool {
  return reader.keyLength == 9 && load<u64>(reader.keyPtr) == INVENTOR && load<u8>(reader.keyPtr, 8) == 0x79; // "inventor" "y"
}

/** One host record: {"hostname", "account", "labels": {..}, "inventory": {..}}, in any order. */
function readHost(reader: JsonReader, base: usize, settings: Settings, groups: Groups): bool {
  if (!reader.beginObject()) return false;
  let nameAt = -1;
  let nameLen = 0;
  let labelsFrom: usize = 0;
  let labelsTo: usize = 0;
  let inventoryFrom: usize = 0;
  let inventoryTo: usize = 0;
  hostGroups.length = 0;
  const withInventory = settings.hostvars == HostVars.LabelsAndInventory;
  while (reader.nextKey()) {
    if (keyIs8(reader, HOSTNAME)) {
      if (!reader.stringBytes()) return false;
      nameAt = names.length;
      nameLen = reader.valueLength;
      names.writeBytes(reader.valuePtr, <usize>nameLen);
    } else if (isLabels(reader)) {
      if (reader.nullValue()) continue;
      if (reader.kind() != JsonKind.Object) return badHost(nameOffset.length + 1, "has labels that are not an object");
      labelsFrom = base + <usize>reader.position;
      if (settings.grouping) {
        reader.beginObject();
        while (reader.nextKey()) {
          const label = settings.groupIndexOf(reader.keyPtr, reader.keyLength);
          if (label >= 0 && reader.kind() == JsonKind.String) {
            reader.stringBytes();
            joinGroup(groups.lookup(label, reader.valuePtr, reader.valueLength));
          } else {
            reader.skip();
          }
        }
        if (reader.failed) return false;
      } else if (!reader.skip()) {
        return false;
      }
      labelsTo = base + <usize>reader.position;
    } else if (keyIs8(reader, OUTCOMES)) {
      if (reader.nullValue()) continue;
      if (!readOutcomes(reader, groups)) return reader.failed ? false : badHost(nameOffset.length + 1, "has outcomes.groups that is not a group name or a list of them");
    } else if (withInventory && isInventory(reader)) {
      if (reader.nullValue()) continue;
      if (reader.kind() != JsonKind.Object) return badHost(nameOffset.length + 1, "has an inventory that is not an object");
      if (!reader.capture()) return false;
      inventoryFrom = reader.valuePtr;
      inventoryTo = inventoryFrom + <usize>reader.valueLength;
    } else if (!reader.skip()) {
      return false;
    }
  }
  if (reader.failed) return false;
  if (nameAt < 0) return badHost(nameOffset.length + 1, "has no hostname");

  const index = nameOffset.length;
  nameOffset.push(nameAt);
  nameLength.push(nameLen);
  if (settings.hostvars != HostVars.None) {
    writer.keyBytes(names.dataStart + <usize>nameAt, nameLen);
    varsFrom.push(writer.byteLength);
    writer.beginObject();
    writeMembers(labelsFrom, labelsTo);
    writeMembers(inventoryFrom, inventoryTo);
    writer.endObject();
    varsTo.push(writer.byteLength);
  }
  const n = hostGroups.length;
  if (n == 0) ungrouped.push(index);
  for (let i = 0; i < n; i++) unchecked(groups.members[unchecked(hostGroups[i])]).push(index);
  return true;
}

/**
 * What the rules give target ansible beyond host variables: `groups`, a group name or a list of them,
 * which the host joins (names sanitised as group_by's, without group_prefix). False when it is
 * something else.
 */
function readOutcomes(reader: JsonReader, groups: Groups): bool {
  if (!reader.beginObject()) return false;
  while (reader.nextKey()) {
    if (!reader.keyIs("groups")) {
      if (!reader.skip()) return false;
      continue;
    }
    const kind = reader.kind();
    if (kind == JsonKind.String) {
      joinGroup(groups.named(reader.string()));
    } else if (kind == JsonKind.Array) {
      reader.beginArray();
      while (reader.nextItem()) {
        if (reader.kind() != JsonKind.String) return false;
        joinGroup(groups.named(reader.string()));
      }
    } else {
      return false;
    }
  }
  return !reader.failed;
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
