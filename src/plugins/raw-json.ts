/**
 * JSON text that is already serialised (a page of hosts read from the database as stored text),
 * written as a value where it stands in a request, like Go's json.RawMessage: the request is written
 * member by member, never cut open at an offset.
 */
export class RawJson {
  constructor(readonly text: string) {}
}

/** How deep RawJson values are looked for: a request's members (`input`) and theirs (`input.hosts`). */
const RAW_DEPTH = 2;

const isPlainObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype;

function holdsRaw(value: unknown, depth: number): boolean {
  if (value instanceof RawJson) return true;
  return depth > 0 && isPlainObject(value) && Object.values(value).some((member) => holdsRaw(member, depth - 1));
}

/**
 * A value as JSON, with each RawJson (down to RAW_DEPTH plain objects deep) written as its text.
 * Whatever holds none goes through JSON.stringify whole, so a large input without raw parts costs no
 * more than before.
 */
export function writeJson(value: unknown, depth = RAW_DEPTH): string {
  if (value instanceof RawJson) return value.text;
  if (!holdsRaw(value, depth)) return JSON.stringify(value) ?? "null";
  const members: string[] = [];
  for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
    if (member !== undefined) members.push(`${JSON.stringify(key)}:${writeJson(member, depth - 1)}`);
  }
  return `{${members.join(",")}}`;
}
