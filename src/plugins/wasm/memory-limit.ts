/**
 * Caps a plugin's linear memory by rewriting the module's memory limits before it is compiled.
 *
 * The Extism JS SDK has no memory limit of its own. With the maximum written into the module, a
 * `memory.grow` past it fails inside wasm (returns -1, so the plugin's allocator sees out-of-memory)
 * instead of growing until the machine runs out.
 *
 * A hand-written parser on purpose: the libraries that can rewrite modules (binaryen.js,
 * @webassemblyjs/*) are megabytes and slow to start, and this runs at every plugin load. Only the
 * import section (2) and memory section (5) are decoded; every other section is copied as is.
 */

export interface MemoryLimitResult {
  /** The rewritten module bytes (a new Uint8Array; the input is not modified). Same bytes when nothing needed changing. */
  bytes: Uint8Array;
  /** The maximum (in 64 KiB pages) the module declared for its memory, or undefined when it declared none. */
  declaredMaxPages: number | undefined;
  /** The maximum now in force: min(declared, cap). */
  maxPages: number;
  /** Initial pages the module asks for. */
  initialPages: number;
}

export class WasmFormatError extends Error {
  override name = "WasmFormatError";
}

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]; // "\0asm", version 1
const HAS_MAX = 0x01;
const MEMORY64 = 0x04;

/** A memory's limits and where they sit in the module, so they can be replaced. */
interface Memory {
  start: number;
  end: number;
  flags: number;
  initial: number;
  max: number | undefined;
}

/** Reads forward through `bytes[pos, end)`; every overrun is a WasmFormatError naming the offset. */
export class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  byte(): number {
    if (this.pos >= this.end) throw new WasmFormatError(`unexpected end of ${this.end === this.bytes.length ? "the module" : "a section"} at byte ${this.pos}`);
    return this.bytes[this.pos++]!;
  }

  /** Unsigned LEB128; `maxBytes` 5 for u32/s33, 10 to skip a u64. */
  leb(maxBytes = 5): number {
    const at = this.pos;
    let value = 0;
    for (let i = 0; i < maxBytes; i++) {
      const b = this.byte();
      value += (b & 0x7f) * 2 ** (7 * i); // arithmetic, not bit shifts: shifts go negative past 2^31
      if (b < 0x80) return value;
    }
    throw new WasmFormatError(`LEB128 number longer than ${maxBytes} bytes at byte ${at}`);
  }

  skip(n: number): void {
    if (n > this.end - this.pos) throw new WasmFormatError(`${n} bytes run past the end of ${this.end === this.bytes.length ? "the module" : "a section"} at byte ${this.pos}`);
    this.pos += n;
  }

  /** A value type; typed references (0x63/0x64) carry a heap type after them. */
  valType(): void {
    const type = this.byte();
    if (type === 0x63 || type === 0x64) this.leb();
  }

  /** Table limits, which may be 64-bit: only skipped. */
  tableLimits(): void {
    const flags = this.byte();
    const size = flags & MEMORY64 ? 10 : 5;
    this.leb(size);
    if (flags & HAS_MAX) this.leb(size);
  }

  memory(): Memory {
    const start = this.pos;
    const flags = this.byte();
    if (flags & MEMORY64 && flags < 0x08) throw new WasmFormatError(`64-bit memories are not supported (at byte ${start})`);
    if (flags > 0x03) throw new WasmFormatError(`unknown memory limits flags 0x${flags.toString(16)} at byte ${start}`);
    const initial = this.leb();
    const max = flags & HAS_MAX ? this.leb() : undefined;
    return { start, end: this.pos, flags, initial, max };
  }
}

function leb128(value: number): number[] {
  const out: number[] = [];
  do {
    const low = value % 0x80;
    value = Math.floor(value / 0x80);
    out.push(value > 0 ? low | 0x80 : low);
  } while (value > 0);
  return out;
}

const mib = (pages: number): string => `${+(pages / 16).toFixed(2)} MiB`;

/** Caps the module's (single, 32-bit) linear memory at `capPages`. */
export function capMemory(module: Uint8Array, capPages: number): MemoryLimitResult {
  if (!Number.isInteger(capPages) || capPages < 0 || capPages > 65536) throw new RangeError(`memory cap must be 0..65536 pages, got ${capPages}`);
  const bad = HEADER.findIndex((b, i) => module[i] !== b);
  if (bad !== -1) {
    const what = bad >= module.length ? "ends inside the header" : bad < 4 ? "has the wrong magic" : "has the wrong version";
    throw new WasmFormatError(`not a WebAssembly version 1 module: it ${what} at byte ${bad}`);
  }

  const chunks: Uint8Array[] = [module.subarray(0, HEADER.length)];
  const reader = new Reader(module, HEADER.length, module.length);
  let found: Memory | undefined;
  const claim = (memory: Memory): Memory => {
    // Multi-memory would need a cap per memory (and the SDK only ever reads memory 0).
    if (found) throw new WasmFormatError(`the module has more than one memory (the second at byte ${memory.start})`);
    return (found = memory);
  };

  while (reader.pos < module.length) {
    const start = reader.pos;
    const id = reader.byte();
    const size = reader.leb();
    const payload = reader.pos;
    if (size > module.length - payload) throw new WasmFormatError(`section ${id} at byte ${start} runs past the end of the module (${size} bytes declared, ${module.length - payload} left)`);
    reader.pos = payload + size;

    let memory: Memory | undefined;
    const section = new Reader(module, payload, payload + size);
    if (id === 5) {
      for (let count = section.leb(); count > 0; count--) memory = claim(section.memory());
    } else if (id === 2) {
      // Imports have no index of their own: decode each one to walk past it to the memory.
      for (let count = section.leb(); count > 0; count--) {
        section.skip(section.leb()); // module name
        section.skip(section.leb()); // field name
        const kind = section.byte();
        switch (kind) {
          case 0: section.leb(); break; // function: type index
          case 1: section.valType(); section.tableLimits(); break; // table: element type, limits
          case 2: memory = claim(section.memory()); break;
          case 3: section.valType(); section.byte(); break; // global: type, mutability
          case 4: section.byte(); section.leb(); break; // tag: attribute, type index
          default: throw new WasmFormatError(`unknown import kind ${kind} at byte ${section.pos - 1}`);
        }
      }
    }
    if (id === 2 || id === 5) {
      if (section.pos !== section.end) throw new WasmFormatError(`section ${id} at byte ${start} has ${section.end - section.pos} bytes left over at byte ${section.pos}`);
    }

    if (!memory || (memory.max !== undefined && memory.max <= capPages)) {
      chunks.push(module.subarray(start, payload + size));
      continue;
    }
    // Splice in the new limits; the section and its LEB128 size prefix may both change length.
    const limits = [memory.flags | HAS_MAX, ...leb128(memory.initial), ...leb128(capPages)];
    const newSize = size - (memory.end - memory.start) + limits.length;
    chunks.push(Uint8Array.of(id, ...leb128(newSize)), module.subarray(payload, memory.start), Uint8Array.from(limits), module.subarray(memory.end, payload + size));
  }

  if (!found) return { bytes: module.slice(), declaredMaxPages: undefined, maxPages: 0, initialPages: 0 };
  if (found.initial > capPages) {
    throw new WasmFormatError(
      `the module asks for ${found.initial} pages (${mib(found.initial)}) of memory at start, over the limit of ${capPages} pages (${mib(capPages)})`,
    );
  }
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return { bytes, declaredMaxPages: found.max, maxPages: Math.min(found.max ?? Infinity, capPages), initialPages: found.initial };
}
