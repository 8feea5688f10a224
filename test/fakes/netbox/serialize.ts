/**
 * NetBox's answers for stored objects, shaped by the contract's response schemas: every property the schema
 * names is filled (stored fields, related objects in their brief form, `{value, label}` choices, counts, links),
 * and what the fake does not model gets the empty value NetBox gives it (null, "", [], 0).
 */
import type { OpenApiDocument, SchemaObject } from "../contract/document.ts";
import type { NetboxRecord, NetboxStore } from "./store.ts";
import { COUNTED, type TypeKey, TYPES } from "./types.ts";

export class Serializer {
  constructor(
    private readonly document: OpenApiDocument,
    private readonly store: NetboxStore,
    private readonly origin: string,
  ) {}

  full(type: TypeKey, record: NetboxRecord): Record<string, unknown> {
    return this.fill(type, record, TYPES[type].schema, false);
  }

  brief(type: TypeKey, id: number | null): Record<string, unknown> | null {
    if (id === null) return null;
    const record = this.store.get(type, id);
    return record ? this.fill(type, record, TYPES[type].brief, true) : null;
  }

  private fill(type: TypeKey, record: NetboxRecord, schemaName: string, nested: boolean): Record<string, unknown> {
    const schema = this.document.components.schemas[schemaName];
    if (!schema) throw new Error(`no schema ${schemaName} in the NetBox contract`);
    const out: Record<string, unknown> = {};
    for (const [property, propertySchema] of Object.entries(schema.properties as Record<string, SchemaObject>)) {
      // Nested objects carry no counts: NetBox annotates counts in list views of the counted type only.
      if (nested && property.endsWith("_count") && !(schema.required ?? []).includes(property)) continue;
      out[property] = this.value(type, record, property, propertySchema);
    }
    return out;
  }

  private value(type: TypeKey, record: NetboxRecord, property: string, schema: SchemaObject): unknown {
    const spec = TYPES[type];
    const fieldSpec = spec.fields[property];
    switch (property) {
      case "id":
        return record.id;
      case "url":
        return `${this.origin}${spec.path}${record.id}/`;
      case "display_url":
        return `${this.origin}${spec.path.replace(/^\/api/, "")}${record.id}/`;
      case "display":
        return this.display(type, record);
      case "created":
      case "last_updated":
        return record[property];
      case "tags":
        return record.tags.map((tag) => this.brief("tags", tag));
      case "custom_fields":
        return record.custom_fields;
      case "primary_ip":
        return this.brief("ip-addresses", (record.primary_ip6 ?? record.primary_ip4 ?? null) as number | null);
      case "config_context":
        return record.local_context_data ?? {};
      case "family":
        return String(record.address).includes(":") ? { value: 6, label: "IPv6" } : { value: 4, label: "IPv4" };
      case "tagged_items":
        return Object.values(this.store.objects).reduce((total, records) => total + [...records.values()].filter((other) => other.tags.includes(record.id)).length, 0);
    }
    if (fieldSpec?.kind === "ref") return this.brief(fieldSpec.target, (record[property] ?? null) as number | null);
    if (fieldSpec?.kind === "choice") return choice(schema, record[property]);
    if (fieldSpec?.kind === "value") return record[property] ?? emptyValue(schema);
    const counted = COUNTED[property];
    if (counted) return this.count(counted, type, record.id);
    if (schema.properties?.value && schema.properties?.label) return null;
    return emptyValue(schema);
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

/** A choice as NetBox shows it: `{value, label}`, the label at the value's place in the contract's enum; null when blank. */
function choice(schema: SchemaObject, value: unknown): unknown {
  if (value === null || value === undefined || value === "") return null;
  const values = (schema.properties?.value?.enum ?? []) as unknown[];
  const labels = (schema.properties?.label?.enum ?? []) as string[];
  return { value, label: labels[values.indexOf(value)] ?? String(value) };
}

function emptyValue(schema: SchemaObject): unknown {
  if (schema.nullable || schema.allOf || schema.$ref || schema.type === undefined) return null;
  if (schema.type === "string") return "";
  if (schema.type === "array") return [];
  if (schema.type === "object") return {};
  if (schema.type === "boolean") return false;
  return 0;
}
