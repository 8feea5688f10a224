/**
 * OpenAPI 3.0 Schema Objects as JSON Schema (draft-07, what Ajv validates by default). OpenAPI 3.0 is a dialect:
 * `nullable` instead of a `null` type, boolean `exclusiveMinimum`/`exclusiveMaximum` (draft-04 style), and
 * annotations a JSON Schema validator in strict mode refuses (`example`, `discriminator`, `x-…`). Checkmk writes
 * its patterns for Python's `re`, where `\Z` ends the string; in JavaScript that is `$` (no multiline flag).
 *
 * Request schemas may be made strict: an object schema that names its properties and says nothing about others
 * refuses others. OpenAPI allows them by default, but NetBox silently drops a property it does not know (a
 * misspelt or renamed field, `device_role` for `role`, would pass unnoticed) and Checkmk refuses it; either way a
 * client that sends one has a bug. Schemas used as `anyOf`/`oneOf` branches stay open: Checkmk describes a host's
 * attributes as "the built-in ones, or custom ones, or tag groups", and a branch that refused the others'
 * properties would refuse every mix.
 */
import type { SchemaObject } from "./document.ts";

/** The keywords kept; everything else in an OpenAPI schema is an annotation or an OpenAPI-only keyword. */
const JSON_SCHEMA_KEYWORDS = new Set([
  "type", "enum", "const", "format", "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
  "exclusiveMaximum", "multipleOf", "items", "minItems", "maxItems", "uniqueItems", "properties", "additionalProperties",
  "required", "minProperties", "maxProperties", "allOf", "anyOf", "oneOf", "not", "$ref", "readOnly", "writeOnly",
]);

/** The checker's linear-time replacement for `uniqueItems` (see checker.ts). */
export const UNIQUE_ITEMS = "uniqueItemsByValue";

export interface Translation {
  /** Where `#/components/schemas/<name>` points to once translated. */
  refId: (name: string) => string;
  /** Request schemas: refuse properties an object schema does not name (see above). */
  closeObjects: boolean;
  /** Component names that are `anyOf`/`oneOf` branches somewhere: never closed. */
  branches: ReadonlySet<string>;
}

const COMPONENT_REF = "#/components/schemas/";

export function componentName(ref: string): string {
  if (!ref.startsWith(COMPONENT_REF)) throw new Error(`unsupported $ref ${ref}: only ${COMPONENT_REF}… is resolved`);
  return decodeURIComponent(ref.slice(COMPONENT_REF.length));
}

/** The names of components that appear directly as a branch of an `anyOf` or `oneOf`. */
export function branchComponents(schemas: Record<string, SchemaObject>): Set<string> {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      if ((key === "anyOf" || key === "oneOf") && Array.isArray(value)) {
        for (const branch of value) if (typeof branch?.$ref === "string") found.add(componentName(branch.$ref));
      }
      if (key !== "example" && key !== "enum" && key !== "default") visit(value);
    }
  };
  visit(schemas);
  return found;
}

export function toJsonSchema(schema: SchemaObject, translation: Translation, isBranch = false): SchemaObject {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) throw new Error(`not a schema: ${JSON.stringify(schema)}`);
  const out: SchemaObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!JSON_SCHEMA_KEYWORDS.has(key)) continue;
    switch (key) {
      case "$ref":
        out.$ref = translation.refId(componentName(value));
        break;
      case "properties":
        out.properties = Object.fromEntries(Object.entries(value as Record<string, SchemaObject>).map(([name, property]) => [name, toJsonSchema(property, translation)]));
        break;
      case "items":
      case "not":
        out[key] = toJsonSchema(value, translation);
        break;
      case "additionalProperties":
        out.additionalProperties = typeof value === "boolean" ? value : toJsonSchema(value, translation);
        break;
      case "allOf":
        out.allOf = (value as SchemaObject[]).map((part) => toJsonSchema(part, translation));
        break;
      case "anyOf":
      case "oneOf":
        out[key] = (value as SchemaObject[]).map((part) => toJsonSchema(part, translation, true));
        break;
      case "exclusiveMinimum":
      case "exclusiveMaximum": {
        // OpenAPI 3.0 (draft-04 style): a flag on minimum/maximum; draft-07: the bound itself.
        const bound = key === "exclusiveMinimum" ? "minimum" : "maximum";
        if (value === true && typeof schema[bound] === "number") out[key] = schema[bound];
        else if (typeof value === "number") out[key] = value;
        break;
      }
      case "pattern":
        out.pattern = pythonPatternToJs(value);
        break;
      case "uniqueItems":
        // Ajv compares object items pairwise (quadratic: 40 ms for Checkmk's bulk body of 300 hosts); the
        // checker's own keyword compares canonical JSON in a set.
        if (value === true) out[UNIQUE_ITEMS] = true;
        break;
      default:
        out[key] = value;
    }
  }
  if (out.exclusiveMinimum !== undefined) delete out.minimum;
  if (out.exclusiveMaximum !== undefined) delete out.maximum;
  if (translation.closeObjects && !isBranch && out.properties && Object.keys(out.properties).length > 0 && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  if (schema.nullable === true) {
    if (out.enum && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return { anyOf: [out, { type: "null" }] };
  }
  return out;
}

/** `\Z` (end of string in Python) is `$` in a JavaScript pattern without the `m` flag; `\\Z` stays literal. */
export function pythonPatternToJs(pattern: string): string {
  return pattern.replace(/(?<!\\)((?:\\\\)*)\\Z/g, "$1$");
}
