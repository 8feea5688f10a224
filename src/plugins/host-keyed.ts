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
import { CanonicalReader, hashBytes, NOT_CANONICAL, sameBytes } from "./canonical-json.ts";

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
  /** Reads its bytes from `offset` on into all of `into`. */
  readInto(into: Uint8Array, offset: number): void;
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

/** The hostnames of a page as the daemon sends them (UTF-8, one a line), found by their bytes. */
export class PageHostnames {
  /** Each hostname's [start, end) in `bytes`. */
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  /** Open addressing by hash: index + 1 of a hostname, 0 for none. */
  private readonly slots: Int32Array;

  constructor(readonly bytes: Uint8Array | undefined) {
    let count = 0;
    if (bytes) {
      count = 1;
      for (let at = 0; at < bytes.length; at++) if (bytes[at] === 0x0a) count++;
    }
    this.starts = new Int32Array(count);
    this.ends = new Int32Array(count);
    let size = 16;
    while (size < count * 2) size *= 2;
    this.slots = new Int32Array(size);
    const mask = size - 1;
    for (let index = 0, start = 0, at = 0; index < count; at++) {
      if (at < bytes!.length && bytes![at] !== 0x0a) continue;
      this.starts[index] = start;
      this.ends[index] = at;
      let slot = hashBytes(bytes!, start, at) & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = ++index;
      start = at + 1;
    }
  }

  get count(): number {
    return this.starts.length;
  }

  /** The index of the hostname that is bytes [start, end) of `text` with this `hash` (hashBytes), or -1. */
  find(text: Uint8Array, start: number, end: number, hash: number): number {
    const { slots, bytes } = this;
    const mask = slots.length - 1;
    for (let slot = hash & mask; slots[slot] !== 0; slot = (slot + 1) & mask) {
      const index = slots[slot]! - 1;
      const from = this.starts[index]!;
      if (this.ends[index]! - from === end - start && sameBytes(text, start, end, bytes!, from)) return index;
    }
    return -1;
  }

  /** As a set of strings (the slow road's). */
  toSet(): Set<string> {
    return this.bytes ? new Set(new TextDecoder().decode(this.bytes).split("\n")) : new Set();
  }
}

/** A cut-out object or array of a canonical answer: its bytes [start, end), brackets included. */
interface Cut {
  start: number;
  end: number;
  path: (string | number)[];
  array: boolean;
}

/**
 * spliceHostKeyed's work on an answer that is canonical JSON (canonical-json.ts), done on its bytes: no
 * value is parsed, the skeleton is the answer with each cut-out part replaced by null, and each part's
 * members are its bytes. Throws NOT_CANONICAL for any other answer.
 */
class CanonicalSplicer {
  readonly cuts: Cut[] = [];
  private readonly reader: CanonicalReader;
  /** Where the reader stands: per level, a key's [start, end) or -1 and an array index. */
  private pathStart = new Int32Array(32);
  private pathEnd = new Int32Array(32);
  private depth = 0;
  /** The object or array that last saw each hostname: a host array names none twice. */
  private readonly seenIn: Int32Array;
  private containers = 0;

  constructor(
    bytes: Uint8Array,
    private readonly hostnames: PageHostnames,
  ) {
    this.reader = new CanonicalReader(bytes);
    this.seenIn = new Int32Array(hostnames.count);
  }

  run(): void {
    this.value();
    if (!this.reader.atEnd) throw NOT_CANONICAL;
  }

  private value(): void {
    const byte = this.reader.peek();
    if (byte === 0x7b) this.object();
    else if (byte === 0x5b) this.array();
    else this.reader.value();
  }

  private enter(start: number, end: number): void {
    if (this.depth === this.pathStart.length) {
      const more = (from: Int32Array) => {
        const to = new Int32Array(from.length * 2);
        to.set(from);
        return to;
      };
      this.pathStart = more(this.pathStart);
      this.pathEnd = more(this.pathEnd);
    }
    this.pathStart[this.depth] = start;
    this.pathEnd[this.depth] = end;
    this.depth++;
  }

