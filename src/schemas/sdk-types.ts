/**
 * Generates the AssemblyScript SDK's ABI classes (plugins/sdk/abi.generated.ts) from the valibot schemas
 * in src/plugins/abi.ts, their single source: one class per message, with its fields typed, a reader
 * (over the SDK's JsonReader) and a writer (into its JsonWriter). `npm run schemas` (src/schemas/generate.ts)
 * rewrites the file with the JSON Schemas; test/schemas/sdk-types.test.ts fails when the checked-in file drifts.
 *
 * Types: string → string; an integer within i32 → i32, else i64; another number → f64; boolean → bool;
 * a literal → its type; a picklist → string (with a namespace of its choices); an object → a class; a
 * record of strings → Map<string, string>, of anything else → Map<string, JsonRaw> (raw JSON text);
 * unknown and unions of scalars → JsonRaw; a union of objects → one class with every branch's fields.
 * Optional scalars carry a `hasX` flag and are written only when set; optional objects, arrays and raw
 * values are nullable and written only when not null; optional maps start empty and are always written.
 */
import * as v from "valibot";
import { join } from "node:path";
import {
  AccountPayloadSchema,
  CallRequestSchema,
  EndpointAnswerSchema,
  EndpointRequestSchema,
  ErrorEnvelopeSchema,
  EventSchema,
  ExportResultSchema,
  HookAnswerSchema,
  HostChangeSchema,
  HostPageSchema,
  HostRecordSchema,
  HostsReadSchema,
  HostViewSchema,
  HttpRequestSchema,
  HttpResultSchema,
  KvFlushSchema,
  KvGetSchema,
  KvKeysAnswerSchema,
  KvKeysSchema,
  KvSetSchema,
  PageRequestSchema,
} from "../plugins/abi.ts";

export const SDK_TYPES_FILE = join(import.meta.dir, "..", "..", "plugins", "sdk", "abi.generated.ts");

type Schema = v.GenericSchema & Record<string, unknown>;

/** The generated classes, by name, in the order written. */
const CLASSES: [string, v.GenericSchema][] = [
  ["Account", AccountPayloadSchema],
  ["Request", CallRequestSchema],
  ["ErrorEnvelope", ErrorEnvelopeSchema],
  ["PageRequest", PageRequestSchema],
  ["HostRecord", HostRecordSchema],
  ["HostPage", HostPageSchema],
  ["HostView", HostViewSchema],
  ["ExportResult", ExportResultSchema],
  ["HostChange", HostChangeSchema],
  ["HookAnswer", HookAnswerSchema.wrapped],
  ["EndpointRequest", EndpointRequestSchema],
  ["EndpointAnswer", EndpointAnswerSchema],
  ["HttpRequest", HttpRequestSchema],
  ["HttpResponse", HttpResultSchema],
  ["KvGet", KvGetSchema],
  ["KvSet", KvSetSchema],
  ["KvKeys", KvKeysSchema],
  ["KvKeysAnswer", KvKeysAnswerSchema],
  ["KvFlush", KvFlushSchema],
  ["Event", EventSchema],
  ["HostsRead", HostsReadSchema],
];

/** Names of nested objects (else the parent's name and the field's). */
const NESTED_NAMES: Record<string, string> = {
  "ExportResult.results": "HostResult",
  "HostChange.old": "HostState",
  "HostChange.new": "HostState",
  "HttpResponse.error": "HttpError",
};

/**
 * Fields the schema leaves open because the host checks them one by one, typed as what the SDK writes:
 * a page's hosts are host records (the host checks each against HostRecordSchema).
 */
const ITEM_TYPES: Record<string, string> = { "HostPage.hosts": "HostRecord" };

type Type =
  | { t: "string" | "i32" | "i64" | "f64" | "bool" | "raw" }
  | { t: "class"; name: string }
  | { t: "map"; value: "string" | "raw" }
  | { t: "array"; item: Type }
  | { t: "nullable"; inner: Type };

interface Field {
  name: string;
  type: Type;
  optional: boolean;
  choices?: string[];
  doc?: string;
}

interface ClassDef {
  name: string;
  fields: Field[];
}

const classes = new Map<string, ClassDef>();
const order: string[] = [];

