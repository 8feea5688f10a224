/**
 * JSON text that is already serialised (a page of hosts read from the database as stored text, in
 * UTF-8 bytes), written as a value where it stands in a request, like Go's json.RawMessage: the request
 * is written member by member, never cut open at an offset.
 */
export class RawJson {
  constructor(readonly text: string | Uint8Array) {}
}

/** How deep RawJson values are looked for: a request's members (`input`) and theirs (`input.hosts`). */
const RAW_DEPTH = 2;

const encoder = new TextEncoder();

const isPlainObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype;

function holdsRaw(value: unknown, depth: number): boolean {
  if (value instanceof RawJson) return true;
  return depth > 0 && isPlainObject(value) && Object.values(value).some((member) => holdsRaw(member, depth - 1));
}

/** The value's JSON as pieces in order: text around the raw parts, and the raw parts as they are. */
function pieces(value: unknown, depth: number, into: (string | Uint8Array)[]): void {
  if (value instanceof RawJson) into.push(value.text);
  else if (!holdsRaw(value, depth)) into.push(JSON.stringify(value) ?? "null");
  else {
    into.push("{");
    let first = true;
    for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
      if (member === undefined) continue;
      into.push(`${first ? "" : ","}${JSON.stringify(key)}:`);
      first = false;
      pieces(member, depth - 1, into);
    }
    into.push("}");
  }
}

/**
 * A value as UTF-8 JSON in parts, to be sent one after another: each RawJson (down to RAW_DEPTH plain
 * objects deep) is a part as it is, never copied; the text around it is encoded. Whatever holds none
 * goes through JSON.stringify whole, so a large input without raw parts costs no more than before.
 */
export function writeJson(value: unknown, depth = RAW_DEPTH): Uint8Array[] {
  const parts: (string | Uint8Array)[] = [];
  pieces(value, depth, parts);
  const out: Uint8Array[] = [];
  let text = "";
  for (const part of parts) {
    if (typeof part === "string") text += part;
    else {
      if (text !== "") out.push(encoder.encode(text));
      out.push(part);
      text = "";
    }
  }
  if (text !== "") out.push(encoder.encode(text));
  return out;
}