  /** A host-keyed object or host array from `start` to where the reader stands; the parts cut inside it stay in. */
  private cut(start: number, cutsBefore: number, array: boolean): void {
    this.cuts.length = cutsBefore;
    const path: (string | number)[] = [];
    const bytes = this.reader.bytes;
    for (let level = 0; level < this.depth; level++) {
      const from = this.pathStart[level]!;
      const to = this.pathEnd[level]!;
      if (from < 0) path.push(to);
      else path.push(JSON.parse(decoder.decode(bytes.subarray(from - 1, to + 1))) as string);
    }
    this.cuts.push({ start, end: this.reader.pos, path, array });
  }

  private object(): void {
    const reader = this.reader;
    const start = reader.pos;
    reader.pos++;
    if (reader.peek() === 0x7d) {
      reader.pos++;
      return;
    }
    const cutsBefore = this.cuts.length;
    const base = reader.beginKeys();
    let hostKeyed = true;
    for (;;) {
      reader.key(base);
      if (hostKeyed) {
        // A hostname written with an escape is compared by its bytes on the slow road only.
        if (reader.escaped) throw NOT_CANONICAL;
        hostKeyed = this.hostnames.find(reader.bytes, reader.start, reader.end, reader.hash) >= 0;
      }
      this.enter(reader.start, reader.end);
      this.value();
      this.depth--;
      const byte = reader.peek();
      reader.pos++;
      if (byte === 0x2c) continue;
      if (byte === 0x7d) break;
      throw NOT_CANONICAL;
    }
    reader.endKeys(base);
    if (hostKeyed) this.cut(start, cutsBefore, false);
  }

  private array(): void {
    const reader = this.reader;
    const start = reader.pos;
    reader.pos++;
    if (reader.peek() === 0x5d) {
      reader.pos++;
      return;
    }
    const cutsBefore = this.cuts.length;
    const container = ++this.containers;
    let hostArray = true;
    for (let index = 0; ; index++) {
      if (hostArray && reader.peek() === 0x22) {
        reader.string(true);
        if (reader.escaped) throw NOT_CANONICAL;
        const host = this.hostnames.find(reader.bytes, reader.start, reader.end, reader.hash);
        if (host < 0 || this.seenIn[host] === container) hostArray = false;
        else this.seenIn[host] = container;
      } else {
        hostArray = false;
        this.enter(-1, index);
        this.value();
        this.depth--;
      }
      const byte = reader.peek();
      reader.pos++;
      if (byte === 0x2c) continue;
      if (byte === 0x5d) break;
      throw NOT_CANONICAL;
    }
    if (hostArray) this.cut(start, cutsBefore, true);
  }
}

/**
 * spliceHostKeyed of an answer still in its bytes, as the parts to send one after another (views of
 * `bytes`: nothing is copied), or undefined when it is not canonical JSON (then parse it and splice the value).
 */
export function spliceCanonical(bytes: Uint8Array, hostnames: PageHostnames): { payload: Uint8Array[]; spliced: SplicedObject[] } | undefined {
  const splicer = new CanonicalSplicer(bytes, hostnames);
  try {
    splicer.run();
  } catch (error) {
    if (error === NOT_CANONICAL) return undefined;
    throw error;
  }
  const { cuts } = splicer;
  // The skeleton: the answer with "null" for each part; then each part's members, its bytes less the brackets.
  const payload: Uint8Array[] = [];
  let from = 0;
  for (const cut of cuts) {
    payload.push(bytes.subarray(from, cut.start), NULL_TEXT);
    from = cut.end;
  }
  payload.push(bytes.subarray(from));
  for (const cut of cuts) payload.push(bytes.subarray(cut.start + 1, cut.end - 1));
  return { payload, spliced: cuts.map(({ path, start, end, array }) => ({ path, bytes: end - start - 2, ...(array ? { array: true as const } : {}) })) };
}

const NULL_TEXT = encoder.encode("null");

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
  // A body of a host array holds several items: the array is parsed from its whole text.
  if (value instanceof JoinedArray) return JSON.parse([...jsonPieces(value)].map((piece) => (typeof piece === "string" ? piece : textOf(piece))).join(""));
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
