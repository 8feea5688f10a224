/**
 * Extism's kernel stores (`extism:host/env` store_u8 and store_u64), made to survive a bug of the official
 * AssemblyScript PDK. @extism/as-pdk 1.0.0's `Host.outputString(s)` allocates `s.length` bytes (UTF-16 code
 * units) and stores the UTF-8 encoding into them, so any non-ASCII output runs past its block: Extism's JS
 * kernel throws "Out of bounds access" (its Rust kernel would cut the output short instead). Here the bytes
 * stored past a block's end are kept beside the block, up to what UTF-8 can need for that many code units
 * (3 bytes each), and the call's output is the block followed by them. Stores within a block are exactly
 * Extism's; a store further out is still an error.
 */

/** UTF-8 needs at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units). */
const UTF8_BYTES_PER_UNIT = 3;
const OFFSET_MASK = (1n << 48n) - 1n;

/** What a host function of Extism's JS SDK receives first; `read` gives a view of a block's own buffer. */
interface KernelContext {
  read(address: bigint): DataView | null;
}

/** Bytes stored past a block's end: `length` of them in use, in a buffer that grows by doubling. */
interface Spill {
  bytes: Uint8Array;
  length: number;
}

export class KernelOverflow {
  /** What was stored past the end of each block in this call, by the block's buffer. */
  private readonly spilled = new Map<ArrayBufferLike, Spill>();

  /** The two kernel stores, to link in place of Extism's own. */
  functions(): Record<string, (context: KernelContext, address: bigint, value: never) => void> {
    return {
      store_u8: (context, address, value: number) => this.store(context, address, 1, (view, at) => view.setUint8(at, value)),
      store_u64: (context, address, value: bigint) => this.store(context, address, 8, (view, at) => view.setBigUint64(at, value, true)),
    };
  }

  /** Forgets what earlier calls stored past their blocks: called before each call. */
  reset(): void {
    this.spilled.clear();
  }

  /** The output of a call, with what was stored past its block's end. */
  outputOf(output: Uint8Array | undefined): Uint8Array | undefined {
    const spill = output && this.spilled.get(output.buffer);
    if (!output || !spill) return output;
    const whole = new Uint8Array(output.byteLength + spill.length);
    whole.set(output);
    whole.set(spill.bytes.subarray(0, spill.length), output.byteLength);
    return whole;
  }

  private store(context: KernelContext, address: bigint, size: number, write: (view: DataView, at: number) => void): void {
    const block = context.read(address);
    if (!block) return; // as Extism: a store to a freed or unknown block is ignored
    const offset = Number(BigInt(address) & OFFSET_MASK);
    if (offset + size <= block.byteLength) return write(new DataView(block.buffer), offset);
    if (offset + size > block.byteLength * UTF8_BYTES_PER_UNIT) {
      throw new RangeError(`Out of bounds access: a ${size}-byte store at offset ${offset} of a ${block.byteLength}-byte Extism block`);
    }
    const value = new Uint8Array(size);
    write(new DataView(value.buffer), 0);
    const spill = this.spillOf(block.buffer, offset + size - block.byteLength);
    // Byte by byte: a u64 store may straddle the block's end.
    const inside = new Uint8Array(block.buffer);
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      if (at < inside.byteLength) inside[at] = value[i]!;
      else spill.bytes[at - inside.byteLength] = value[i]!;
    }
  }

  /** The spill of a block, with room for `length` bytes. */
  private spillOf(buffer: ArrayBufferLike, length: number): Spill {
    let spill = this.spilled.get(buffer);
    if (!spill) this.spilled.set(buffer, (spill = { bytes: new Uint8Array(Math.max(64, length)), length: 0 }));
    if (length > spill.bytes.byteLength) {
      const grown = new Uint8Array(Math.max(length, spill.bytes.byteLength * 2));
      grown.set(spill.bytes);
      spill.bytes = grown;
    }
    spill.length = Math.max(spill.length, length);
    return spill;
  }
}
