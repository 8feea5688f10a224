/**
 * Host and folder attributes as a Checkmk site checks them. The contract describes attributes as "the built-in
 * ones, or any string-valued custom attributes, or any string-valued tag groups", so nearly any object passes
 * it; the site itself knows its tag groups and custom attributes and refuses the rest (marshmallow's "Unknown
 * field."), which a fake must do too or an exporter's typo in a tag group would pass unnoticed.
 */
import type { OpenApiDocument } from "../contract/document.ts";
import type { CheckmkSite } from "./site.ts";

export type AttributeKind = "HostCreateAttribute" | "HostUpdateAttribute" | "FolderCreateAttribute" | "FolderUpdateAttribute";

/** Field errors as Checkmk words them, by attribute; empty when the site accepts the attributes. */
export function attributeErrors(document: OpenApiDocument, site: CheckmkSite, kind: AttributeKind, attributes: Record<string, unknown>): Record<string, string[]> {
  const builtin = document.components.schemas[kind]?.properties ?? {};
  const errors: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(attributes)) {
    const group = name.startsWith("tag_") ? name.slice(4) : undefined;
    const choices = group === undefined ? undefined : site.tagGroups[group];
    if (choices) {
      if (!choices.includes(value as string)) errors[name] = [`Invalid tag ID ${JSON.stringify(value)} for tag group "${group}". Choices: ${choices.join(", ")}.`];
    } else if (!(name in builtin) && !site.customAttributes.has(name)) {
      errors[name] = ["Unknown field."];
    }
  }
  return errors;
}
