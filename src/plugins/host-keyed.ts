/**
 * The host-keyed form of an answer to a page of hosts (an inventory page). Any object in the answer
 * whose keys are all hostnames of the page (Ansible's `_meta.hostvars`, say), and any array that holds
 * each of some hostnames of the page once and nothing else (a group's `hosts`), is cut out by the
 * sandbox process and sent as the raw text of its members after the rest of the answer. Pages hold
 * disjoint hosts, so such objects of different pages never share a key and such arrays never share an
 * item: the daemon joins their texts without parsing them, and merging them gives what merging the
 * parsed pages gives. The texts need not stay in memory: the daemon may store them away (a spool) and
 * read them back as the document is written.
 */

/** Where a cut-out object or array sat in the answer, the byte length of its members' text, and which it was. */
export interface SplicedObject {
  path: (string | number)[];
  bytes: number;
  /** An array of hostnames, not an object. */
  array?: true;
}

/** A cut-out text stored away from memory, read back when it is written. */
export interface StoredText {
  readonly byteLength: number;
  read(): Uint8Array;
}

/** The members' text of one page's cut-out object or array: in memory, or stored away. */
export type Body = Uint8Array | StoredText;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export const bytesOf = (body: Body): Uint8Array => (body instanceof Uint8Array ? body : body.read());
const textOf = (body: Body): string => decoder.decode(bytesOf(body));

/** An array to cut: at least one item, each a hostname of the page, none twice. */
function hostArray(items: unknown[], hostnames: ReadonlySet<string>): boolean {
  if (items.length === 0) return false;
  const seen = new Set<string>();
  for (const item of items) {
    if (typeof item !== "string" || !hostnames.has(item) || seen.has(item)) return false;
    seen.add(item);
  }
  return true;
}

/**
 * The answer as the rest (the skeleton, cut-out objects and arrays replaced by null) followed by the
 * members of each, e.g. `"web01":{…},"web02":{…}` or `"web01","web02"`, in the order `spliced` lists them.
 */
