/**
 * Where in a plugin's own sources an abort happened, from the module's debug information: its `name`
 * section (asc --debug) and its source map (asc --sourceMap, build/plugin.wasm.map).
 *
 * Bun's engine names a wasm frame but gives no offset in it, so the stack says only which of the
 * plugin's functions was running. The call it made is found in that function's code instead: the call
 * to the library function that aborted (Array#__get for "Index out of range"), or, where the library
 * code was inlined, the call to `abort` with the abort's line and column as its last two arguments.
 * The source map gives that instruction's place; inlined library code maps to the library, so the
 * nearest place before it in the plugin's own sources is taken. A hand-written reader, like
 * memory-limit.ts: only the import, code and name sections are decoded.
 */
import { Reader, WasmFormatError } from "./memory-limit.ts";

export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

interface Instruction {
  at: number;
  op: number;
  /** call: the function index; i32.const: the value. */
  value?: number;
}

const utf8 = new TextDecoder("utf-8");
const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const LIBRARY = "~lib/";

function name(reader: Reader): string {
  const length = reader.leb();
  const start = reader.pos;
  reader.skip(length);
  return utf8.decode(reader.bytes.subarray(start, start + length));
}

/** Signed LEB128 (i32 or i64 immediates): the value when it fits a double exactly enough for a line or column. */
function sleb(reader: Reader, maxBytes: number): number {
  let value = 0;
  let shift = 0;
  let byte: number;
  let count = 0;
  do {
    byte = reader.byte();
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (++count > maxBytes) throw new WasmFormatError(`signed LEB128 longer than ${maxBytes} bytes at byte ${reader.pos}`);
  } while (byte & 0x80);
  return byte & 0x40 ? value - 2 ** shift : value;
}

function memarg(reader: Reader): void {
  const align = reader.leb();
  if (align & 0x40) reader.leb(); // a memory index (multi-memory)
  reader.leb(10);
}

/** The instructions of one function body, with their offsets in the module; a body it cannot read gives what it read so far. */
function instructions(bytes: Uint8Array, start: number, end: number): Instruction[] {
  const reader = new Reader(bytes, start, end);
  const found: Instruction[] = [];
  try {
    for (let groups = reader.leb(); groups > 0; groups--) {
      reader.leb();
      reader.valType();
    }
    while (reader.pos < end) {
      const at = reader.pos;
      const op = reader.byte();
      if (op === 0x10 || op === 0x12) found.push({ at, op: 0x10, value: reader.leb() });
      else if (op === 0x41) found.push({ at, op, value: sleb(reader, 5) });
      else {
        found.push({ at, op });
        skipImmediates(reader, op);
      }
    }
  } catch {
    // An instruction this reader does not know: what came before it is still right.
  }
  return found;
}

