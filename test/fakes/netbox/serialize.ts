/**
 * NetBox's answers for stored objects, shaped by the contract's response schemas: every property the schema
 * names is filled (stored fields, related objects in their brief form, `{value, label}` choices, counts, links),
 * and what the fake does not model gets the empty value NetBox gives it (null, "", [], 0). A serializer lives for
 * one request: each schema is planned once and each related object serialised once, which keeps a page of a
 * thousand devices cheap. An AnswerCache keeps each object's answer and its JSON text across requests until it
 * could change.
 */
import type { OpenApiDocument, SchemaObject } from "../contract/document.ts";
import type { NetboxRecord, NetboxStore } from "./store.ts";
import { COUNTED, type TypeKey, TYPES } from "./types.ts";

type Getter = (record: NetboxRecord) => unknown;

export class Serializer {
  private readonly plans = new Map<string, [string, Getter][]>();
  private readonly briefs = new Map<string, Record<string, unknown> | null>();
  /** Every type whose objects an answer of this serializer showed (a brief, a count, a display text): what the answers depend on besides their own object. */
  readonly readTypes = new Set<TypeKey>();

  constructor(
    private readonly document: OpenApiDocument,
    private readonly store: NetboxStore,
    readonly origin: string,
  ) {}

  full(type: TypeKey, record: NetboxRecord): Record<string, unknown> {
    return this.fill(this.plan(type, TYPES[type].schema, false), record);
  }

  brief(type: TypeKey, id: number | null): Record<string, unknown> | null {
    if (id === null) return null;
    this.readTypes.add(type);
    const key = `${type}:${id}`;
    let brief = this.briefs.get(key);
    if (brief === undefined) {
      const record = this.store.get(type, id);
      brief = record ? this.fill(this.plan(type, TYPES[type].brief, true), record) : null;
      this.briefs.set(key, brief);
    }
    return brief;
  }

  private fill(plan: [string, Getter][], record: NetboxRecord): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [property, get] of plan) out[property] = get(record);
    return out;
  }

  /** One getter per property of the schema, in the schema's order. */
  private plan(type: TypeKey, schemaName: string, nested: boolean): [string, Getter][] {
    const key = `${type}:${schemaName}`;
    let plan = this.plans.get(key);
    if (plan) return plan;
    const schema = this.document.components.schemas[schemaName];
    if (!schema) throw new Error(`no schema ${schemaName} in the NetBox contract`);
    plan = [];
    for (const [property, propertySchema] of Object.entries(schema.properties as Record<string, SchemaObject>)) {
      // Nested objects carry no counts: NetBox annotates counts in list views of the counted type only.
      if (nested && property.endsWith("_count") && !(schema.required ?? []).includes(property)) continue;
      plan.push([property, this.getter(type, property, propertySchema)]);
    }
    this.plans.set(key, plan);
    return plan;
  }

  private getter(type: TypeKey, property: string, schema: SchemaObject): Getter {
    const spec = TYPES[type];
    const fieldSpec = spec.fields[property];
    switch (property) {
      case "id":
        return (record) => record.id;
      case "url":
        return (record) => `${this.origin}${spec.path}${record.id}/`;
      case "display_url":
        return (record) => `${this.origin}${spec.path.replace(/^\/api/, "")}${record.id}/`;
      case "display":
        return (record) => this.display(type, record);
      case "created":
      case "last_updated":
        return (record) => record[property];
      case "tags":
        return (record) => record.tags.map((tag) => this.brief("tags", tag));
      case "custom_fields":
        return (record) => record.custom_fields;
      case "primary_ip":
        return (record) => this.brief("ip-addresses", (record.primary_ip6 ?? record.primary_ip4 ?? null) as number | null);
      case "config_context":
        return (record) => record.local_context_data ?? {};
      case "family":
        return (record) => (String(record.address).includes(":") ? { value: 6, label: "IPv6" } : { value: 4, label: "IPv4" });
      case "tagged_items":
        return (record) => {
          for (const other of Object.keys(TYPES) as TypeKey[]) this.readTypes.add(other);
          return Object.values(this.store.objects).reduce((total, records) => total + [...records.values()].filter((other) => other.tags.includes(record.id)).length, 0);
        };
    }
    if (fieldSpec?.kind === "ref") {
      const target = fieldSpec.target;
      return (record) => this.brief(target, (record[property] ?? null) as number | null);
    }
    if (fieldSpec?.kind === "choice") {
      const values = (schema.properties?.value?.enum ?? []) as unknown[];
      const labels = (schema.properties?.label?.enum ?? []) as string[];
      // `{value, label}`, the label at the value's place in the contract's enum; null when blank.
      return (record) => {
        const value = record[property];
        return value === null || value === undefined || value === "" ? null : { value, label: labels[values.indexOf(value)] ?? String(value) };
      };
    }
    const empty = emptyValue(schema);
    if (fieldSpec?.kind === "value") return (record) => record[property] ?? empty;
    const counted = COUNTED[property];
    if (counted) return (record) => this.count(counted, type, record.id);
    if (schema.properties?.value && schema.properties?.label) return () => null;
    return () => (typeof empty === "object" && empty !== null ? structuredClone(empty) : empty);
  }

  private count(counted: TypeKey, type: TypeKey, id: number): number {
    this.readTypes.add(counted);
    const fields = Object.entries(TYPES[counted].fields).filter(([, fieldSpec]) => fieldSpec.kind === "ref" && fieldSpec.target === type).map(([field]) => field);
    let total = 0;
    for (const other of this.store.objects[counted].values()) if (fields.some((field) => other[field] === id)) total++;
    return total;
  }

  private display(type: TypeKey, record: NetboxRecord): string {
    if (type === "ip-addresses") return String(record.address);
    if (type === "device-types") return String(record.model);
    if (type === "devices" && (record.name === null || record.name === undefined)) {
      this.readTypes.add("device-types").add("manufacturers");
      const deviceType = this.store.get("device-types", record.device_type as number);
      const manufacturer = deviceType && this.store.get("manufacturers", deviceType.manufacturer as number);
      return `${manufacturer?.name ?? ""} ${deviceType?.model ?? ""} (${record.id})`.trim();
    }
    return String(record.name);
  }
}