function pascal(name: string): string {
  return name.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

function pipeActions(schema: Schema): { type: string; requirement?: unknown }[] {
  return ((schema.pipe as { type: string; requirement?: unknown }[] | undefined) ?? []).slice(1);
}

function numberType(schema: Schema): Type {
  const actions = pipeActions(schema);
  if (!actions.some((a) => a.type === "integer")) return { t: "f64" };
  const min = actions.find((a) => a.type === "min_value")?.requirement as number | undefined;
  const max = actions.find((a) => a.type === "max_value")?.requirement as number | undefined;
  return min !== undefined && max !== undefined && min >= -(2 ** 31) && max < 2 ** 31 ? { t: "i32" } : { t: "i64" };
}

function objectEntries(schema: Schema): Record<string, Schema> | null {
  if (schema.type === "object" || schema.type === "strict_object" || schema.type === "loose_object") return schema.entries as Record<string, Schema>;
  if (schema.type === "union") {
    const options = schema.options as Schema[];
    if (!options.every((option) => objectEntries(option) !== null)) return null;
    // One class with every branch's fields; a field missing from a branch is optional.
    const merged: Record<string, Schema> = {};
    for (const option of options) {
      for (const [key, entry] of Object.entries(objectEntries(option)!)) {
        const inAll = options.every((other) => key in objectEntries(other)!);
        merged[key] ??= inAll || entry.type === "optional" ? entry : (v.optional(entry) as unknown as Schema);
        if (entry.type === "literal" && typeof entry.literal === "boolean") merged[key] = v.boolean() as unknown as Schema;
      }
    }
    return merged;
  }
  return null;
}

function typeOf(schema: Schema, owner: string, field: string): Type {
  const path = `${owner}.${field}`;
  switch (schema.type) {
    case "string":
    case "picklist":
      return { t: "string" };
    case "number":
      return numberType(schema);
    case "boolean":
      return { t: "bool" };
    case "literal":
      if (typeof schema.literal === "string") return { t: "string" };
      if (typeof schema.literal === "boolean") return { t: "bool" };
      return Number.isInteger(schema.literal) && Math.abs(schema.literal as number) < 2 ** 31 ? { t: "i32" } : { t: "f64" };
    case "nullable":
      return nullable(typeOf(schema.wrapped as Schema, owner, field));
    case "record": {
      const value = schema.value as Schema;
      return { t: "map", value: value.type === "string" ? "string" : "raw" };
    }
    case "array": {
      const item = ITEM_TYPES[path];
      return { t: "array", item: item ? { t: "class", name: item } : typeOf(schema.item as Schema, owner, field) };
    }
    default: {
      const entries = objectEntries(schema);
      if (entries === null) return { t: "raw" }; // unknown, unions of scalars
      const known = CLASSES.find(([, s]) => s === (schema as unknown));
      const name = known ? known[0] : (NESTED_NAMES[path] ?? `${owner}${pascal(field)}`);
      define(name, entries);
      return { t: "class", name };
    }
  }
}

function nullable(inner: Type): Type {
  // A null scalar (an option's value) has no AssemblyScript form but raw JSON.
  if (inner.t === "nullable" || inner.t === "raw") return inner;
  if (inner.t === "string" || inner.t === "class" || inner.t === "array" || inner.t === "map") return { t: "nullable", inner };
  return { t: "raw" };
}

function define(name: string, entries: Record<string, Schema>): void {
  if (classes.has(name)) return;
  const def: ClassDef = { name, fields: [] };
  classes.set(name, def);
  for (const [key, entry] of Object.entries(entries)) {
    const optional = entry.type === "optional";
    const inner = optional ? (entry.wrapped as Schema) : entry;
    const picklist = inner.type === "picklist" ? (inner.options as string[]) : undefined;
    def.fields.push({ name: key, type: typeOf(inner, name, key), optional, choices: picklist });
  }
  order.push(name);
}

// ---------------------------------------------------------------- AssemblyScript text

function ts(type: Type): string {
  switch (type.t) {
    case "string":
      return "string";
    case "raw":
      return "JsonRaw";
    case "class":
      return type.name;
    case "map":
      return `Map<string, ${type.value === "string" ? "string" : "JsonRaw"}>`;
    case "array":
      return `${ts(type.item)}[]`;
    case "nullable":
      return `${ts(type.inner)} | null`;
    default:
      return type.t;
  }
}

function initial(type: Type): string {
  switch (type.t) {
    case "string":
      return '""';
    case "bool":
      return "false";
    case "raw":
      return 'new JsonRaw("null")';
    case "class":
      return `new ${type.name}()`;
    case "map":
      return `new ${ts(type)}()`;
    case "array":
      return `new Array<${ts(type.item)}>()`;
    case "nullable":
      return "null";
    default:
      return "0";
  }
}

const isScalar = (type: Type) => ["string", "i32", "i64", "f64", "bool"].includes(type.t);

/** How a field is stored: optional objects, arrays and raw values become nullable. */
function stored(field: Field): Type {
  if (field.optional && (field.type.t === "class" || field.type.t === "array" || field.type.t === "raw")) return { t: "nullable", inner: field.type };
  return field.type;
}

function readExpr(type: Type): string {
  switch (type.t) {
    case "string":
      return "reader.string()";
    case "i32":
      return "<i32>reader.integer()";
    case "i64":
      return "reader.integer()";
    case "f64":
      return "reader.float()";
    case "bool":
      return "reader.boolean()";
    case "raw":
      return "JsonRaw.read(reader)";
    case "class":
      return `${type.name}.read(reader)`;
    case "map":
      return type.value === "string" ? "readStringMap(reader)" : "readRawMap(reader)";
    case "array":
      return type.item.t === "string" ? "readStringArray(reader)" : `read${arrayHelper(type.item)}Array(reader)`;
    case "nullable":
      return `reader.nullValue() ? null : ${readExpr(type.inner)}`;
  }
}

/** Arrays of classes get a reader function each. */
const arrayReaders = new Set<string>();
function arrayHelper(item: Type): string {
  if (item.t !== "class") throw new Error(`no reader for an array of ${item.t}`);
  arrayReaders.add(item.name);
  return item.name;
}

function writeStatement(type: Type, value: string, indent: string): string {
  switch (type.t) {
    case "string":
      return `${indent}writer.string(${value});`;
    case "i32":
    case "i64":
      return `${indent}writer.integer(${value});`;
    case "f64":
      return `${indent}writer.float(${value});`;
    case "bool":
      return `${indent}writer.boolean(${value});`;
    case "raw":
      return `${indent}writer.raw(${value}.data);`;
    case "class":
      return `${indent}${value}.write(writer);`;
    case "map":
      return `${indent}${type.value === "string" ? "writeStringMap" : "writeRawMap"}(writer, ${value});`;
    case "array":
      return [
        `${indent}writer.beginArray();`,
        `${indent}for (let i = 0, n = ${value}.length; i < n; i++) {`,
        writeStatement(type.item, `unchecked(${value}[i])`, indent + "  "),
        `${indent}}`,
        `${indent}writer.endArray();`,
      ].join("\n");
    case "nullable":
      return [`${indent}if (${value} === null) writer.nullValue();`, `${indent}else {`, writeStatement(type.inner, `${value}!`, indent + "  "), `${indent}}`].join("\n");
  }
}

function classText(def: ClassDef): string {
  const lines: string[] = [];
  lines.push(`export class ${def.name} {`);
  for (const field of def.fields) {
    const type = stored(field);
    if (field.optional && isScalar(type)) {
      const flag = `has${pascal(field.name)}`;
      lines.push(`  private _${field.name}: ${ts(type)} = ${initial(type)};`);
      lines.push(`  /** Whether ${field.name} was read or set: an optional field is written only then. */`);
      lines.push(`  ${flag}: bool = false;`);
      lines.push(`  get ${field.name}(): ${ts(type)} {`, `    return this._${field.name};`, `  }`);
      lines.push(`  set ${field.name}(value: ${ts(type)}) {`, `    this._${field.name} = value;`, `    this.${flag} = true;`, `  }`);
    } else {
      lines.push(`  ${field.name}: ${ts(type)} = ${initial(type)};`);
    }
  }
  if (def.fields.some((f) => f.name === "options" && f.type.t === "map" && f.type.value === "raw")) {
    lines.push("");
    lines.push("  /** A string option, or `fallback` when unset. */");
    lines.push('  optionString(name: string, fallback: string = ""): string {', "    return optionString(this.options, name, fallback);", "  }");
    lines.push("  optionInt(name: string, fallback: i64 = 0): i64 {", "    return optionInt(this.options, name, fallback);", "  }");
    lines.push("  optionBool(name: string, fallback: bool = false): bool {", "    return optionBool(this.options, name, fallback);", "  }");
    lines.push("  optionList(name: string): string[] {", "    return optionList(this.options, name);", "  }");
  }
  for (const field of def.fields) {
    if (field.type.t !== "raw" || field.optional) continue;
    lines.push("");
    lines.push(`  /** ${field.name} parsed into T, a json-as class (see JsonRaw.as). */`);
    lines.push(`  ${field.name}As<T>(): T {`, `    return this.${field.name}.as<T>();`, "  }");
  }
  lines.push("");
  lines.push(`  /** Reads the member whose key the reader has just read; false, reading nothing, when the key is not one of ${def.name}'s. */`);
  lines.push(`  readMember(reader: JsonReader): bool {`);
  def.fields.forEach((field, i) => {
    lines.push(`    ${i === 0 ? "" : "else "}if (reader.keyIs(${JSON.stringify(field.name)})) this.${field.name} = ${readExpr(stored(field))};`);
  });
  lines.push(`    ${def.fields.length ? "else " : ""}return false;`);
  lines.push(`    return true;`);
  lines.push(`  }`);
  lines.push("");
  lines.push(`  /** Reads the object the reader stands at; members it does not know are skipped. On malformed input the reader has failed. */`);
  lines.push(`  static read(reader: JsonReader): ${def.name} {`);
  lines.push(`    const value = new ${def.name}();`);
  lines.push(`    if (!reader.beginObject()) return value;`);
  lines.push(`    while (reader.nextKey()) if (!value.readMember(reader)) reader.skip();`);
  lines.push(`    return value;`);
  lines.push(`  }`);
  lines.push("");
  lines.push(`  /** The ${def.name} in a JSON text; on malformed input the reader's error says where (see JsonReader). */`);
  lines.push(`  static parse(json: string): ${def.name} {`);
  lines.push(`    return ${def.name}.read(JsonReader.fromString(json));`);
  lines.push(`  }`);
  lines.push("");
  lines.push(`  write(writer: JsonWriter): void {`);
  lines.push(`    writer.beginObject();`);
  for (const field of def.fields) {
    const type = stored(field);
    const value = `this.${field.name}`;
    const key = `writer.key(${JSON.stringify(field.name)});`;
    if (field.optional && isScalar(type)) {
      lines.push(`    if (this.has${pascal(field.name)}) {`, `      ${key}`, writeStatement(type, value, "      "), `    }`);
    } else if (field.optional && type.t === "nullable") {
      lines.push(`    const _${field.name} = ${value};`, `    if (_${field.name} !== null) {`, `      ${key}`, writeStatement(type.inner, `_${field.name}`, "      "), `    }`);
    } else {
      lines.push(`    ${key}`, writeStatement(type, value, "    "));
    }
  }
  lines.push(`    writer.endObject();`);
  lines.push(`  }`);
  lines.push("");
  lines.push(`  toJson(): string {`, `    const writer = new JsonWriter(256);`, `    this.write(writer);`, `    return writer.toString();`, `  }`);
  lines.push(`}`);
  for (const field of def.fields) {
    if (!field.choices) continue;
    lines.push("");
    lines.push(`/** The values ${def.name}.${field.name} takes. */`);
    lines.push(`export namespace ${def.name}${pascal(field.name)} {`);
    for (const choice of field.choices) lines.push(`  export const ${pascal(choice.toLowerCase())} = ${JSON.stringify(choice)};`);
    lines.push(`}`);
  }
  return lines.join("\n");
}

/** The file's text, exactly as checked in. */
export function generateSdkTypes(): string {
  classes.clear();
  order.length = 0;
  arrayReaders.clear();
  for (const [name, schema] of CLASSES) {
    const entries = objectEntries(schema as Schema);
    if (entries === null) throw new Error(`${name} is not an object schema`);
    define(name, entries);
  }
  const body = order.map((name) => classText(classes.get(name)!)).join("\n\n");
  const readers = [...arrayReaders]
    .sort()
    .map((name) =>
      [
        `function read${name}Array(reader: JsonReader): ${name}[] {`,
        `  const items = new Array<${name}>();`,
        `  if (!reader.beginArray()) return items;`,
        `  while (reader.nextItem()) items.push(${name}.read(reader));`,
        `  return items;`,
        `}`,
      ].join("\n"),
    )
    .join("\n\n");
  return `// GENERATED by src/schemas/sdk-types.ts from src/plugins/abi.ts (npm run schemas): do not edit.
// The ABI v1 messages as AssemblyScript classes, each read with the SDK's JsonReader and written with its
// JsonWriter. A test fails when this file differs from what the generator makes of the valibot schemas.
import { JsonReader } from "./json-reader";
import { JsonWriter } from "./json-writer";
import { JsonRaw, readRawMap, readStringArray, readStringMap, writeRawMap, writeStringMap } from "./json-raw";
import { optionBool, optionInt, optionList, optionString } from "./options";

${body}

${readers}
`;
}
