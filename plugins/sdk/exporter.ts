// The exporter helper: an export command receives a page of hosts with what the target's rules made of
// them (labels, inventory, outcomes) and answers per host what it did. runExport() reads the request in
// one pass (the options first, then the hosts one at a time, straight from the request's bytes), hands
// each host to the plugin's Exporter, and writes {"results": [{hostname, status, message?}…]}.
//
//   class Monitoring extends Exporter {
//     export(host: HostEntry, page: ExportPage): bool {
//       …bring the target in line with host.labels(), host.outcome("folder")…
//       page.result(host.hostname, HostResultStatus.Updated);
//       return true;
//     }
//   }
//   export function export_hosts(): i32 { return runExport(new Monitoring()); }
//
// Commands that answer in another shape (an inventory format) use visitHosts() with a HostVisitor.
import * as host from "./host";
import { Request } from "./abi.generated";
import { fail } from "./call";
import { ByteBuffer } from "./byte-buffer";
import { JsonRaw, readRawMap, readStringMap } from "./json-raw";
import { JsonKind, JsonReader } from "./json-reader";
import { JsonWriter } from "./json-writer";

/** One host of the page, read from the request's bytes; valid until the next host is read. */
export class HostEntry {
  /** Its place in the page, from 1. */
  index: i32 = 0;
  /** The hostname as UTF-8 bytes (unescaped), at [hostnamePtr, hostnamePtr + hostnameLength). */
  hostnamePtr: usize = 0;
  hostnameLength: i32 = -1;
  /** The account that owns the host, null for one added by hand. */
  account: string | null = null;
  /** Where the labels, inventory and outcomes objects lie in the request, exactly as sent (0, 0 when absent). */
  labelsFrom: usize = 0;
  labelsTo: usize = 0;
  inventoryFrom: usize = 0;
  inventoryTo: usize = 0;
  outcomesFrom: usize = 0;
  outcomesTo: usize = 0;

  get hostname(): string {
    return String.UTF8.decodeUnsafe(this.hostnamePtr, <usize>this.hostnameLength);
  }

  /** A reader standing at the labels object ({} when there are none): for plugins that walk them without decoding. */
  labelsReader(): JsonReader {
    return objectReader(this.labelsFrom, this.labelsTo);
  }
  inventoryReader(): JsonReader {
    return objectReader(this.inventoryFrom, this.inventoryTo);
  }
  outcomesReader(): JsonReader {
    return objectReader(this.outcomesFrom, this.outcomesTo);
  }

  /** The labels, decoded. */
  labels(): Map<string, string> {
    return readStringMap(this.labelsReader());
  }

  /** The inventory: values as JSON (strings, numbers, booleans, null). */
  inventory(): Map<string, JsonRaw> {
    return readRawMap(this.inventoryReader());
  }

  /** What the target's rules gave the host under outcome `name` (a folder, groups…), or null. */
  outcome(name: string): JsonRaw | null {
    const reader = this.outcomesReader();
    let found: JsonRaw | null = null;
    reader.beginObject();
    while (reader.nextKey()) {
      if (reader.keyIs(name)) found = JsonRaw.read(reader);
      else reader.skip();
    }
    return found;
  }

  reset(index: i32): void {
    this.index = index;
    this.hostnameLength = -1;
    this.account = null;
    this.labelsFrom = this.labelsTo = 0;
    this.inventoryFrom = this.inventoryTo = 0;
    this.outcomesFrom = this.outcomesTo = 0;
  }
}

// @ts-ignore: decorator
@lazy const EMPTY_OBJECT = String.UTF8.encode("{}");

function objectReader(from: usize, to: usize): JsonReader {
  if (to <= from) return JsonReader.fromBytes(EMPTY_OBJECT);
  return new JsonReader(from, <i32>(to - from));
}

/** What a command does with the hosts of a page; see visitHosts(). */
export class HostVisitor {
  failKind: string = "";
  failMessage: string = "";

  /** The call's options and account are read: set up, before the first host. False stops the call (see fail()). */
  begin(call: Request): bool {
    return true;
  }

  /** One host of the page. False stops the call (see fail()). */
  host(entry: HostEntry): bool {
    return true;
  }

