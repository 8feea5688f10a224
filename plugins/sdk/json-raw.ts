// JsonRaw: a JSON value kept as its text (an option's value, inventory, a command's input), read when it
// is needed; and the maps and lists the generated ABI classes are made of.
import { JSON } from "json-as";
import { JsonReader } from "./json-reader";
import { JsonWriter } from "./json-writer";

export class JsonRaw {
  /** The value's JSON text, e.g. `"fra"`, `42`, `null`, `{"a":[1]}`. */
  constructor(public data: string) {}

  /** The value the reader stands at, as its text. */
  static read(reader: JsonReader): JsonRaw {
    if (!reader.capture()) return new JsonRaw("null");
    return new JsonRaw(String.UTF8.decodeUnsafe(reader.valuePtr, <usize>reader.valueLength));
  }

  static string(text: string): JsonRaw {
    const writer = new JsonWriter(text.length + 16);
    writer.string(text);
    return new JsonRaw(writer.toString());
  }

  static integer(value: i64): JsonRaw {
    return new JsonRaw(value.toString());
  }

  static boolean(value: bool): JsonRaw {
    return new JsonRaw(value ? "true" : "false");
  }

  get isNull(): bool {
    return this.data == "null";
  }

  /** A reader standing at the value. */
  reader(): JsonReader {
    return JsonReader.fromString(this.data);
  }

  /**
   * The value parsed into T with json-as (a class marked @json, string[], i64…): convenient for small
   * inputs of the author's own shape. Malformed or mistyped input aborts the call; read large or
   * untrusted input with reader() instead.
   */
  as<T>(): T {
    return JSON.parse<T>(this.data);
  }
}

export function readStringMap(reader: JsonReader): Map<string, string> {
  const map = new Map<string, string>();
  if (reader.nullValue() || !reader.beginObject()) return map;
  while (reader.nextKey()) {
    const key = reader.key();
    map.set(key, reader.string());
  }
  return map;
}

export function readRawMap(reader: JsonReader): Map<string, JsonRaw> {
  const map = new Map<string, JsonRaw>();
  if (reader.nullValue() || !reader.beginObject()) return map;
  while (reader.nextKey()) {
    const key = reader.key();
    map.set(key, JsonRaw.read(reader));
  }
  return map;
}

export function readStringArray(reader: JsonReader): string[] {
  const items = new Array<string>();
  if (!reader.beginArray()) return items;
  while (reader.nextItem()) items.push(reader.string());
  return items;
}

export function writeStringMap(writer: JsonWriter, map: Map<string, string>): void {
  writer.beginObject();
  const keys = map.keys();
  for (let i = 0, n = keys.length; i < n; i++) {
    const key = unchecked(keys[i]);
    writer.key(key);
    writer.string(map.get(key));
  }
  writer.endObject();
}

export function writeRawMap(writer: JsonWriter, map: Map<string, JsonRaw>): void {
  writer.beginObject();
  const keys = map.keys();
  for (let i = 0, n = keys.length; i < n; i++) {
    const key = unchecked(keys[i]);
    writer.key(key);
    writer.raw(map.get(key).data);
  }
  writer.endObject();
}