/** An object's answer as the API sends it: its JSON text, as UTF-8. */
export interface KeptAnswer {
  json: Uint8Array;
}

interface CachedAnswer extends KeptAnswer {
  /** The stored object it was made of: a write stores a new one. */
  record: NetboxRecord;
  origin: string;
  /** The types of other objects it shows, and the sum of their revisions when it was made. */
  reads: TypeKey[];
  revisions: number;
}

/**
 * Each object's answer as JSON text, kept until it could change: until the object is written again (a write
 * stores a new record), or an object of a type it shows (a related object's brief, a count) is written or
 * deleted. A list answers its page from here, so a large NetBox is serialised once, as it is written, and not
 * again for every page of every import. Only the text is kept, as bytes: fifty thousand answers as objects would
 * be a heap the garbage collector walks again and again.
 */
export class AnswerCache {
  private readonly kept = new Map<TypeKey, Map<number, CachedAnswer>>();

  constructor(private readonly store: NetboxStore) {}

  answer(type: TypeKey, record: NetboxRecord, serializer: Serializer): KeptAnswer {
    let byId = this.kept.get(type);
    if (!byId) this.kept.set(type, (byId = new Map()));
    const cached = byId.get(record.id);
    if (cached && cached.record === record && cached.origin === serializer.origin && cached.revisions === this.revisionsOf(cached.reads)) return cached;
    const value = serializer.full(type, record);
    // What the serializer read so far includes what this answer read: a superset, which only forgets it sooner.
    const reads = [...serializer.readTypes];
    const answer: CachedAnswer = { json: Buffer.from(JSON.stringify(value)), record, origin: serializer.origin, reads, revisions: this.revisionsOf(reads) };
    byId.set(record.id, answer);
    return answer;
  }

  /** Revisions only grow, so their sum is the same only when none changed. */
  private revisionsOf(types: TypeKey[]): number {
    let sum = 0;
    for (const type of types) sum += this.store.typeRevisions[type];
    return sum;
  }
}

const decoder = new TextDecoder();

/**
 * Answers' texts as the array of objects the contract check reads: each parsed when it is first read. The check
 * reads a sample of a long list (and all of it only when the sample fails), so a page is not parsed whole.
 */
export function parsedOnRead(texts: Uint8Array[]): unknown[] {
  const parsed: unknown[] = new Array(texts.length);
  const index = (property: string | symbol) => (typeof property === "string" && /^\d+$/.test(property) && Number(property) < texts.length ? Number(property) : -1);
  return new Proxy(parsed, {
    has: (target, property) => index(property) >= 0 || Reflect.has(target, property),
    get: (target, property, receiver) => {
      const at = index(property);
      if (at < 0) return Reflect.get(target, property, receiver);
      return (target[at] ??= JSON.parse(decoder.decode(texts[at])));
    },
  });
}

function emptyValue(schema: SchemaObject): unknown {
  if (schema.nullable || schema.allOf || schema.$ref || schema.type === undefined) return null;
  if (schema.type === "string") return "";
  if (schema.type === "array") return [];
  if (schema.type === "object") return {};
  if (schema.type === "boolean") return false;
  return 0;
}
