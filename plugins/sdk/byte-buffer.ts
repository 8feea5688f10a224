// A growable run of bytes in linear memory, the backing store of JsonWriter and of JsonReader's
// unescaped strings. Growth goes through __renew: under the stub runtime the last block grows in place.

export class ByteBuffer {
  buffer: ArrayBuffer;
  /** Bytes written so far; [dataStart, dataStart + length) is the content. */
  length: i32 = 0;

  constructor(capacity: i32 = 1024) {
    this.buffer = new ArrayBuffer(max(capacity, 16));
  }

  get dataStart(): usize {
    return changetype<usize>(this.buffer);
  }

  get capacity(): i32 {
    return this.buffer.byteLength;
  }

  /** Makes room for `extra` more bytes and returns where they go; `length` is the caller's to advance. */
  // @ts-ignore: decorator
  @inline reserve(extra: u64): usize {
    if (<u64>this.length + extra > <u64>this.buffer.byteLength) this.grow(extra);
    return changetype<usize>(this.buffer) + <usize>this.length;
  }

  private grow(extra: u64): void {
    const needed = <u64>this.length + extra;
    // An ArrayBuffer holds at most ~1 GiB (BLOCK_MAXSIZE), past any plugin's memory limit anyway.
    const limit: u64 = 0x3fff0000;
    if (needed > limit) throw new Error("a buffer grew past 1 GiB");
    const capacity = min<u64>(max<u64>(needed, <u64>this.buffer.byteLength << 1), limit);
    this.buffer = changetype<ArrayBuffer>(__renew(changetype<usize>(this.buffer), <usize>capacity));
  }

  // @ts-ignore: decorator
  @inline writeByte(byte: u8): void {
    store<u8>(this.reserve(1), byte);
    this.length++;
  }

  writeBytes(ptr: usize, len: usize): void {
    memory.copy(this.reserve(<u64>len), ptr, len);
    this.length += <i32>len;
  }

  /** An ASCII string's characters as bytes (numbers, literals); other characters are the caller's bug. */
  writeAscii(text: string): void {
    const n = text.length;
    const out = this.reserve(<u64>n);
    const src = changetype<usize>(text);
    for (let i = 0; i < n; i++) store<u8>(out + <usize>i, <u8>load<u16>(src + (<usize>i << 1)));
    this.length += n;
  }

  /** A copy of the content. */
  toBytes(): ArrayBuffer {
    const copy = new ArrayBuffer(this.length);
    memory.copy(changetype<usize>(copy), this.dataStart, <usize>this.length);
    return copy;
  }

  clear(): void {
    this.length = 0;
  }
}
