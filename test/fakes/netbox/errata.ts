/**
 * Where NetBox 4.2.2's published contract is known to be wrong about what NetBox accepts, each fix named with its
 * upstream record. Applied to a copy of the document before the checker compiles it; everything else in the
 * contract stands as published.
 *
 * 1. Related objects may be given by numeric id as well as by a dictionary of their attributes (NetBox's REST
 *    API documentation, "Related Objects"); the schema lists only the dictionary (netbox-community/netbox#17709,
 *    fixed upstream by PR #18451 after 4.2.2).
 * 2. POST on a list endpoint also takes a list of objects and creates them all or none, answering the list
 *    (NetBox's REST API documentation, "Creating Multiple Objects"); the schema lists only a single object.
 * 3. PATCH and PUT on a list endpoint take a list of objects each with its `id`; the schema lists the full
 *    non-writable serializer, without `id` and with every field required (netbox-community/netbox#22245). The
 *    items here are the single-object PATCH (or PUT) body plus a required integer `id`.
 * 4. DELETE on a list endpoint takes a list of `{"id": <int>}`; the schema asks for whole objects (same issue).
 * 5. A choice field left blank (a device's `face`, `airflow`) is answered as null (NetBox's ChoiceField turns ""
 *    into None); the response schemas give such `{value, label}` objects without `nullable`.
 */
import type { OpenApiDocument, SchemaObject } from "../contract/document.ts";

const NESTED_REQUEST = /^#\/components\/schemas\/(Brief|Nested)\w*Request$/;

export function netboxErrata(document: OpenApiDocument): void {
  const schemas = document.components.schemas;
  for (const [name, schema] of Object.entries(schemas)) {
    if (name.endsWith("Request")) allowNumericIds(schema);
    else allowBlankChoices(schema);
  }
  for (const [path, item] of Object.entries(document.paths)) {
    const single = document.paths[`${path}{id}/`];
    if (!single) continue;
    if (item.post?.requestBody) {
      const created = Object.values(item.post.responses["201"]?.content ?? {});
      for (const media of [...Object.values(item.post.requestBody.content), ...created]) {
        if (media.schema) media.schema = { anyOf: [media.schema, { type: "array", items: media.schema, minItems: 1 }] };
      }
    }
    for (const method of ["patch", "put"] as const) {
      const bulk = item[method]?.requestBody;
      const one = single[method]?.requestBody?.content["application/json"]?.schema;
      if (!bulk || !one?.$ref) continue;
      const itemName = `Bulk${one.$ref.split("/").pop()}`;
      const base = schemas[one.$ref.split("/").pop()!]!;
      schemas[itemName] = { ...base, properties: { id: { type: "integer" }, ...base.properties }, required: ["id", ...(base.required ?? [])] };
      for (const media of Object.values(bulk.content)) media.schema = { type: "array", items: { $ref: `#/components/schemas/${itemName}` } };
    }
    const bulkDelete = item.delete?.requestBody;
    if (bulkDelete) {
      for (const media of Object.values(bulkDelete.content)) media.schema = { type: "array", items: { type: "object", required: ["id"], properties: { id: { type: "integer" } } } };
    }
  }
}

function allowBlankChoices(schema: SchemaObject): void {
  for (const property of Object.values((schema.properties ?? {}) as Record<string, SchemaObject>)) {
    if (property.properties?.value?.enum?.includes("") && property.properties?.label) property.nullable = true;
  }
}

/** A property referring to a nested request object (or a list of them) also takes an integer id. */
function allowNumericIds(schema: SchemaObject): void {
  for (const [property, value] of Object.entries((schema.properties ?? {}) as Record<string, SchemaObject>)) {
    const reference = nestedReference(value);
    if (reference) schema.properties[property] = { anyOf: [{ type: "integer" }, { $ref: reference }], ...(value.nullable ? { nullable: true } : {}) };
    else if (value.type === "array" && value.items && nestedReference(value.items)) value.items = { anyOf: [{ type: "integer" }, { $ref: nestedReference(value.items) }] };
  }
}

function nestedReference(schema: SchemaObject): string | undefined {
  const reference: unknown = schema.$ref ?? (schema.allOf?.length === 1 ? schema.allOf[0].$ref : undefined);
  return typeof reference === "string" && NESTED_REQUEST.test(reference) ? reference : undefined;
}