export function spliceHostKeyed(value: unknown, hostnames: ReadonlySet<string>): { payload: Uint8Array; spliced: SplicedObject[] } {
  const bodies: Uint8Array[] = [];
  const spliced: SplicedObject[] = [];
  const path: (string | number)[] = [];
  const cutOut = (node: object, array: boolean) => {
    const text = encoder.encode(JSON.stringify(node));
    bodies.push(text.subarray(1, text.byteLength - 1));
    spliced.push({ path: [...path], bytes: text.byteLength - 2, ...(array ? { array: true as const } : {}) });
    return null;
  };
  const cut = (node: unknown): unknown => {
    if (node === null || typeof node !== "object") return node;
    if (Array.isArray(node)) {
      if (hostArray(node, hostnames)) return cutOut(node, true);
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
    if (keys.length > 0 && keys.every((key) => hostnames.has(key))) return cutOut(record, false);
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

/** A host-keyed object as the daemon holds it: its members' text, one body per page, unparsed. */
export class HostKeyed {
  constructor(readonly bodies: Body[]) {}

  /** The object itself, for a merge with an object that is not host-keyed or for pretty printing. */
  parse(): Record<string, unknown> {
    return JSON.parse(`{${this.bodies.map(textOf).join(",")}}`) as Record<string, unknown>;
  }
}

/** An array of hostnames as the daemon holds it: its items' text, one body per page, unparsed. */
export class HostArray {
  constructor(readonly bodies: Body[]) {}

  /** The hostnames of one body. */
  static items(body: Body): string[] {
    return JSON.parse(`[${textOf(body)}]`) as string[];
  }
}

/**
 * Arrays of several pages of which some are host arrays, merged: parts in page order. As for plain arrays,
 * the first part is taken as it is and a later part adds only the strings and numbers not there yet. A
 * host array's items are hostnames of its page alone, so only a plain part's strings can repeat them:
 * without such strings, host arrays are joined as their texts.
 */
export class JoinedArray {
  constructor(readonly parts: (unknown[] | HostArray)[]) {}
}

const isScalar = (item: unknown): item is string | number => typeof item === "string" || typeof item === "number";

/** The items of a joined array, each as the pieces that write it; host arrays' texts as they are where nothing can repeat them. */
function* joinedItems(joined: JoinedArray): Generator<Piece[]> {
  const plainStrings = new Set<string>();
  for (const part of joined.parts) if (Array.isArray(part)) for (const item of part) if (typeof item === "string") plainStrings.add(item);
  // The strings and numbers written so far, as far as a later item can repeat them.
  const seen = new Set<unknown>();
  for (let index = 0; index < joined.parts.length; index++) {
    const part = joined.parts[index]!;
    const first = index === 0;
    if (Array.isArray(part)) {
      for (const item of part) {
        if (isScalar(item)) {
          if (!first && seen.has(item)) continue;
          seen.add(item);
        }
        yield [...jsonPieces(item)];
      }
    } else if (plainStrings.size === 0) {
      for (const body of part.bodies) yield [body];
    } else {
      for (const body of part.bodies) {
        for (const item of HostArray.items(body)) {
          if (!first && seen.has(item)) continue;
          if (plainStrings.has(item)) seen.add(item);
          yield [JSON.stringify(item)];
        }
      }
    }
  }
}

/** The answer of spliceHostKeyed back as a value, each cut-out part in its place; `keep` decides where a part's text stays (a spool, say). */
export function joinHostKeyed(payload: Uint8Array, spliced: SplicedObject[], keep: (body: Uint8Array) => Body = (body) => body): unknown {
  let offset = payload.byteLength - spliced.reduce((sum, object) => sum + object.bytes, 0);
  let root = JSON.parse(decoder.decode(payload.subarray(0, offset)));
  for (const { path, bytes, array } of spliced) {
    const body = keep(payload.subarray(offset, offset + bytes));
    const object = array ? new HostArray([body]) : new HostKeyed([body]);
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

/** Whether a value is one of the host-keyed forms. */
export const isHostKeyedForm = (value: unknown): value is HostKeyed | HostArray | JoinedArray =>
  value instanceof HostKeyed || value instanceof HostArray || value instanceof JoinedArray;

/** Whether a value holds a host-keyed form anywhere. */
export function holdsHostKeyed(value: unknown): boolean {
  if (isHostKeyedForm(value)) return true;
  if (value === null || typeof value !== "object") return false;
  return (Array.isArray(value) ? value : Object.values(value)).some(holdsHostKeyed);
}

/** The value with every host-keyed form parsed: plain JSON again. */
export function parseHostKeyed(value: unknown): unknown {
  if (value instanceof HostKeyed) return value.parse();
  if (value instanceof HostArray) return value.bodies.flatMap(HostArray.items);
  if (value instanceof JoinedArray) return [...joinedItems(value)].map((pieces) => JSON.parse(pieces.map((piece) => (typeof piece === "string" ? piece : textOf(piece))).join("")));
  if (!holdsHostKeyed(value)) return value;
  if (Array.isArray(value)) return value.map(parseHostKeyed);
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, parseHostKeyed(item)]));
}

/** A piece of written JSON: text, or a cut-out part's members as they arrived. */
export type Piece = string | Body;

/**
 * The value as compact JSON, in pieces to write one after another: cut-out members go out as the bytes
 * they arrived as (read back when their turn comes), everything around them through JSON.stringify.
 */
export function* jsonPieces(value: unknown): Generator<Piece> {
  if (value instanceof HostKeyed || value instanceof HostArray) {
    const [open, close] = value instanceof HostKeyed ? ["{", "}"] : ["[", "]"];
    yield open;
    for (let index = 0; index < value.bodies.length; index++) {
      if (index > 0) yield ",";
      yield value.bodies[index]!;
    }
    yield close;
  } else if (value instanceof JoinedArray) {
    yield "[";
    let index = 0;
    for (const item of joinedItems(value)) {
      if (index++ > 0) yield ",";
      yield* item;
    }
    yield "]";
  } else if (!holdsHostKeyed(value)) {
    yield JSON.stringify(value);
  } else if (Array.isArray(value)) {
    yield "[";
    for (let index = 0; index < value.length; index++) {
      if (index > 0) yield ",";
      yield* jsonPieces(value[index]);
    }
    yield "]";
  } else {
    yield "{";
    let index = 0;
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      yield `${index++ > 0 ? "," : ""}${JSON.stringify(key)}:`;
      yield* jsonPieces(item);
    }
    yield "}";
  }
}