function skipImmediates(reader: Reader, op: number): void {
  if (op === 0x02 || op === 0x03 || op === 0x04) {
    const type = reader.bytes[reader.pos]!;
    if (type === 0x40 || type >= 0x6b) reader.byte();
    else sleb(reader, 5);
  } else if (op === 0x0c || op === 0x0d || (op >= 0x20 && op <= 0x26) || op === 0xd2 || op === 0xd5 || op === 0xd6) reader.leb();
  else if (op === 0x0e) {
    for (let labels = reader.leb(); labels >= 0; labels--) reader.leb();
  } else if (op === 0x11 || op === 0x13) {
    reader.leb();
    reader.leb();
  } else if (op === 0x1c) {
    for (let types = reader.leb(); types > 0; types--) reader.valType();
  } else if (op >= 0x28 && op <= 0x3e) memarg(reader);
  else if (op === 0x3f || op === 0x40) reader.leb();
  else if (op === 0x42) sleb(reader, 10);
  else if (op === 0x43) reader.skip(4);
  else if (op === 0x44) reader.skip(8);
  else if (op === 0xd0) reader.valType();
  else if (op === 0xfc) {
    const sub = reader.leb();
    if (sub === 8 || sub === 12 || sub === 14) {
      reader.leb();
      reader.leb();
    } else if (sub === 10) {
      reader.leb();
      reader.leb();
    } else if (sub === 9 || sub === 11 || sub === 13 || sub === 15 || sub === 16 || sub === 17) reader.leb();
  } else if (op === 0xfd) {
    const sub = reader.leb();
    if (sub <= 11 || sub === 92 || sub === 93) memarg(reader);
    else if (sub === 12 || sub === 13) reader.skip(16);
    else if (sub >= 21 && sub <= 34) reader.skip(1);
    else if (sub >= 84 && sub <= 91) {
      memarg(reader);
      reader.skip(1);
    }
  } else if (op === 0xfe) {
    const sub = reader.leb();
    if (sub === 3) reader.skip(1);
    else memarg(reader);
  } else if (![0x00, 0x01, 0x05, 0x0b, 0x0f, 0x1a, 0x1b, 0xd1, 0xd3, 0xd4].includes(op) && !(op >= 0x45 && op <= 0xc4)) {
    throw new WasmFormatError(`unknown opcode 0x${op.toString(16)} at byte ${reader.pos - 1}`);
  }
}

/** A decoded source map: offsets in the module, ascending, each with its place in a source. */
interface Mapping {
  at: number;
  source: number;
  line: number;
  column: number;
}

function decodeMappings(mappings: string): Mapping[] {
  const decoded: Mapping[] = [];
  let at = 0;
  let source = 0;
  let line = 0;
  let column = 0;
  for (const segment of mappings.split(/[;,]/)) {
    if (segment === "") continue;
    const values: number[] = [];
    let value = 0;
    let shift = 0;
    for (const char of segment) {
      const digit = BASE64.indexOf(char);
      value += (digit & 31) * 2 ** shift;
      if (digit & 32) shift += 5;
      else {
        values.push(value % 2 ? -(value - 1) / 2 : value / 2);
        value = 0;
        shift = 0;
      }
    }
    at += values[0] ?? 0;
    if (values.length < 4) continue;
    source += values[1]!;
    line += values[2]!;
    column += values[3]!;
    decoded.push({ at, source, line: line + 1, column: column + 1 });
  }
  return decoded.sort((a, b) => a.at - b.at);
}

/** The URL of the module's source map (its sourceMappingURL section), if it names one. */
export function sourceMapUrl(module: Uint8Array): string | undefined {
  return sections(module).sourceMapUrl;
}

interface Sections {
  imports: { module: string; name: string; index: number }[];
  bodies: { start: number; end: number }[];
  names: Map<string, number>;
  sourceMapUrl?: string;
}

function sections(module: Uint8Array): Sections {
  const found: Sections = { imports: [], bodies: [], names: new Map() };
  const reader = new Reader(module, 8, module.byteLength);
  while (reader.pos < module.byteLength) {
    const id = reader.byte();
    const size = reader.leb();
    const start = reader.pos;
    const section = new Reader(module, start, start + size);
    if (id === 2) {
      let functions = 0;
      for (let count = section.leb(); count > 0; count--) {
        const moduleName = name(section);
        const field = name(section);
        const kind = section.byte();
        if (kind === 0) {
          section.leb();
          found.imports.push({ module: moduleName, name: field, index: functions++ });
        } else if (kind === 1) {
          section.valType();
          section.tableLimits();
        } else if (kind === 2) section.memory();
        else if (kind === 3) {
          section.valType();
          section.byte();
        } else section.leb();
      }
    } else if (id === 10) {
      for (let count = section.leb(); count > 0; count--) {
        const length = section.leb();
        found.bodies.push({ start: section.pos, end: section.pos + length });
        section.skip(length);
      }
    } else if (id === 0) {
      const custom = name(section);
      if (custom === "sourceMappingURL") found.sourceMapUrl = name(section);
      if (custom === "name") {
        while (section.pos < start + size) {
          const sub = section.byte();
          const length = section.leb();
          const end = section.pos + length;
          if (sub === 1) {
            for (let count = section.leb(); count > 0; count--) {
              const index = section.leb();
              found.names.set(name(section), index);
            }
          }
          section.pos = end;
        }
      }
    }
    reader.skip(size);
  }
  return found;
}