  /** A member of the input other than `hosts` (an inventory's `host`): read or skip its value. */
  inputMember(key: string, reader: JsonReader): bool {
    return reader.skip();
  }

  /** Fails the call with an error kind (ErrorKind) and a message; returns false, for `return this.fail(…)`. */
  fail(kind: string, message: string): bool {
    this.failKind = kind;
    this.failMessage = message;
    return false;
  }
}

// Kept from call to call (the stub runtime never frees): the request's bytes and the current host's name.
const requestBytes = new ByteBuffer(1 << 20);
const hostnames = new ByteBuffer(64 * 1024);
const entry = new HostEntry();

/**
 * Reads this call's request, {…, "options": {…}, "input": {"hosts": [host…], …}}, and hands its parts to
 * `visitor`: begin() once the options are read, host() for each host. Returns the request (its `input`
 * left unread), or null after failing the call: malformed input is a parser error that starts with
 * `what` ("the inventory request: host 2 of the page has no hostname").
 */
export function visitHosts(visitor: HostVisitor, what: string): Request | null {
  const length = host.input_length();
  requestBytes.clear();
  const base = requestBytes.reserve(<u64>length);
  host.input_read(base, length);
  requestBytes.length = <i32>length;

  const call = new Request();
  const reader = new JsonReader(base, <i32>length);
  // The host writes `input` last; should it come first, it is read after the rest.
  let inputFrom: usize = 0;
  let inputLength: i32 = -1;
  let optionsRead = false;
  let begun = false;
  let problem = "";
  reader.beginObject();
  while (reader.nextKey()) {
    if (!reader.keyIs("input")) {
      if (reader.keyIs("options")) optionsRead = true;
      if (!call.readMember(reader)) reader.skip();
    } else if (begun) {
      reader.skip();
    } else if (optionsRead) {
      begun = true;
      if (!visitor.begin(call)) return stop(visitor);
      problem = readInput(reader, visitor);
      if (problem.length > 0 || visitor.failKind.length > 0) break;
    } else if (reader.capture()) {
      inputFrom = reader.valuePtr;
      inputLength = reader.valueLength;
    }
  }
  if (problem.length == 0 && visitor.failKind.length == 0) reader.finish();
  if (visitor.failKind.length > 0) return stop(visitor);
  if (problem.length > 0 || reader.failed) return stopParsing(what, problem.length > 0 ? problem : reader.error);
  if (!begun) {
    if (!visitor.begin(call)) return stop(visitor);
    if (inputLength >= 0) {
      const inner = new JsonReader(inputFrom, inputLength);
      problem = readInput(inner, visitor);
      if (visitor.failKind.length > 0) return stop(visitor);
      if (problem.length > 0 || inner.failed) return stopParsing(what, problem.length > 0 ? problem : inner.error);
    }
  }
  return call;
}

function stop(visitor: HostVisitor): Request | null {
  fail(visitor.failKind, visitor.failMessage);
  return null;
}

function stopParsing(what: string, message: string): Request | null {
  fail("parser", what + ": " + message);
  return null;
}

/** {"hosts": [...], …}: "" when read (or the visitor failed), else what is wrong with a host record. */
function readInput(reader: JsonReader, visitor: HostVisitor): string {
  if (reader.nullValue()) return "";
  if (!reader.beginObject()) return "";
  while (reader.nextKey()) {
    if (!reader.keyIs("hosts")) {
      if (!visitor.inputMember(reader.key(), reader)) return "";
      continue;
    }
    if (reader.nullValue()) continue;
    if (!reader.beginArray()) return "";
    let index = 0;
    while (reader.nextItem()) {
      const problem = readHost(reader, ++index);
      if (problem.length > 0) return "host " + index.toString() + " of the page " + problem;
      if (reader.failed) return "";
      if (!visitor.host(entry)) return "";
    }
  }
  return "";
}

/** Where the object objectAt() read lies: [objectFrom, objectTo), both 0 for null. */
let objectFrom: usize = 0;
let objectTo: usize = 0;

/** Reads an object or null (absent) as its exact bytes; false when the value is something else or malformed. */
function objectAt(reader: JsonReader): bool {
  objectFrom = objectTo = 0;
  if (reader.nullValue()) return true;
  if (reader.kind() != JsonKind.Object || !reader.capture()) return false;
  objectFrom = reader.valuePtr;
  objectTo = reader.valuePtr + <usize>reader.valueLength;
  return true;
}

