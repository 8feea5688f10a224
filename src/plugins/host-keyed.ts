/**
 * The host-keyed form of an answer to a page of hosts (an inventory page). Any object in the answer
 * whose keys are all hostnames of the page (Ansible's `_meta.hostvars`, say) is cut out by the sandbox
 * process and sent as the raw text of its members after the rest of the answer. Pages hold disjoint
 * hosts, so such objects of different pages never share a key: the daemon joins their texts without
 * parsing them, and merging them gives what merging the parsed objects would.
 */

/** Where a host-keyed object sat in the answer, and the byte length of its members' text. */
export interface SplicedObject {
  path: (string | number)[];
  bytes: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The answer as the rest (the skeleton, host-keyed objects replaced by null) followed by the members
 * of each host-keyed object, e.g. `"web01":{…},"web02":{…}`, in the order `spliced` lists them.
 */
export function spliceHostKeyed(value: unknown, hostnames: ReadonlySet<string>): { payload: Uint8Array; spliced: SplicedObject[] } {
  const bodies: Uint8Array[] = [];
  const spliced: SplicedObject[] = [];
  const path: (string | number)[] = [];
  const cut = (node: unknown): unknown => {
    if (node === null || typeof node !== "object") return node;
    if (Array.isArray(node)) {
      for (let index = 0; index < node.length; index++) {
        if (node[index] === null || typeof node[index] !== "object") continue;
        path.push(index);
        node[index] = cut(node[index]);
        path.pop();
      }
      return node;
    }
    const record = node as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length > 0 && keys.every((key) => hostnames.has(key))) {
      const text = encoder.encode(JSON.stringify(record));
      bodies.push(text.subarray(1, text.byteLength - 1));
      spliced.push({ path: [...path], bytes: text.byteLength - 2 });
      return null;
    }
    for (const key of keys) {
      path.push(key);
      record[key] = cut(record[key]);
      path.pop();
    }
    return record;
  };
  const skeleton = encoder.encode(JSON.stringify(cut(value)));
  const payload = new Uint8Array(skeleton.byteLength + bodies.reduce((sum, body) => sum + body.byteLength, 0));
  payload.set(skeleton);
  let offset = skeleton.byteLength;
  for (const body of bodies) {
    payload.set(body, offset);
    offset += body.byteLength;
  }
  return { payload, spliced };
}

/** A host-keyed object as the daemon holds it: its members' text, one piece per page, unparsed. */
export class HostKeyed {
  constructor(readonly bodies: Uint8Array[]) {}

  /** The object itself, for a merge with an object that is not host-keyed or for pretty printing. */
  parse(): Record<string, unknown> {
    const parts = this.bodies.map((body) => decoder.decode(body));
    return JSON.parse(`{${parts.join(",")}}`) as Record<string, unknown>;
  }
}

/** The answer of spliceHostKeyed back as a value, each host-keyed object in its place as a HostKeyed. */
export function joinHostKeyed(payload: Uint8Array, spliced: SplicedObject[]): unknown {
  let offset = payload.byteLength - spliced.reduce((sum, object) => sum + object.bytes, 0);
  let root = JSON.parse(decoder.decode(payload.subarray(0, offset)));
  for (const { path, bytes } of spliced) {
    const object = new HostKeyed([payload.subarray(offset, offset + bytes)]);
    offset += bytes;
    if (path.length === 0) {
      root = object;
      continue;
    }
    let parent = root as Record<string | number, unknown>;
    for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
    parent[path[path.length - 1]!] = object;
  }
  return root;
}

/** Whether a value holds a HostKeyed anywhere. */
export function holdsHostKeyed(value: unknown): boolean {
  if (value instanceof HostKeyed) return true;
  if (value === null || typeof value !== "object") return false;
  return (Array.isArray(value) ? value : Object.values(value)).some(holdsHostKeyed);
}

/** The value with every HostKeyed parsed: plain JSON again. */
export function parseHostKeyed(value: unknown): unknown {
  if (value instanceof HostKeyed) return value.parse();
  if (!holdsHostKeyed(value)) return value;
  if (Array.isArray(value)) return value.map(parseHostKeyed);
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, parseHostKeyed(item)]));
}

/**
 * The value as compact JSON, in pieces to write one after another: host-keyed members go out as the
 * bytes they arrived as, everything around them through JSON.stringify.
 */
export function jsonPieces(value: unknown, pieces: (string | Uint8Array)[] = []): (string | Uint8Array)[] {
  if (value instanceof HostKeyed) {
    pieces.push("{");
    value.bodies.forEach((body, index) => {
      if (index > 0) pieces.push(",");
      pieces.push(body);
    });
    pieces.push("}");
  } else if (!holdsHostKeyed(value)) {
    pieces.push(JSON.stringify(value));
  } else if (Array.isArray(value)) {
    pieces.push("[");
    value.forEach((item, index) => {
      if (index > 0) pieces.push(",");
      jsonPieces(item, pieces);
    });
    pieces.push("]");
  } else {
    pieces.push("{");
    Object.entries(value as Record<string, unknown>).forEach(([key, item], index) => {
      pieces.push(`${index > 0 ? "," : ""}${JSON.stringify(key)}:`);
      jsonPieces(item, pieces);
    });
    pieces.push("}");
  }
  return pieces;
}