/** A plugin module's debug information: where its functions' code came from in its sources. */
export class ModuleDebugInfo {
  private constructor(
    private readonly module: Uint8Array,
    private readonly found: Sections,
    private readonly mappings: Mapping[],
    private readonly sources: string[],
  ) {}

  /** The module with its source map's text; undefined when either cannot be read (then nothing is located). */
  static read(module: Uint8Array, sourceMapText: string): ModuleDebugInfo | undefined {
    try {
      const map = JSON.parse(sourceMapText) as { sources?: unknown; mappings?: unknown };
      if (!Array.isArray(map.sources) || typeof map.mappings !== "string") return undefined;
      return new ModuleDebugInfo(module, sections(module), decodeMappings(map.mappings), map.sources.map(String));
    } catch {
      return undefined;
    }
  }

  private body(functionName: string): { start: number; end: number } | undefined {
    const index = this.found.names.get(functionName);
    return index === undefined ? undefined : this.found.bodies[index - this.found.imports.length];
  }

  /** The place of the last mapping at or before `at` within `body` that is in the plugin's own sources (not ~lib/). */
  private ownPlaceBefore(at: number, body: { start: number; end: number }): SourcePosition | undefined {
    let low = 0;
    let high = this.mappings.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.mappings[middle]!.at <= at) low = middle + 1;
      else high = middle;
    }
    for (let i = low - 1; i >= 0 && this.mappings[i]!.at >= body.start; i--) {
      const mapping = this.mappings[i]!;
      const file = this.sources[mapping.source] ?? "";
      if (!file.startsWith(LIBRARY)) return { file, line: mapping.line, column: mapping.column };
    }
    return undefined;
  }

  /**
   * Where the plugin's function `caller` made the call that aborted: its call to `callee` (the library
   * function on the stack just inside it), or without one, its call to abort with this line and column.
   * Several places when the function makes that call more than once; none when the module does not say.
   */
  callSites(caller: string, callee: string | undefined, abort: { line: number; column: number }): SourcePosition[] {
    const body = this.body(caller);
    if (!body) return [];
    const code = instructions(this.module, body.start, body.end);
    const calleeIndex = callee === undefined ? undefined : this.found.names.get(callee);
    const abortIndex = this.found.imports.find((entry) => entry.module === "env" && entry.name === "abort")?.index;
    const sites = code.filter((instruction, i) => {
      if (instruction.op !== 0x10) return false;
      if (calleeIndex !== undefined) return instruction.value === calleeIndex;
      const [line, column] = [code[i - 2], code[i - 1]];
      return instruction.value === abortIndex && line?.op === 0x41 && line.value === abort.line && column?.op === 0x41 && column.value === abort.column;
    });
    const places = new Map<string, SourcePosition>();
    for (const site of sites) {
      const place = this.ownPlaceBefore(site.at, body);
      if (place) places.set(`${place.file}:${place.line}:${place.column}`, place);
    }
    return [...places.values()];
  }

  /** Where the plugin's function begins in its sources (for a trap, whose instruction the engine does not say). */
  functionStart(functionName: string): SourcePosition | undefined {
    const body = this.body(functionName);
    if (!body) return undefined;
    for (const mapping of this.mappings) {
      if (mapping.at < body.start || mapping.at >= body.end) continue;
      const file = this.sources[mapping.source] ?? "";
      if (!file.startsWith(LIBRARY)) return { file, line: mapping.line, column: mapping.column };
    }
    return undefined;
  }
}
