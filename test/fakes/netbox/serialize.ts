/**
 * NetBox's answers for stored objects, shaped by the contract's response schemas: every property the schema
 * names is filled (stored fields, related objects in their brief form, `{value, label}` choices, counts, links),
 * and what the fake does not model gets the empty value NetBox gives it (null, "", [], 0). A serializer lives for
 * one request: each schema is planned once and each related object serialised once, which keeps a page of a
 * thousand devices cheap.
 */
import type { OpenApiDocument, SchemaObject } from "../contract/document.ts";
import type { NetboxRecord, NetboxStore } from "./store.ts";
import { COUNTED, type TypeKey, TYPES } from "./types.ts";

type Getter = (record: NetboxRecord) => unknown;

export class Serializer {
  private readonly plans = new Map<string, [string, Getter][]>();
  private readonly briefs = new Map<string, Record<string, unknown> | null>();

  constructor(
    private readonly document: OpenApiDocument,
    private readonly store: NetboxStore,
    private readonly origin: string,
  ) {}

  full(type: TypeKey, record: NetboxRecord): Record<string, unknown> {
    return this.fill(this.plan(type, TYPES[type].schema, false), record);
  }

  brief(type: TypeKey, id: number | null): Record<string, unknown> | null {
    if (id === null) return null;
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
        return (record) => Object.values(this.store.objects).reduce((total, records) => total + [...records.values()].filter((other) => other.tags.includes(record.id)).length, 0);
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
    const fields = Object.entries(TYPES[counted].fields).filter(([, fieldSpec]) => fieldSpec.kind === "ref" && fieldSpec.target === type).map(([field]) => field);
    let total = 0;
    for (const other of this.store.objects[counted].values()) if (fields.some((field) => other[field] === id)) total++;
    return total;
  }

  private display(type: TypeKey, record: NetboxRecord): string {
    if (type === "ip-addresses") return String(record.address);
    if (type === "device-types") return String(record.model);
    if (type === "devices" && (record.name === null || record.name === undefined)) {
      const deviceType = this.store.get("device-types", record.device_type as number);
      const manufacturer = deviceType && this.store.get("manufacturers", deviceType.manufacturer as number);
      return `${manufacturer?.name ?? ""} ${deviceType?.model ?? ""} (${record.id})`.trim();
    }
    return String(record.name);
  }
}

function emptyValue(schema: SchemaObject): unknown {
  if (schema.nullable || schema.allOf || schema.$ref || schema.type === undefined) return null;
  if (schema.type === "string") return "";
  if (schema.type === "array") return [];
  if (schema.type === "object") return {};
  if (schema.type === "boolean") return false;
  return 0;
}
