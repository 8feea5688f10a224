// Typed access to a call's options (the host has resolved and typed them: custom field > env > config >
// default). A missing or null option gives the fallback.
import { JsonRaw } from "./json-raw";

function optionReader(options: Map<string, JsonRaw>, name: string): JsonRaw | null {
  if (!options.has(name)) return null;
  const raw = options.get(name);
  return raw.isNull ? null : raw;
}

export function optionString(options: Map<string, JsonRaw>, name: string, fallback: string): string {
  const raw = optionReader(options, name);
  return raw === null ? fallback : raw.reader().string();
}

export function optionInt(options: Map<string, JsonRaw>, name: string, fallback: i64): i64 {
  const raw = optionReader(options, name);
  return raw === null ? fallback : raw.reader().integer();
}

export function optionBool(options: Map<string, JsonRaw>, name: string, fallback: bool): bool {
  const raw = optionReader(options, name);
  return raw === null ? fallback : raw.reader().boolean();
}

export function optionList(options: Map<string, JsonRaw>, name: string): string[] {
  const raw = optionReader(options, name);
  const items = new Array<string>();
  if (raw === null) return items;
  const reader = raw.reader();
  if (!reader.beginArray()) return items;
  while (reader.nextItem()) items.push(reader.string());
  return items;
}