/** One host record into `entry`: "" when read, else what is wrong with it. */
function readHost(reader: JsonReader, index: i32): string {
  entry.reset(index);
  hostnames.clear();
  if (!reader.beginObject()) return "";
  while (reader.nextKey()) {
    if (reader.keyIs("hostname")) {
      if (!reader.stringBytes()) return "";
      // Kept apart from the reader's scratch, which the next escaped string reuses.
      const at = hostnames.length;
      hostnames.writeBytes(reader.valuePtr, <usize>reader.valueLength);
      entry.hostnamePtr = hostnames.dataStart + <usize>at;
      entry.hostnameLength = reader.valueLength;
    } else if (reader.keyIs("account")) {
      entry.account = reader.nullValue() ? null : reader.string();
    } else if (reader.keyIs("labels")) {
      if (!objectAt(reader)) return reader.failed ? "" : "has labels that are not an object";
      entry.labelsFrom = objectFrom;
      entry.labelsTo = objectTo;
    } else if (reader.keyIs("inventory")) {
      if (!objectAt(reader)) return reader.failed ? "" : "has an inventory that is not an object";
      entry.inventoryFrom = objectFrom;
      entry.inventoryTo = objectTo;
    } else if (reader.keyIs("outcomes")) {
      if (!objectAt(reader)) return reader.failed ? "" : "has outcomes that are not an object";
      entry.outcomesFrom = objectFrom;
      entry.outcomesTo = objectTo;
    } else if (!reader.skip()) {
      return "";
    }
  }
  if (reader.failed) return "";
  if (entry.hostnameLength < 0) return "has no hostname";
  return "";
}

// ---------------------------------------------------------------- exports

// Kept from call to call, as above.
const results = new JsonWriter(64 * 1024);

/** The answer of an export page: one result per host. */
export class ExportPage {
  /** The request: options, account, dry_run (the host sends no non-GET HTTP in a dry run). */
  request: Request = new Request();
  count: i32 = 0;

  /**
   * What was done with a host: status is one of HostResultStatus (created, updated, unchanged, skipped, deleted,
   * failed). `fingerprint` (optional, export phases): what the target holds of the host once it is as this
   * page wants it, as the begin phase fingerprints it (see Fingerprint and docs/abi-v1.md).
   */
  result(hostname: string, status: string, message: string = "", fingerprint: string = ""): void {
    results.beginObject();
    results.key("hostname");
    results.string(hostname);
    results.key("status");
    results.string(status);
    if (message.length > 0) {
      results.key("message");
      results.string(message);
    }
    if (fingerprint.length > 0) {
      results.key("fingerprint");
      results.string(fingerprint);
    }
    results.endObject();
    this.count++;
  }
}

/** What a plugin's export command does with each host; see runExport(). */
export class Exporter extends HostVisitor {
  page: ExportPage = new ExportPage();

  /** The call's options are read (in page.request), before the first host: false stops the call (see fail()). */
  start(page: ExportPage): bool {
    return true;
  }

  /** One host: bring the target in line, then page.result(hostname, status, message). False stops the call (see fail()). */
  export(host: HostEntry, page: ExportPage): bool {
    return this.fail("runtime", "this exporter does not implement export()");
  }

  /** After the page's last host (send a batch, activate changes…): false fails the call (see fail()). */
  finish(page: ExportPage): bool {
    return true;
  }

  begin(call: Request): bool {
    this.page.request = call;
    return this.start(this.page);
  }

  host(entry: HostEntry): bool {
    return this.export(entry, this.page);
  }
}

/** Runs an export command: the page of hosts in, {"results": [...]} (or the error) out. Return its result from the export. */
export function runExport(exporter: Exporter): i32 {
  exporter.page = new ExportPage();
  results.reset();
  results.beginObject();
  results.key("results");
  results.beginArray();
  if (visitHosts(exporter, "the export request") === null) return 1;
  if (!exporter.finish(exporter.page)) return fail(exporter.failKind, exporter.failMessage);
  results.endArray();
  results.endObject();
  results.output();
  return 0;
}
