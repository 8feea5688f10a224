// From JSON items to host records (ABI v1 import pages), driven by the options hostname_field,
// label_fields and inventory_fields.
//
// Labels are strings: a string as is, a number as written ("16", "2.5"), a boolean as "true"/"false";
// null and missing fields are left out. Arrays and objects: left out when labels are taken by default
// (every scalar top-level member), their compact JSON text when a label_fields entry names them,
// since then the operator asked for that value. Inventory keeps scalars as they are (null included)
// and also takes arrays and objects as their JSON text, because inventory values must be scalars.
//
// Used by the json and rest plugins, and by any plugin whose upstream lists hosts as JSON items.

import { Account, HostRecord } from "./abi.generated";
import { JsonDocument, JsonKind, JsonValue, describeKind } from "./json-document";
import { JsonRaw } from "./json-raw";
import { ParsedSelector, Selector, parseSelector, select } from "./selector";

/** A label or inventory entry: the name it is stored under and where its value is. */
export class Field {
  readonly name: string;
  readonly selector: Selector;
  constructor(name: string, selector: Selector) {
    this.name = name;
    this.selector = selector;
  }
}

/** How an item becomes a host record. */
export class Mapping {
  hostname: Selector;
  /** Empty: every scalar top-level member except the hostname's. */
  labels: Field[] = [];
  inventory: Field[] = [];
  constructor(hostname: Selector) {
    this.hostname = hostname;
  }
}

export class MappingResult {
  mapping: Mapping | null = null;
  problem: string = "";
}

class FieldsResult {
  fields: Field[] = [];
  problem: string = "";
}

/**
 * Reads a list of fields: each entry a selector ("site", "location.city", "['rack id']"), or
 * "name=selector" to store it under another name. The name defaults to the selector's keys joined by '.'.
 */
function parseFields(option: string, entries: string[]): FieldsResult {
  const result = new FieldsResult();
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const split = renameAt(entry);
    const parsed: ParsedSelector = parseSelector(split < 0 ? entry : entry.substring(split + 1));
    const selector = parsed.selector;
    if (selector === null) {
      result.problem = option + ": " + parsed.problem;
      return result;
    }
    const name = split < 0 ? selector.name() : entry.substring(0, split).trim();
    if (name.length == 0) {
      result.problem = option + ": '" + entry + "' gives no name; write it as name=selector";
      return result;
    }
    result.fields.push(new Field(name, selector));
  }
  return result;
}

// The '=' of "name=selector": one before any '[' or quote, so a quoted member name may contain '='.
function renameAt(entry: string): i32 {
  for (let i = 0; i < entry.length; i++) {
    const c = entry.charCodeAt(i);
    if (c == 0x3d) return i;
    if (c == 0x5b || c == 0x27 || c == 0x22) return -1;
  }
  return -1;
}

/** The mapping the account's options describe, or an options problem naming the option. */
export function mappingFromOptions(account: Account): MappingResult {
  const result = new MappingResult();
  const hostname = parseSelector(account.optionString("hostname_field", "hostname"));
  const selector = hostname.selector;
  if (selector === null) {
    result.problem = "hostname_field: " + hostname.problem;
    return result;
  }
  const mapping = new Mapping(selector);
  const labels = parseFields("label_fields", account.optionList("label_fields"));
  if (labels.problem.length > 0) {
    result.problem = labels.problem;
    return result;
  }
  const inventory = parseFields("inventory_fields", account.optionList("inventory_fields"));
  if (inventory.problem.length > 0) {
    result.problem = inventory.problem;
    return result;
  }
  mapping.labels = labels.fields;
  mapping.inventory = inventory.fields;
  result.mapping = mapping;
  return result;
}

export class RecordResult {
  record: HostRecord | null = null;
  problem: string = "";
}

/** The host record of one item; `row` is its index, named in messages and passed to the host. */
export function recordOf(item: JsonValue, row: i64, mapping: Mapping): RecordResult {
  const result = new RecordResult();
  const where = "item " + row.toString();
  const found = select(item, mapping.hostname);
  const hostname = found.value;
  if (hostname === null) {
    result.problem = where + " has no hostname: hostname_field '" + mapping.hostname.text + "' selects nothing (" + found.miss + ")";
    return result;
  }
  if (hostname.kind != JsonKind.String) {
    result.problem = where + " has no hostname: hostname_field '" + mapping.hostname.text + "' selects " + describeKind(hostname.kind) + ", not a string";
    return result;
  }
  const record = new HostRecord();
  record.hostname = hostname.asString();
  if (record.hostname.trim().length == 0) {
    result.problem = where + " has no hostname: hostname_field '" + mapping.hostname.text + "' selects an empty string";
    return result;
  }
  record.row = row;
  if (mapping.labels.length == 0) addScalarMembers(item, mapping.hostname.topLevelKey(), record.labels);
  else addLabels(item, mapping.labels, record.labels);
  addInventory(item, mapping.inventory, record.inventory);
  result.record = record;
  return result;
}

function addScalarMembers(item: JsonValue, hostnameKey: string | null, labels: Map<string, string>): void {
  const members = item.members();
  for (let i = 0; i < members.length; i++) {
    const key = members[i].key;
    if (key.length == 0 || (hostnameKey !== null && key == hostnameKey)) continue;
    const text = members[i].value.scalarText();
    if (text !== null) labels.set(key, text);
  }
}

function addLabels(item: JsonValue, fields: Field[], labels: Map<string, string>): void {
  for (let i = 0; i < fields.length; i++) {
    const value = select(item, fields[i].selector).value;
    if (value === null) continue;
    const kind = value.kind;
    if (kind == JsonKind.Null) continue;
    const text = value.scalarText();
    labels.set(fields[i].name, text !== null ? text : value.compactText());
  }
}

function addInventory(item: JsonValue, fields: Field[], inventory: Map<string, JsonRaw>): void {
  for (let i = 0; i < fields.length; i++) {
    const value = select(item, fields[i].selector).value;
    if (value === null) continue;
    const kind = value.kind;
    // Scalars travel as their JSON text (a number stays a number); containers as a JSON string of their text.
    inventory.set(fields[i].name, kind == JsonKind.Array || kind == JsonKind.Object ? JsonRaw.string(value.compactText()) : new JsonRaw(value.rawText()));
  }
}

export class PageResult {
  records: HostRecord[] = [];
  problem: string = "";
}

/** Host records of `items`, whose first is row `firstRow`; stops at the first item without a hostname. */
export function pageOf(items: JsonValue[], firstRow: i64, mapping: Mapping): PageResult {
  const result = new PageResult();
  for (let i = 0; i < items.length; i++) {
    const made = recordOf(items[i], firstRow + i, mapping);
    const record = made.record;
    if (record === null) {
      result.problem = made.problem;
      return result;
    }
    result.records.push(record);
  }
  return result;
}

/** The array a list selector finds in `document`, or an options problem naming `source` (a file, "the answer of GET …"). */
export class ListResult {
  items: JsonValue[] = [];
  problem: string = "";
}

export function listAt(document: JsonDocument, selector: Selector, source: string): ListResult {
  const result = new ListResult();
  const selection = select(document.root(), selector);
  const listed = selection.value;
  if (listed === null) {
    result.problem = "list_selector '" + selector.text + "' does not match an array in " + source + ": " + selection.miss;
  } else if (listed.kind != JsonKind.Array) {
    result.problem = "list_selector '" + selector.text + "' selects " + describeKind(listed.kind) + ", not an array, in " + source;
  } else {
    result.items = listed.elements();
  }
  return result;
}
